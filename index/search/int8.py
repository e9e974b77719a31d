"""Int8 codes of embedding vectors: a quarter of their float32 size, with a bound on the error.

A vector v is `scale * codes + r`, where the codes run over ±levels and r, the residual, is what
rounding leaves; `similarity` multiplies codes in integer arithmetic and bounds its error by the
residuals. `catalog_files` stores each chunk's codes beside its float32 vector.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Codes of the chunks' vectors run over ±127; the question's over ±63, so that a pair of products
# never leaves int16 (127 * 2 * 2 * 63 < 32,768), which the integer kernels of CPUs without VNNI
# add in (they saturate silently).
CHUNK_LEVELS = 127
QUESTION_LEVELS = 63


def quantize(
    vectors: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """Each vector's int8 codes (stored + 128, as onnxruntime's kernels take them) and the rows
    scale, residual and norm, a value per vector: vector = scale * codes + a remainder of length
    `residual`. A row per quantity, so that a search multiplies by each in one piece."""
    vectors = np.asarray(vectors, dtype=np.float32)
    codes, scale, residual = int8_codes(vectors, CHUNK_LEVELS)
    norm = np.linalg.norm(vectors, axis=1)
    stored = (codes.astype(np.int16) + 128).astype(np.uint8)
    return stored, np.stack([scale, residual, norm]).astype(np.float32)


def int8_codes(
    vectors: npt.NDArray[np.float32], levels: int
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Each vector's codes over ±`levels`, its scale, and the length of what rounding left."""
    top = np.abs(vectors).max(axis=1)
    scale = np.where(top > 0, top / levels, 1.0).astype(np.float32)
    codes = np.rint(vectors / scale[:, None]).astype(np.int8)
    residual = np.linalg.norm(vectors - scale[:, None] * codes, axis=1).astype(np.float32)
    return codes, scale, residual

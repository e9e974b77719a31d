"""How close the local model's int8 file comes to the packaged fp32 one, on this machine's CPU.

    python benchmarks/model_fidelity.py ARTICLES_DIR [--passages 200] [--bits 8|7]

Takes two passages of every third article (its first 600 characters, and 500 from the 1,000th),
embeds each through the fp32 file and through the int8 file newsbot uses here (made in a cache
folder of its own), pools both as the embedder pools, and prints the mean and the lowest cosine
of the pairs. Which int8 file that is depends on the CPU (`index.model_file.saturating_cpu`);
`--bits` makes the other one instead, to compare the two on one machine.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

from index import model_file
from index.embedding import MiniLMEmbedder
from index.model_file import ModelFile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--bits", type=int, choices=(7, 8), default=None)
    args = parser.parse_args()
    if args.bits is not None:
        seven = args.bits == 7
        model_file.saturating_cpu = lambda cpuinfo=None: seven
    texts: list[str] = []
    for path in sorted(args.articles.glob("*.txt"))[::3]:
        text = path.read_text(encoding="utf-8")
        texts += [text[:600], text[1000:1500]]
    texts = [t for t in texts if t.strip()][: args.passages]
    with tempfile.TemporaryDirectory() as cache:
        embedder = MiniLMEmbedder(Path(cache))
        int8 = embedder.embed(texts)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        source = ModelFile.locate(Path(cache)).source
        fp32 = ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        rows = []
        for text in texts:
            ids = np.array([embedder.count_tokens(text)[:254]], dtype=np.int64)
            ids = np.concatenate([[[101]], ids, [[102]]], axis=1)  # [CLS] ... [SEP]
            feed = {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": 0 * ids,
            }
            pooled = np.asarray(fp32.run(None, feed)[0])[0].mean(axis=0)
            rows.append(pooled / np.linalg.norm(pooled))
    cosine = (int8 * np.array(rows)).sum(axis=1)
    weights = "7-bit weights" if model_file.saturating_cpu() else "8-bit weights"
    print(
        f"{len(texts)} passages, {weights}: cosine to fp32 mean {cosine.mean():.5f}, "
        f"min {cosine.min():.5f}"
    )


if __name__ == "__main__":
    main()

"""A/B timing of ONNX model files on one thread at 256², interleaved so drift hits both.

Used to measure the pixel-unshuffle export change (old files from git history):

    git show HEAD~N:models/fusion-swap-S-fp32.onnx > /tmp/old.onnx
    python benchmarks/unshuffle_ab.py /tmp/old.onnx models/fusion-swap-S-fp32.onnx
"""

from __future__ import annotations

import sys
import time

import numpy as np
import onnxruntime as ort


def main(paths: list[str], rounds: int = 8, runs: int = 15) -> None:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    sessions = [ort.InferenceSession(p, options, providers=["CPUExecutionProvider"])
                for p in paths]
    medians: dict[str, list[float]] = {p: [] for p in paths}
    for _ in range(rounds):
        for path, session in zip(paths, sessions):
            first = session.get_inputs()[0]
            x = np.random.default_rng(0).uniform(-1, 1, (1, first.shape[1], 256, 256))
            feed = {first.name: x.astype(np.float32)}
            for _ in range(3):
                session.run(None, feed)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                session.run(None, feed)
                times.append(time.perf_counter() - start)
            medians[path].append(float(np.median(times)) * 1000)
    for path, values in medians.items():
        print(f"{path}: {np.median(values):.2f} ms (median of {rounds} rounds), "
              f"best round {min(values):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])

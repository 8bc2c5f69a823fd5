"""Size, latency, load time and held-out quality of every stylizer variant on the CPU provider.

The variants table of the compression pipeline: each tier in float32, float16 and INT8,
pruned or not, with its parameter count and its PSNR against the reference renderer on
held-out faces (measured by `livecam train publish`, read from the manifest).

Method: onnxruntime CPU provider, 1 intra-op thread (the frame loop's setting on 2 cores),
5 warm-up runs then the median and p95 of 50 runs per input side; load time is the median of
5 session creations including the sha256 check. One JSON per run.

    python benchmarks/model_latency.py [--sides 128 192 256 320]
        [--out benchmarks/results/model-latency.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from livecam.bench.machine import machine_info
from livecam.inference.manifest import load_manifest, models_dir
from livecam.inference.onnx_model import ImageModel

HERE = Path(__file__).resolve().parent


def measure(entry_name: str, sides: list[int]) -> dict[str, object]:
    entry = load_manifest()[entry_name]
    path = models_dir() / entry.file
    loads = []
    for _ in range(5):
        start = time.perf_counter()
        model = ImageModel(entry, path)
        loads.append((time.perf_counter() - start) * 1000)
    result: dict[str, object] = {"file": entry.file, "size_bytes": entry.size_bytes,
                                 "precision": entry.precision, "tier": entry.tier,
                                 "style": entry.style, "params": entry.params,
                                 "pruned": entry.pruned, "quality_db": entry.quality_db,
                                 "load_ms_median": float(np.median(loads))}
    rng = np.random.default_rng(0)
    for side in sides:
        image = rng.integers(0, 255, (side, side, 3), dtype=np.uint8)
        for _ in range(5):
            model.run(image)
        times = []
        for _ in range(50):
            start = time.perf_counter()
            model.run(image)
            times.append((time.perf_counter() - start) * 1000)
        result[f"ms_{side}"] = {"p50": float(np.median(times)),
                                "p95": float(np.percentile(times, 95))}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[128, 192, 256, 320])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "model-latency.json")
    args = parser.parse_args()
    results = {name: measure(name, args.sides) for name, e in load_manifest().items()
               if e.family == "stylizer"}
    print("| model | params | pruned | MB | load ms | " + " | ".join(
        f"{s}² p50 ms" for s in args.sides) + " | PSNR vs renderer |")
    print("|---" * (6 + len(args.sides)) + "|")
    for name, r in results.items():
        cells = " | ".join(f"{r[f'ms_{s}']['p50']:.2f}" for s in args.sides)  # type: ignore[index]
        print(f"| {name} | {r['params']:,} | {r['pruned']:.0%} | "
              f"{int(r['size_bytes']) / 1e6:.2f} | {r['load_ms_median']:.1f} | {cells} | "
              f"{r['quality_db']:.2f} dB |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine_info(), "method": __doc__.split("\n\n")[1],
                                    "models": results}, indent=1))


if __name__ == "__main__":
    main()

"""Landmark jitter on a still stretch and lag on a fast stretch of real video, raw vs smoothed.

Jitter: RMS frame-to-frame second difference of all 478 landmarks over the stillest second of
the clip, in percent of the inter-ocular distance (IOD): the shake a viewer sees on a still face.
Lag: over the fastest half second, the delay (ms) that best aligns the smoothed face centre with
the raw one, and the mean distance between them (% IOD).

    python benchmarks/tracking_smoothing.py [--data ../shared/data]
        [--out benchmarks/results/smoothing.json]
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from livecam.frame import Frame
from livecam.sources.video import VideoFileSource
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.settings import TrackingSettings

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("LIVECAM_DATA", HERE.parent.parent / "shared" / "data"))
CLIPS = ("liveportrait_d9.mp4", "liveportrait_d10.mp4", "sadtalker_WDA_KatieHill_000.mp4")
EYES = (33, 263)


def track_clip(path: Path, settings: TrackingSettings) -> tuple[np.ndarray, float]:
    """Landmarks per frame (frames × 478 × 2; NaN where no face) and the clip's fps."""
    source = VideoFileSource(path, realtime=False)
    tracker = MediaPipeTracker(settings)
    rows = []
    index = 0
    while (image := source.read()) is not None:
        faces = tracker.track(Frame(image, index, index / source.fps))
        rows.append(faces[0].landmarks[:, :2] if faces else np.full((478, 2), np.nan, np.float32))
        index += 1
    tracker.close()
    source.close()
    return np.stack(rows), source.fps


def window_by_speed(raw: np.ndarray, length: int, fastest: bool) -> slice:
    centre = raw.mean(axis=1)
    speed = np.linalg.norm(np.diff(centre, axis=0), axis=1)
    speed = np.nan_to_num(speed, nan=np.inf if not fastest else -np.inf)
    sums = np.convolve(speed, np.ones(length - 1), mode="valid")
    start = int(np.argmax(sums) if fastest else np.argmin(sums))
    return slice(start, start + length)


def jitter_pct_iod(points: np.ndarray, iod: float) -> float:
    second = points[2:] - 2 * points[1:-1] + points[:-2]
    return float(np.sqrt(np.nanmean(np.sum(second ** 2, axis=2))) / iod * 100)


def lag_ms(raw: np.ndarray, smooth: np.ndarray, fps: float) -> float:
    """Delay that best aligns the smoothed centre track with the raw one (0.5 ms steps)."""
    t = np.arange(len(raw)) / fps
    rc, sc = raw.mean(axis=1), smooth.mean(axis=1)
    best, best_err = 0.0, np.inf
    for delay_ms in np.arange(0, 200.5, 0.5):
        shifted = np.stack([np.interp(t - delay_ms / 1000, t, rc[:, k]) for k in range(2)], 1)
        err = np.nanmean(np.sum((sc[3:] - shifted[3:]) ** 2, axis=1))
        if err < best_err:
            best, best_err = float(delay_ms), err
    return best


def measure(path: Path, base: TrackingSettings) -> dict[str, float]:
    raw, fps = track_clip(path, replace(base, smoothing=False))
    smooth, _ = track_clip(path, base)
    iod = float(np.nanmedian(np.linalg.norm(raw[:, EYES[0]] - raw[:, EYES[1]], axis=1)))
    still = window_by_speed(raw, int(fps), fastest=False)
    fast = window_by_speed(raw, int(fps / 2), fastest=True)
    return {
        "fps": fps,
        "iod_px": iod,
        "still_start_frame": still.start,
        "fast_start_frame": fast.start,
        "jitter_raw_pct_iod": jitter_pct_iod(raw[still], iod),
        "jitter_smoothed_pct_iod": jitter_pct_iod(smooth[still], iod),
        "fast_speed_iod_per_s": float(np.nanmean(np.linalg.norm(np.diff(
            raw[fast].mean(axis=1), axis=0), axis=1)) * fps / iod),
        "lag_ms": lag_ms(raw[fast], smooth[fast], fps),
        "fast_error_pct_iod": float(np.nanmean(np.linalg.norm(
            raw[fast] - smooth[fast], axis=2)) / iod * 100),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--min-cutoff-hz", type=float, default=TrackingSettings().min_cutoff_hz)
    parser.add_argument("--beta", type=float, default=TrackingSettings().beta)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    base = TrackingSettings(max_faces=1, min_cutoff_hz=args.min_cutoff_hz, beta=args.beta)
    results = {clip: measure(args.data / "videos" / clip, base) for clip in CLIPS}
    print(f"One Euro min_cutoff_hz={args.min_cutoff_hz} beta={args.beta}")
    print(f"{'clip':34s} {'jitter raw':>10s} {'smoothed':>9s} {'lag ms':>7s} {'fast err':>9s}")
    for clip, r in results.items():
        print(f"{clip:34s} {r['jitter_raw_pct_iod']:9.2f}% {r['jitter_smoothed_pct_iod']:8.2f}% "
              f"{r['lag_ms']:7.1f} {r['fast_error_pct_iod']:8.2f}%")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"settings": {"min_cutoff_hz": args.min_cutoff_hz,
                                                     "beta": args.beta},
                                        "clips": results}, indent=1))


if __name__ == "__main__":
    main()

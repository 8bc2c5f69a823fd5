#!/usr/bin/env bash
# The standard benchmark set: the built-in demo and a real 1280x720 30 fps video, paced in real
# time, null sink. Records land in benchmarks/results/ (committed with the figures they gave).
#   bash benchmarks/run_standard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results
mkdir -p "$out"
python benchmarks/prepare_videos.py >/dev/null
video=benchmarks/.cache/liveportrait_d9_720p.mp4
livecam bench --source demo --preset landmarks --max-frames 600 --out "$out/demo-landmarks.json"
livecam bench --source "$video" --preset passthrough --out "$out/video720p-passthrough.json"
livecam bench --source "$video" --preset landmarks --out "$out/video720p-landmarks.json"
livecam bench --source "$video" --preset fairy-tale --out "$out/video720p-fairy-tale.json"
livecam bench report "$out/demo-landmarks.json" "$out/video720p-passthrough.json" \
    "$out/video720p-landmarks.json" "$out/video720p-fairy-tale.json" \
    --plot "$out/frame-loop.png" | tee "$out/frame-loop.txt"
python benchmarks/tracking_smoothing.py --out "$out/smoothing.json" | tee "$out/smoothing.txt"

#!/usr/bin/env bash
# Issue 5's benchmark: fairy-tale on a 1280x720 30 fps video paced in real time while a second
# process keeps one core busy, with the resolution controller on (balanced), then off (the
# preset's fixed 256/320), then on with no extra load. Records and plot in benchmarks/results/.
#   bash benchmarks/adaptive_resolution.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results
mkdir -p "$out"
python benchmarks/prepare_videos.py >/dev/null
video=benchmarks/.cache/liveportrait_d9_720p.mp4
frames=1800   # 60 s of the looped video

python -c "while True: pass" &   # the second process: one core, all the time
busy=$!
trap 'kill $busy 2>/dev/null || true' EXIT
sleep 1
livecam bench --source "$video" --preset fairy-tale --max-frames $frames --loop \
    --out "$out/adaptive-busy-core-on.json"
livecam bench --source "$video" --preset fairy-tale --max-frames $frames --loop --no-adapt \
    --out "$out/adaptive-busy-core-off.json"
kill $busy
livecam bench --source "$video" --preset fairy-tale --max-frames $frames --loop \
    --out "$out/adaptive-idle-on.json"
livecam bench report "$out/adaptive-busy-core-on.json" "$out/adaptive-busy-core-off.json" \
    "$out/adaptive-idle-on.json" --plot "$out/adaptive-resolution.png" \
    | tee "$out/adaptive-resolution.txt"

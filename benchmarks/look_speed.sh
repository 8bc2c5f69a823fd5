#!/usr/bin/env bash
# Issue 12's speed check: fairy-tale and anime on a 1280x720 30 fps video paced in real time
# (null sink, resolution controller on), idle and then with a second process keeping one core
# busy. Records and table in benchmarks/results/.
#   bash benchmarks/look_speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results
mkdir -p "$out"
python benchmarks/prepare_videos.py >/dev/null
video=benchmarks/.cache/liveportrait_d9_720p.mp4

for preset in fairy-tale anime; do
    livecam bench --source "$video" --preset "$preset" --max-frames 900 --loop \
        --out "$out/look-$preset-idle.json"
done
python -c "while True: pass" &   # the second process: one core, all the time
busy=$!
trap 'kill $busy 2>/dev/null || true' EXIT
sleep 1
for preset in fairy-tale anime; do
    livecam bench --source "$video" --preset "$preset" --max-frames 1800 --loop \
        --out "$out/look-$preset-busy-core.json"
done
kill $busy
livecam bench report "$out"/look-fairy-tale-idle.json "$out"/look-anime-idle.json \
    "$out"/look-fairy-tale-busy-core.json "$out"/look-anime-busy-core.json \
    --plot "$out/look-speed.png" | tee "$out/look-speed.txt"

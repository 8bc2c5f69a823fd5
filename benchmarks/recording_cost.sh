#!/usr/bin/env bash
# Issue 15's cost check: fairy-tale on the 1280x720 30 fps video paced in real time (null sink,
# resolution controller on), without and with a recording (H.264 + AAC; with no sound card the
# sound track is silence, the microphone retried each second). Records and table in
# benchmarks/results/.
#   bash benchmarks/recording_cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results
mkdir -p "$out"
python benchmarks/prepare_videos.py >/dev/null
video=benchmarks/.cache/liveportrait_d9_720p.mp4
take=$(mktemp -d)/take.mp4
livecam bench --source "$video" --preset fairy-tale --max-frames 900 --loop \
    --out "$out/recording-off.json"
livecam bench --source "$video" --preset fairy-tale --max-frames 900 --loop \
    --record "$take" --out "$out/recording-on.json"
ffprobe -v error -show_entries stream=codec_name,duration -of csv "$take"
livecam bench report "$out/recording-off.json" "$out/recording-on.json" \
    --plot "$out/recording-cost.png" | tee "$out/recording-cost.txt"

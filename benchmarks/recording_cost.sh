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
take=$(mktemp -d)
# two interleaved pairs: this shared machine drifts by more than the cost being measured
for i in 1 2; do
    livecam bench --source "$video" --preset fairy-tale --max-frames 600 --loop \
        --out "$out/recording-off-$i.json"
    livecam bench --source "$video" --preset fairy-tale --max-frames 600 --loop \
        --record "$take/take$i.mp4" --out "$out/recording-on-$i.json"
    ffprobe -v error -count_packets -show_entries stream=codec_name,nb_read_packets,duration \
        -of csv "$take/take$i.mp4"
done
livecam bench report "$out"/recording-off-1.json "$out"/recording-on-1.json \
    "$out"/recording-off-2.json "$out"/recording-on-2.json \
    --plot "$out/recording-cost.png" | tee "$out/recording-cost.txt"

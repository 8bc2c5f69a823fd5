#!/usr/bin/env bash
# Issue 4's speed benchmark: face-swap on the 1280x720 30 fps video paced in real time, one
# face, with the fusion model and without it (a feathered paste); and the plain pipeline's
# cost for comparison is in face-swap-quality.json. Enrols a test photo in a scratch home.
#   bash benchmarks/face_swap_speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results
data=${LIVECAM_DATA:-../shared/data}
python benchmarks/prepare_videos.py >/dev/null
video=benchmarks/.cache/liveportrait_d9_720p.mp4
export LIVECAM_HOME=$(mktemp -d)
livecam enroll "$data/test-photos/deepface_img5.jpg" --name bench
livecam bench --source "$video" --preset face-swap --face bench --max-frames 900 --loop \
    --out "$out/face-swap-720p.json"
mkdir -p "$LIVECAM_HOME/presets"
sed 's/^fusion = "auto".*/fusion = "off"/' livecam/presets/face-swap.toml \
    > "$LIVECAM_HOME/presets/face-swap-paste.toml"
livecam bench --source "$video" --preset face-swap-paste --face bench --max-frames 900 --loop \
    --out "$out/face-swap-paste-720p.json"
livecam bench report "$out/face-swap-720p.json" "$out/face-swap-paste-720p.json" \
    --plot "$out/face-swap-speed.png" | tee "$out/face-swap-speed.txt"

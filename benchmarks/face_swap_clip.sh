#!/usr/bin/env bash
# A short side-by-side clip of face swap on a talking, glancing target (liveportrait_d10:
# input | output, 8 s), for judging by eye. Enrols a test photo in a scratch home.
#   bash benchmarks/face_swap_clip.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LIVECAM_DATA:-../shared/data}
clip=$data/videos/liveportrait_d10.mp4
export LIVECAM_HOME=$(mktemp -d)
livecam enroll "$data/test-photos/deepface_img5.jpg" --name bench -q
livecam run --source "$clip" --preset face-swap --face bench --sink "file:$LIVECAM_HOME/out.mp4" \
    --max-frames 240 --as-fast-as-possible -q
ffmpeg -v error -y -i "$clip" -i "$LIVECAM_HOME/out.mp4" \
    -filter_complex "[0:v]scale=360:360[a];[1:v]scale=360:360[b];[a][b]hstack" \
    -frames:v 240 -c:v libx264 -crf 28 -preset slow -pix_fmt yuv420p -an \
    benchmarks/results/face-swap-clip.mp4

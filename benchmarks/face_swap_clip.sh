#!/usr/bin/env bash
# A short clip of face swap on a talking, glancing target (liveportrait_d10, 8 s, the swapped
# output only: the shared footage itself is not copied), for judging by eye. Enrols a test
# photo in a scratch home.
#   bash benchmarks/face_swap_clip.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LIVECAM_DATA:-../shared/data}
clip=$data/videos/liveportrait_d10.mp4
export LIVECAM_HOME=$(mktemp -d)
livecam enroll "$data/test-photos/deepface_img5.jpg" --name bench -q
livecam run --source "$clip" --preset face-swap --face bench --sink "file:$LIVECAM_HOME/out.mp4" \
    --max-frames 240 --as-fast-as-possible -q
# the recording's stamps are wall-clock (faster than real time here): every frame at 30 fps
ffmpeg -v error -y -i "$LIVECAM_HOME/out.mp4" -vf "setpts=N/30/TB,scale=360:360" -r 30 \
    -frames:v 240 -c:v libx264 -crf 28 -preset slow -pix_fmt yuv420p -an \
    benchmarks/results/face-swap-clip.mp4

#!/bin/sh
# Regenerates one shipped source embedding from a folder (or .npz) of images laid out as
# `transfer-atlas datasets add` reads them, in a throw-away store:
#   scripts/registry-embedding.sh <path> <registry id> "<what the sample is>" [datasets add options...]
# e.g. scripts/registry-embedding.sh ../shared/datasets/sources/dtd-10 textures "DTD, 10 classes x 120" --origin natural --modality texture --channels 3
# Embedding options are the defaults of `transfer-atlas embed` except --samples 2000, the setting
# `npm start` uses for a new target, so that the shipped vectors compare with it.
set -eu
path=$1; id=$2; sample=$3; shift 3
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
export TA_DATA_DIR="$store"
npm run --silent build
node dist/src/cli/main.js datasets add "$path" --id "$id" --name "$id" --min-class-size 1 "$@" >/dev/null
node dist/src/cli/main.js embed "$id" --samples 2000 --seed 0
node --import tsx scripts/registry-embedding.ts "$id" "$id" "$sample" "scripts/registry-embedding.sh $path $id \"$sample\" $*"

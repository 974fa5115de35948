#!/bin/sh
# Regenerates one shipped source embedding from a folder (or .npz) of images laid out as
# `transfer-atlas datasets add` reads them, in a throw-away store:
#   scripts/registry-embedding.sh <path> <registry id> "<what the sample is>" [--samples N] [--train-split] [datasets add options...]
# e.g. scripts/registry-embedding.sh ../shared/datasets/sources/dtd-10 textures "DTD, 10 classes x 120" --samples 10000 --origin natural --modality texture --channels 3
# Embedding options are the defaults of `transfer-atlas embed`: --samples defaults to the study's
# 10,000 Monte Carlo samples; the count is recorded in the yaml's options and in its command.
# --train-split keeps only the train_* arrays of a split .npz (MedMNIST's layout), the images the
# studies fine-tuned on; it needs python3 with numpy.
set -eu
path=$1; id=$2; sample=$3; shift 3
samples=10000
train=''
while [ $# -gt 0 ]; do
  case $1 in
    --samples) samples=$2; shift 2 ;;
    --train-split) train=1; shift ;;
    *) break ;;
  esac
done
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
export TA_DATA_DIR="$store"
input=$path
if [ -n "$train" ]; then
  input="$store/train.npz"
  python3 -c 'import sys, numpy as np
d = np.load(sys.argv[1])
np.savez(sys.argv[2], train_images=d["train_images"], train_labels=d["train_labels"])' "$path" "$input"
fi
npm run --silent build
node dist/src/cli/main.js datasets add "$input" --id "$id" --name "$id" --min-class-size 1 "$@" >/dev/null
node dist/src/cli/main.js embed "$id" --samples "$samples" --seed 0
node --import tsx scripts/registry-embedding.ts "$id" "$id" "$sample" \
  "scripts/registry-embedding.sh $path $id \"$sample\" --samples $samples${train:+ --train-split} $*"

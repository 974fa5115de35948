#!/usr/bin/env python3
"""Rebuild task2vec_resnet50_mean.{npy,json} from the study's per-subset Task2Vec embeddings.

Usage: python3 make_mean_embeddings.py [DIR]
DIR holds task2vec_<dataset>.npy ([10, 53120] float32, subsets 0-9) and meta.json;
by default the project's shared copy, ../shared/reference/cats-scans next to the repository.
"""
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SOURCE = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / ".." / "shared" / "reference" / "cats-scans"
PROBE = {
    "id": "torchvision-resnet50-imagenet1k-v1",
    "architecture": "resnet50",
    "inputSize": 224,
    "pixelScaling": "imagenet-mean-std",
    "weights": "torchvision IMAGENET1K_V1",
}
DIM = 53120
SUBSETS = 10


def common_options(meta):
    """The study ran every dataset with the same settings; refuse to average over runs that differ."""
    runs = [{k: v for k, v in run.items() if k != "dataset"} for run in meta["meta"].values()]
    if any(run != runs[0] for run in runs):
        sys.exit("meta.json: the datasets were not embedded with identical options")
    return runs[0]


def main():
    meta = json.loads((SOURCE / "meta.json").read_text())
    if meta["subsets"] != [0, SUBSETS - 1]:
        sys.exit(f"meta.json: expected subsets 0-{SUBSETS - 1}, found {meta['subsets']}")
    options = common_options(meta)
    datasets = meta["datasets"]
    means = np.empty((len(datasets), DIM), dtype="<f4")
    for row, dataset in enumerate(datasets):
        subsets = np.load(SOURCE / f"task2vec_{dataset}.npy")
        if subsets.shape != (SUBSETS, DIM) or subsets.dtype != np.float32:
            sys.exit(f"task2vec_{dataset}.npy: expected float32 {(SUBSETS, DIM)}, found {subsets.dtype} {subsets.shape}")
        # Summing in float64 keeps the mean independent of summation order before rounding to float32.
        means[row] = subsets.astype(np.float64).mean(axis=0)
    np.save(HERE / "task2vec_resnet50_mean.npy", np.ascontiguousarray(means), allow_pickle=False)
    index = {
        "datasets": datasets,
        "file": "task2vec_resnet50_mean.npy",
        "probe": PROBE,
        "method": options["task2vec"]["method"],
        "hessian": "diagonal Fisher per filter",
        "subsets": f"mean of subsets 0-{SUBSETS - 1}",
        "task2vec": {k: v for k, v in options["task2vec"].items() if k != "method"},
        "classifier_opts": options["classifier_opts"],
        "loader": options["loader"],
        "model": options["model"],
    }
    (HERE / "task2vec_resnet50_mean.json").write_text(json.dumps(index, indent=2) + "\n")
    print(f"wrote {len(datasets)} x {DIM} float32 means: {', '.join(datasets)}")


if __name__ == "__main__":
    main()

"""The PyTorch CPU reference for bench/task2vec.ts: the same Task2Vec pipeline on the same images.

The network is the bundled probe itself, rebuilt layer by layer from its model.json and loaded with
its weights, so both sides differentiate the same MobileNetV2 0.35. Stages and options follow
src/task2vec: bilinear resize (half-pixel centres, no antialiasing), grey to three channels, the
probe's pixel scaling; forward passes for the features; a softmax head fitted with Adam on
class-balanced batches; then the Monte Carlo Fisher, labels drawn from the head's own predictions,
the batch-mean cross-entropy back-propagated, squared gradients of every convolution, depthwise and
batch-norm gamma weight reduced per filter. Prints one JSON object with the seconds of each stage.
"""

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def read_npz(path, split, count):
    with zipfile.ZipFile(path) as z:
        images = np.load(z.open(f"{split}_images.npy"))[:count]
        labels = np.load(z.open(f"{split}_labels.npy"))[:count].reshape(-1)
    if images.ndim == 3:
        images = images[..., None]
    return images, labels.astype(np.int64)


def read_weights(folder, manifest):
    blob = b"".join((folder / p).read_bytes() for group in manifest for p in group["paths"])
    weights, offset = {}, 0
    for group in manifest:
        for w in group["weights"]:
            if w["dtype"] != "float32":
                raise ValueError(f"{w['name']}: {w['dtype']} weights are not read here")
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            weights[w["name"]] = torch.from_numpy(np.frombuffer(blob, "<f4", n, offset).reshape(w["shape"]).copy())
            offset += 4 * n
    return weights


class KerasGraph(torch.nn.Module):
    """The Keras functional graph of the probe's inner model, NCHW, batch norm in inference mode."""

    def __init__(self, layers, weights):
        super().__init__()
        self.layers = layers
        self.params = torch.nn.ParameterDict()
        self.buffers_ = {}
        self.fisher = []
        for layer in layers:
            name, kind = layer["config"]["name"], layer["class_name"]
            if kind == "Conv2D":
                w = weights[f"{name}/kernel"].permute(3, 2, 0, 1)
                self.params[name] = torch.nn.Parameter(w.contiguous())
                self.fisher.append(name)
            elif kind == "DepthwiseConv2D":
                kh, kw, cin, mult = weights[f"{name}/depthwise_kernel"].shape
                w = weights[f"{name}/depthwise_kernel"].permute(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
                self.params[name] = torch.nn.Parameter(w.contiguous())
                self.fisher.append(name)
            elif kind == "BatchNormalization":
                self.params[name] = torch.nn.Parameter(weights[f"{name}/gamma"])
                self.buffers_[name] = (
                    weights[f"{name}/beta"],
                    weights[f"{name}/moving_mean"],
                    weights[f"{name}/moving_variance"],
                    layer["config"].get("epsilon", 1e-3),
                )
                self.fisher.append(name)

    def forward(self, x):
        out = {}
        for layer in self.layers:
            c, kind = layer["config"], layer["class_name"]
            inputs = [out[node[0]] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else [x]
            h = inputs[0]
            if kind == "InputLayer":
                y = x
            elif kind == "ZeroPadding2D":
                (top, bottom), (left, right) = c["padding"]
                y = F.pad(h, (left, right, top, bottom))
            elif kind in ("Conv2D", "DepthwiseConv2D"):
                w = self.params[c["name"]]
                pad = "same" if c["padding"] == "same" and tuple(c["strides"]) == (1, 1) else 0
                if c["padding"] == "same" and tuple(c["strides"]) != (1, 1):
                    raise ValueError(f"{c['name']}: strided 'same' padding is not rebuilt here")
                groups = h.shape[1] if kind == "DepthwiseConv2D" else 1
                y = F.conv2d(h, w, stride=tuple(c["strides"]), padding=pad, groups=groups)
            elif kind == "BatchNormalization":
                beta, mean, var, eps = self.buffers_[c["name"]]
                y = F.batch_norm(h, mean, var, self.params[c["name"]], beta, training=False, eps=eps)
            elif kind == "ReLU":
                y = torch.clamp(h, 0, c["max_value"]) if c.get("max_value") is not None else F.relu(h)
            elif kind == "Add":
                y = sum(inputs)
            else:
                raise ValueError(f"{c['name']}: {kind} layers are not rebuilt here")
            out[c["name"]] = y
        return out[self.layers[-1]["config"]["name"]].mean(dim=(2, 3))


def load_probe(folder):
    model = json.loads((folder / "model.json").read_text())
    topology = model["modelTopology"]
    config = (topology.get("model_config") or topology)["config"]
    inner = next(layer for layer in config["layers"] if layer["class_name"] == "Model")["config"]["layers"]
    probe = json.loads((folder / "probe.json").read_text())
    return KerasGraph(inner, read_weights(folder, model["weightsManifest"])), probe


def preprocess(images, size, scaling):
    x = torch.from_numpy(images).float().permute(0, 3, 1, 2)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=False)
    if scaling == "minus1to1":
        return x / 127.5 - 1
    if scaling == "zero1":
        return x / 255
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255
    return (x - mean) / std


def balanced_batches(labels, samples, batch_size, generator):
    """Class-balanced draws with replacement, cut into batches; a final partial batch is dropped."""
    classes = np.unique(labels)
    weights = torch.tensor([1 / (labels == labels[i]).sum() / len(classes) for i in range(len(labels))])
    per_epoch, size = (1, samples) if samples < batch_size else (samples // batch_size, batch_size)
    order = torch.multinomial(weights, per_epoch * size, replacement=True, generator=generator)
    return order.view(per_epoch, size)


def run(args, size, model, probe, images, labels):
    generator = torch.Generator().manual_seed(args.seed)
    timings = {}

    t = time.perf_counter()
    x = preprocess(images, size, probe["pixelScaling"])
    timings["preprocess"] = time.perf_counter() - t

    t = time.perf_counter()
    with torch.no_grad():
        features = torch.cat([model(x[i : i + args.batch_size]) for i in range(0, len(x), args.batch_size)])
    timings["features"] = time.perf_counter() - t

    t = time.perf_counter()
    classes = int(labels.max()) + 1
    head = torch.nn.Linear(features.shape[1], classes)
    optimiser = torch.optim.Adam(head.parameters(), lr=4e-4, weight_decay=1e-4)
    y = torch.from_numpy(labels)
    for _ in range(args.epochs):
        for batch in balanced_batches(labels, args.samples, args.batch_size, generator):
            optimiser.zero_grad()
            F.cross_entropy(head(features[batch]), y[batch]).backward()
            optimiser.step()
    timings["classifier"] = time.perf_counter() - t

    t = time.perf_counter()
    params = [model.params[name] for name in model.fisher]
    total = [torch.zeros(p.shape[0]) for p in params]
    batches = balanced_batches(labels, args.samples, args.batch_size, generator)
    for batch in batches:
        logits = head(model(x[batch]))
        drawn = torch.multinomial(F.softmax(logits, 1).detach(), 1, generator=generator).view(-1)
        grads = torch.autograd.grad(F.cross_entropy(logits, drawn), params)
        for acc, g in zip(total, grads):
            acc += g.pow(2).reshape(g.shape[0], -1).mean(1)
    hessian = torch.cat(total) / len(batches)
    timings["fisher"] = time.perf_counter() - t

    return {
        "inputSize": size,
        "totalSeconds": sum(timings.values()),
        "stagesSeconds": timings,
        "embeddingLength": hessian.numel(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npz", required=True)
    parser.add_argument("--probe", required=True)
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--sizes", default="224,96")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    model, probe = load_probe(Path(args.probe))
    model.requires_grad_(True)
    images, labels = read_npz(args.npz, "train", args.images)
    runs = []
    for size in args.sizes.split(","):
        runs.append(run(args, int(size), model, probe, images, labels))
        # On stderr as each size finishes, so that a run stopped later still shows what it measured.
        print(f"  PyTorch {size}px: {json.dumps(runs[-1]['stagesSeconds'])}", file=sys.stderr, flush=True)
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "runs": runs}))


if __name__ == "__main__":
    main()

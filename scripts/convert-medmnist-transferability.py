#!/usr/bin/env python3
"""Regenerates datasets-registry/published/medmnist-transferability/ from the study's published files.

Usage: python3 scripts/convert-medmnist-transferability.py [SOURCE_DIR]
SOURCE_DIR defaults to ../shared/reference/medmnist-transferability beside the repository: a copy of
DovileDo/transferability-in-medical-imaging (results/ and finetuned_AUCs/). Standard library only.

Writes results.csv, signals.csv, spread.csv, backbones/*.yaml, study.yaml and LICENSE. Stops with a
message, writing nothing, when the published files disagree with each other.
"""
import csv
import math
import os
import shutil
import sys
import tempfile
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, 'datasets-registry', 'published', 'medmnist-transferability')
SOURCE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, '..', 'shared', 'reference', 'medmnist-transferability')

TARGETS = ['bloodmnist', 'breastmnist', 'chestmnist', 'dermamnist', 'octmnist', 'organamnist', 'organcmnist',
           'organsmnist', 'pathmnist', 'pneumoniamnist', 'retinamnist', 'tissuemnist']
# The study's source flags; 'medmnist' is the pool of every MedMNIST set but the target.
SOURCE_IDS = {'imagenet': 'imagenet', 'radimagenet': 'radimagenet', 'medmnist': 'medmnist-all-but-target',
              **{t: t for t in TARGETS}}
# The architecture experiment's model names; 'resnet' is the ResNet-18 of the source experiment.
ARCHITECTURES = {'densenet': 'densenet', 'efficientnet': 'efficientnet', 'googlenet': 'googlenet',
                 'mnasnet': 'mnasnet', 'mobilenet': 'mobilenet', 'vgg': 'vgg', 'convnext': 'convnext',
                 'shufflenet': 'shufflenet', 'resnet': 'resnet18'}
SIGNALS = ['logme', 'leep', 'nleep', 'sfda', 'parc', 'ncti', 'lp', 'fu']
# Two floats printed by different code paths may differ in the last bits; beyond this they are different numbers.
SAME = 1e-12


def fail(message):
    sys.exit(f'convert-medmnist-transferability: {message}')


def source_backbone(flag):
    return f'{SOURCE_IDS[flag]}-resnet18'


def model_backbone(name):
    return f'imagenet-{ARCHITECTURES[name]}'


def read_matrix(name, scale=1.0):
    """A results/<name>.csv table: one row per source or model, one column per target; empty cells are absent."""
    path = os.path.join(SOURCE, 'results', name)
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    cells = {}
    for row in rows:
        for target in TARGETS:
            text = row.get(target, '')
            if text is None or text == '':
                continue
            value = float(text) / scale
            if not math.isfinite(value):
                fail(f'{path}: {row["source"]} -> {target} is {text}')
            cells[(row['source'], target)] = value
    return cells


def backbone_results():
    """(backbone, target) -> AUC from both experiments; ImageNet ResNet-18 appears in both and must agree."""
    results = {}
    for (flag, target), value in read_matrix('AUCs_dataset.csv').items():
        results[(source_backbone(flag), target)] = value
    for (name, target), value in read_matrix('AUCs_model.csv', scale=100.0).items():
        key = (model_backbone(name), target)
        if key in results:
            if abs(results[key] - value) > SAME:
                fail(f'AUCs_model.csv {name} -> {target} is {value}, AUCs_dataset.csv says {results[key]}')
            continue
        results[key] = value
    return results


def backbone_signals():
    """(backbone, target, signal) -> score. Scores for source == target (no fine-tuning result) are left out,
    and the source experiment's ImageNet ResNet-18 scores are kept where the model experiment recomputed them."""
    signals = {}
    recomputed = 0
    for signal in SIGNALS:
        for (flag, target), value in read_matrix(f'{signal}_dataset.csv').items():
            if SOURCE_IDS[flag] == target:
                continue
            signals[(source_backbone(flag), target, signal)] = value
        for (name, target), value in read_matrix(f'{signal}_model.csv').items():
            key = (model_backbone(name), target, signal)
            if key in signals:
                recomputed += abs(signals[key] - value) > SAME
                continue
            signals[key] = value
    return signals, recomputed


def quantile(sorted_values, q):
    """Linear interpolation between order statistics (numpy's default, Hyndman and Fan type 7)."""
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def spread(results):
    """Test AUC of every finished run per pair (source_flag and target_flag name the pair), summarised; the
    run with the lowest validation loss must be the published number, as the study says it chose so."""
    runs = defaultdict(list)
    folder = os.path.join(SOURCE, 'finetuned_AUCs')
    for name in sorted(os.listdir(folder)):
        architectures = name.endswith('_imnet.csv')
        with open(os.path.join(folder, name), newline='') as f:
            for row in csv.DictReader(f):
                if row['Status'] != 'FINISHED' or row['test_auc'] == '':
                    continue
                backbone = model_backbone(row['source_flag']) if architectures else source_backbone(row['source_flag'])
                runs[(backbone, row['target_flag'])].append((float(row['val_loss']), float(row['test_auc'])))
    summary = {}
    for key, pairs in runs.items():
        if key not in results:
            fail(f'finetuned_AUCs has runs for {key} but the results tables do not')
        chosen = min(pairs, key=lambda p: p[0])[1]
        if abs(chosen - results[key]) > SAME:
            fail(f'{key}: the lowest-validation-loss run has test AUC {chosen}, the published figure is {results[key]}')
        values = sorted(p[1] for p in pairs)
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        summary[key] = [len(values), values[0], quantile(values, 0.25), quantile(values, 0.5),
                        quantile(values, 0.75), values[-1], sd]
    return summary


def write_csv(folder, name, header, rows):
    with open(os.path.join(folder, name), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(header)
        w.writerows(rows)


def number(x):
    return repr(float(x)) if isinstance(x, float) else str(x)


WEIGHTS = {
    'imagenet': ('torchvision', 'https://download.pytorch.org/models/resnet18-f37072fd.pth',
                 'torchvision ResNet-18 IMAGENET1K_V1', 'BSD-3-Clause (torchvision); ImageNet terms for the data'),
    'radimagenet': ('study', 'https://osf.io/4zgrd/',
                    "the study's ResNet-18 pretrained on RadImageNet", 'MIT (study); RadImageNet terms for the data'),
    'medmnist': ('study', 'https://osf.io/4zgrd/',
                 "the study's leave-target-out ResNet-18, one per target, pretrained on the other MedMNIST sets", 'MIT (study)'),
}
MEDMNIST_WEIGHTS = ('medmnist', 'https://medmnist.com/',
                    "MedMNIST v2's released ResNet-18 (224) trained on this set", 'CC BY 4.0 (MedMNIST)')


def backbone_files(folder):
    for flag, source in SOURCE_IDS.items():
        provider, url, reference, licence = WEIGHTS.get(flag, MEDMNIST_WEIGHTS)
        yield source_backbone(flag), source, 'resnet18', provider, url, reference, licence
    for name, architecture in ARCHITECTURES.items():
        if name == 'resnet':
            continue
        yield (model_backbone(name), 'imagenet', architecture, 'torchvision', 'https://pytorch.org/vision/stable/models.html',
               f'torchvision {architecture} with ImageNet weights (the study names the family, not the variant)',
               'BSD-3-Clause (torchvision); ImageNet terms for the data')


def write_backbones(folder):
    os.mkdir(os.path.join(folder, 'backbones'))
    for backbone, source, architecture, provider, url, reference, licence in backbone_files(folder):
        with open(os.path.join(folder, 'backbones', f'{backbone}.yaml'), 'w') as f:
            f.write(f'id: {backbone}\nsource: {source}\narchitecture: {architecture}\nweights:\n'
                    f'  provider: {provider}\n  url: {url}\n  reference: "{reference}"\n  licence: "{licence}"\n')


STUDY = """\
id: medmnist-transferability
title: On dataset transferability in medical image classification
authors: Dovile Juodelyte, Enzo Ferrante, Yucheng Lu, Prabhant Singh, Joaquin Vanschoren, Veronika Cheplygina
year: 2024
citation: "Juodelyte D, Ferrante E, Lu Y, Singh P, Vanschoren J, Cheplygina V. On dataset transferability in medical image classification. arXiv:2412.20172, 2024."
doi: 10.48550/arXiv.2412.20172
url: https://github.com/DovileDo/transferability-in-medical-imaging
licence: MIT
metric: auc
protocol:
  architecture: resnet18 (source experiment); nine ImageNet architectures (architecture experiment)
  image_size: 224
  fine_tuning: full
  hyperparameters: >-
    Grid of 120 configurations per pair (learning rate 1e-5 to 1, batch size 128 or 256, momentum 0 or 0.9,
    weight decay 0 to 1e-3; SGD with cosine annealing); the reported AUC is the test AUC of the configuration
    with the lowest validation loss. Targets were subsampled to 100 training images per class.
  runs: 120
candidate_sets:
  - id: sources
    description: ResNet-18 pretrained on each of 14 sources (ImageNet, RadImageNet, the other MedMNIST sets pooled, and the 11 single MedMNIST sets other than the target)
    backbones: [{sources}]
  - id: architectures
    description: Nine ImageNet-pretrained architectures
    backbones: [{architectures}]
"""


def main():
    if not os.path.isdir(os.path.join(SOURCE, 'results')):
        fail(f'no results/ in {SOURCE}')
    results = backbone_results()
    signals, recomputed = backbone_signals()
    summary = spread(results)

    tmp = tempfile.mkdtemp(prefix='.medmnist-', dir=os.path.dirname(OUT))
    write_csv(tmp, 'results.csv', ['backbone', 'target', 'fold', 'value'],
              [[b, t, '', number(v)] for (b, t), v in sorted(results.items())])
    write_csv(tmp, 'signals.csv', ['backbone', 'target', 'signal', 'value'],
              [[b, t, s, number(v)] for (b, t, s), v in sorted(signals.items())])
    write_csv(tmp, 'spread.csv', ['backbone', 'target', 'runs', 'min', 'q25', 'median', 'q75', 'max', 'sd'],
              [[b, t, *map(number, row)] for (b, t), row in sorted(summary.items())])
    write_backbones(tmp)
    sources = ', '.join(source_backbone(f) for f in SOURCE_IDS)
    architectures = ', '.join(model_backbone(n) for n in ARCHITECTURES)
    with open(os.path.join(tmp, 'study.yaml'), 'w') as f:
        f.write(STUDY.format(sources=sources, architectures=architectures))
    shutil.copyfile(os.path.join(SOURCE, 'LICENSE'), os.path.join(tmp, 'LICENSE'))

    # CITATION.md is written by hand and kept; everything else is replaced as a whole.
    if os.path.exists(os.path.join(OUT, 'CITATION.md')):
        shutil.copyfile(os.path.join(OUT, 'CITATION.md'), os.path.join(tmp, 'CITATION.md'))
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.rename(tmp, OUT)
    print(f'{len(results)} results, {len(signals)} signals ({recomputed} model-experiment ImageNet ResNet-18 scores '
          f'differing from the source experiment, left out), {len(summary)} spreads, '
          f'{sum(1 for _ in backbone_files(OUT))} backbones -> {os.path.relpath(OUT, os.getcwd())}')


main()

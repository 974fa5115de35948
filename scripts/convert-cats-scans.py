#!/usr/bin/env python3
"""Writes datasets-registry/published/cats-scans/results.csv and backbones/*.yaml from the study's auc_folds.csv.

Usage: python3 scripts/convert-cats-scans.py [AUC_FOLDS_CSV]
AUC_FOLDS_CSV defaults to ../shared/reference/cats-scans/auc_folds.csv beside the repository
(`source,target,fold_1..fold_5`; source == target is the baseline trained on the target alone). Standard library only.
"""
import csv
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, 'datasets-registry', 'published', 'cats-scans')
SOURCE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, '..', 'shared', 'reference', 'cats-scans', 'auc_folds.csv')
ARCHITECTURE = 'resnet50'

with open(SOURCE, newline='') as f:
    published = list(csv.DictReader(f))

rows = []
sources = set()
for r in published:
    baseline = r['source'] == r['target']
    backbone = '' if baseline else f"{r['source']}-{ARCHITECTURE}"
    if not baseline:
        sources.add(r['source'])
    for fold in range(1, 6):
        rows.append([backbone, r['target'], fold, r[f'fold_{fold}']])

with open(os.path.join(OUT, 'results.csv.tmp'), 'w', newline='') as f:
    w = csv.writer(f, lineterminator='\n')
    w.writerow(['backbone', 'target', 'fold', 'value'])
    w.writerows(rows)
os.replace(os.path.join(OUT, 'results.csv.tmp'), os.path.join(OUT, 'results.csv'))

os.makedirs(os.path.join(OUT, 'backbones'), exist_ok=True)
for source in sorted(sources):
    if source == 'imagenet':
        weights = ('torchvision', 'https://download.pytorch.org/models/resnet50-0676ba61.pth',
                   'an ImageNet-pretrained ResNet-50; torchvision ResNet-50 IMAGENET1K_V1 is the public equivalent',
                   'BSD-3-Clause (torchvision); ImageNet terms for the data')
    else:
        weights = ('study', 'https://osf.io/x2fpg/', f"the study's ResNet-50 pretrained on {source}",
                   'not stated by the study')
    with open(os.path.join(OUT, 'backbones', f'{source}-{ARCHITECTURE}.yaml'), 'w') as f:
        f.write(f'id: {source}-{ARCHITECTURE}\nsource: {source}\narchitecture: {ARCHITECTURE}\nweights:\n'
                f'  provider: {weights[0]}\n  url: {weights[1]}\n  reference: "{weights[2]}"\n  licence: "{weights[3]}"\n')
print(f'{len(published)} published rows, {len(rows)} fold rows, {len(sources)} backbones -> {os.path.relpath(OUT, os.getcwd())}')

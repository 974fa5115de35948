import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkSignalRows,
  checkStudyIds,
  parseStudy,
  readStudyFolder,
  signalsFromCsv,
} from '../../src/studies/index.js';
import { RESULTS_CSV, SIGNALS_CSV, STUDY_YAML, tinyStudy } from './fixture.js';

const refused = (f: () => unknown, pattern: RegExp) =>
  assert.throws(f, (err: Error) => (assert.match(err.message, pattern), true));

test('a study folder parses into one shape: runs grouped by backbone and target, the baseline as null', () => {
  const study = parseStudy(tinyStudy());
  assert.equal(study.meta.id, 'tiny-study');
  assert.deepEqual(
    study.runs.map((r) => [r.backbone, r.target, r.folds.map((f) => f.value)]),
    [
      ['imagenet-resnet18', 'isic', [0.81, 0.83]],
      ['tiny-chest-resnet18', 'isic', [0.78, 0.8]],
      [null, 'isic', [0.7, 0.72]],
      ['imagenet-resnet18', 'chest', [0.9, 0.91]],
    ],
  );
  assert.deepEqual(study.candidateSets, [
    {
      id: 'all',
      description: 'every backbone with a result in the study',
      backbones: ['imagenet-resnet18', 'tiny-chest-resnet18'],
    },
  ]);
  assert.deepEqual(
    study.signals.map((s) => [s.subjectKind, s.subject, s.signal, s.value]),
    [
      ['backbone', 'imagenet-resnet18', 'logme', 1.5],
      ['backbone', 'tiny-chest-resnet18', 'logme', 0.5],
    ],
  );
});

test('a study without licence or citation is refused naming study.yaml, its line and the field', () => {
  refused(
    () => parseStudy(tinyStudy({ 'study.yaml': STUDY_YAML.replace(/^licence: .*\n/m, '') })),
    /tiny-study\/study\.yaml:1: field 'licence': /,
  );
  refused(
    () => parseStudy(tinyStudy({ 'study.yaml': STUDY_YAML.replace(/^citation: .*$/m, 'citation: ""') })),
    /tiny-study\/study\.yaml:5: field 'citation': a study must say how to cite it/,
  );
  refused(
    () => parseStudy(tinyStudy({ 'study.yaml': STUDY_YAML.replace(/^url: .*\n/m, '') })),
    /field 'doi': a study needs a doi or a url/,
  );
});

test('NaN, a metric out of range and a second value for one key are refused with file, line and field', () => {
  refused(
    () => parseStudy(tinyStudy({ 'results.csv': RESULTS_CSV.replace('0.83', 'NaN') })),
    /tiny-study\/results\.csv:3: field 'value': 'NaN' is not a finite number/,
  );
  refused(
    () => parseStudy(tinyStudy({ 'results.csv': RESULTS_CSV.replace('0.83', '83') })),
    /results\.csv:3: field 'value': 83 is outside the metric's range \[0, 1\]/,
  );
  refused(
    () => parseStudy(tinyStudy({ 'results.csv': `${RESULTS_CSV}imagenet-resnet18,isic,2,0.84\n` })),
    /results\.csv:10: field 'fold': a second value for imagenet-resnet18 on isic fold 2/,
  );
  refused(
    () =>
      parseStudy(
        tinyStudy({ 'results.csv': RESULTS_CSV.replace('imagenet-resnet18,chest,2,', 'imagenet-resnet18,chest,3,') }),
      ),
    /field 'fold': imagenet-resnet18 on chest has folds 1, 3/,
  );
  refused(
    () => parseStudy(tinyStudy({ 'signals.csv': `${SIGNALS_CSV}imagenet-resnet18,isic,logme,1.6\n` })),
    /signals\.csv:4: field 'signal': a second logme for imagenet-resnet18 on isic/,
  );
  refused(
    () => parseStudy(tinyStudy({ 'signals.csv': SIGNALS_CSV.replace('1.5', 'inf') })),
    /signals\.csv:2: field 'value': 'inf' is not a finite number/,
  );
  refused(
    () => parseStudy(tinyStudy({ 'signals.csv': SIGNALS_CSV.replace(',logme,1.5', ',magic,1.5') })),
    /signals\.csv:2: field 'signal': unknown signal 'magic'/,
  );
});

test('a YAML field error names the line it is on', () => {
  refused(
    () => parseStudy(tinyStudy({ 'study.yaml': STUDY_YAML.replace('metric: accuracy', 'metric: f1') })),
    /study\.yaml:8: field 'metric': /,
  );
  refused(
    () => parseStudy(tinyStudy({ 'study.yaml': STUDY_YAML.replace('  folds: 2', '  folds: two') })),
    /study\.yaml:14: field 'protocol\.folds': /,
  );
});

test('ids must be stored or introduced by the study', () => {
  const study = parseStudy(tinyStudy());
  const known = { datasets: new Set(['isic', 'chest', 'imagenet']), backbones: new Set(['imagenet-resnet18']) };
  checkStudyIds(study, known);
  refused(
    () => checkStudyIds(study, { ...known, backbones: new Set() }),
    /results\.csv:2: field 'backbone': unknown backbone 'imagenet-resnet18'/,
  );
  refused(
    () => checkStudyIds(study, { ...known, datasets: new Set(['isic', 'imagenet']) }),
    /backbones\/tiny-chest-resnet18\.yaml:1: field 'source': unknown dataset 'chest'/,
  );
});

test('a study may declare a signal the catalogue lacks, so that it goes in without code changes', () => {
  const declared = `${STUDY_YAML}signals:\n  magic:\n    kind: backbone\n    direction: higher_is_better\n    description: a new score\n`;
  const study = parseStudy(
    tinyStudy({ 'study.yaml': declared, 'signals.csv': SIGNALS_CSV.replaceAll(',logme,', ',magic,') }),
  );
  assert.deepEqual(
    study.signals.map((s) => s.signal),
    ['magic', 'magic'],
  );
});

test('both bundled studies parse', () => {
  const medmnist = parseStudy(readStudyFolder('datasets-registry/published/medmnist-transferability'));
  assert.deepEqual(
    [medmnist.backbones.length, medmnist.runs.length, medmnist.signals.length, medmnist.spreads.length],
    [23, 256, 1936, 256],
  );
  const cats = parseStudy(readStudyFolder('datasets-registry/published/cats-scans'));
  assert.deepEqual(
    [
      cats.backbones.length,
      cats.runs.length,
      cats.runs.filter((r) => r.backbone === null).length,
      cats.expertDistances.length,
    ],
    [9, 24, 3, 27],
  );
});

test('signal imports need finite values, a provenance and one value per key', () => {
  const rows = signalsFromCsv(
    'subject_kind,subject,target,signal,value\nbackbone,imagenet-resnet18,isic,leep,-0.5\nsource,stl10,isic,task2vec_cosine@probe-1,0.2\n',
    'in.csv',
  );
  refused(() => checkSignalRows(rows, {}), /in\.csv:2: field 'provenance': required/);
  assert.deepEqual(
    checkSignalRows(rows, {}, 'contributor:jdoe').map((r) => [r.subject_kind, r.signal, r.value, r.provenance]),
    [
      ['backbone', 'leep', -0.5, 'contributor:jdoe'],
      ['source', 'task2vec_cosine@probe-1', 0.2, 'contributor:jdoe'],
    ],
  );
  refused(
    () =>
      checkSignalRows(signalsFromCsv('backbone,target,signal,value\nimagenet-resnet18,isic,leep,\n', 'x.csv'), {}, 'p'),
    /x\.csv:2: field 'value': '' is not a finite number/,
  );
  refused(
    () => checkSignalRows(signalsFromCsv('source,target,signal,value\nstl10,isic,leep,1\n', 'x.csv'), {}, 'p'),
    /x\.csv:2: field 'signal': 'leep' is a backbone signal, not a source signal/,
  );
  refused(
    () =>
      checkSignalRows(signalsFromCsv('backbone,target,signal,value\na,isic,leep,1\na,isic,leep,2\n', 'x.csv'), {}, 'p'),
    /x\.csv:3: field 'signal': a second leep/,
  );
});

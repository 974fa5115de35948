import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'ta-cli-evidence-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };

function cli(...args: string[]) {
  return runCli(args, { env });
}

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

async function storedCount(): Promise<number> {
  const r = await cli('results', 'list', '--include-withdrawn', '--json');
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as unknown[]).length;
}

function oneLineExit2(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

before(async () => {
  const seeded = await cli('seed');
  assert.equal(seeded.code, 0, seeded.stderr);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('results import refuses bad files naming file:line:field, and stores nothing', async () => {
  const count = await storedCount();
  const header = 'source,target,fold_1,fold_2,fold_3,fold_4,fold_5\n';
  const cases: [string, string, RegExp][] = [
    [
      'auc.csv',
      `${header}kimia,isic,0.9,0.9,0.9,0.9,0.9\nkimia,chest,0.9,1.3,0.9,0.9,0.9\n`,
      /auc\.csv:3: fold_2: metric value must lie in \[0, 1\], got 1\.3/,
    ],
    ['gap.csv', `${header}kimia,isic,0.9,0.9,,0.9,0.9\n`, /gap\.csv:2: fold_3/],
    [
      'unknown.csv',
      `${header}atlantis,isic,0.9,0.9,0.9,0.9,0.9\n`,
      /unknown\.csv:2: source: unknown dataset 'atlantis'/,
    ],
    ['short.csv', 'source,target,fold_1\nkimia,isic\n', /short\.csv:2: has 2 fields/],
    ['bad.json', '{"results": [', /bad\.json: not valid JSON/],
  ];
  for (const [name, text, pattern] of cases) {
    oneLineExit2(
      await cli('results', 'import', file(name, text), '--contributor', 'jdoe', '--architecture', 'resnet50'),
      pattern,
    );
  }
  oneLineExit2(await cli('results', 'import', file('x.txt', 'hello')), /expected a \.csv or \.json file/);
  oneLineExit2(await cli('results', 'import', join(work, 'absent.csv')), /no such file/);
  assert.equal(await storedCount(), count);
});

test("re-importing the study's own results is refused as duplicates naming the stored ids", async () => {
  const count = await storedCount();
  const r = await cli(
    'results',
    'import',
    '../shared/reference/cats-scans/auc_folds.csv',
    '--architecture',
    'resnet50',
    '--contributor',
    'jdoe',
  );
  oneLineExit2(r, /auc_folds\.csv:2 duplicates stored result r_[0-9a-f]{24}/);
  assert.equal(await storedCount(), count);
});

test('a good CSV and a JSON file are stored with transferability, and can be withdrawn by their contributor', async () => {
  const csv = await cli(
    'results',
    'import',
    file('good.csv', 'source,target,fold_1,fold_2,fold_3,fold_4,fold_5\nkimia,isic,0.91,0.92,0.9,0.89,0.9\n'),
    '--contributor',
    'jdoe',
    '--architecture',
    'resnet50',
    '--reference',
    '10.1234/example',
  );
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(csv.stdout, /stored 1 result from good\.csv/);
  const id = /^(r_[0-9a-f]{24}) +isic +kimia +resnet50 +5 +\+\d+\.\d\d ± \d+\.\d\d$/m.exec(csv.stdout)?.[1];
  assert.ok(id, csv.stdout);

  const json = await cli(
    'results',
    'import',
    file(
      'more.json',
      JSON.stringify({
        results: [
          {
            source: 'kimia',
            target: 'chest',
            architecture: 'resnet50',
            protocol: { folds: 2, metric: 'auc-ovr-weighted' },
            folds: [
              { fold: 1, value: 0.9 },
              { fold: 2, value: 0.8 },
            ],
            provenance: {},
          },
        ],
      }),
    ),
    '--contributor',
    'alice',
    '--json',
  );
  assert.equal(json.code, 0, json.stderr);
  const stored = JSON.parse(json.stdout) as { contributor: string; transferability_unavailable?: { reason: string } }[];
  assert.equal(stored[0]!.contributor, 'alice');
  assert.equal(stored[0]!.transferability_unavailable?.reason, 'no-matching-baseline');

  const list = await cli('results', 'list', '--target', 'isic');
  assert.match(list.stdout, /transferability %$/m);
  assert.match(list.stdout, /^isic +imagenet +resnet50 .* \+7\.51 ± 0\.82$/m);
  assert.match(list.stdout, /^isic +\(baseline\) .* \(baseline\)$/m);
  assert.match(list.stdout, /^isic +kimia +resnet50 /m);

  oneLineExit2(await cli('results', 'withdraw', id!, '--by', 'mallory'), /only its contributor or an admin/);
  const done = await cli('results', 'withdraw', id!, '--by', 'jdoe');
  assert.equal(done.code, 0, done.stderr);
  assert.doesNotMatch((await cli('results', 'list', '--target', 'isic')).stdout, /^isic +kimia /m);
});

test("analyze prints the study's correlations, with the ImageNet proxy on request", async () => {
  const plain = await cli('analyze');
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^expert +21 +0\.292 +0\.199 +\[-?\d\.\d{3}, \d\.\d{3}\] +0\.228 +0\.320 /m);
  assert.match(plain.stdout, /^task2vec:torchvision-resnet50-imagenet1k-v1 +18 +0\.161 +0\.524 /m);
  assert.match(plain.stdout, /imagenet->isic \(missing-distance\)/);
  const proxied = await cli('analyze', '--proxy', 'imagenet=stl10');
  assert.match(proxied.stdout, /^cosine:torchvision-resnet50-imagenet1k-v1 +21 +-0\.139 +0\.549 /m);
  assert.match(proxied.stdout, /imagenet->isic via stl10->isic/);
  oneLineExit2(await cli('analyze', '--proxy', 'imagenet'), /not a proxy mapping/);
  oneLineExit2(await cli('analyze', '--proxy', 'imagenet=atlantis'), /atlantis/);
});

test('evaluate --study prints, per candidate set (and pooled when there are several), the ranker against every baseline with intervals and coverage', async () => {
  const r = await cli('evaluate', '--study', 'cats-scans', '--resamples', '200', '--null-repeats', '100');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^leave-one-target-out on the z-within-group scale/m);
  assert.match(r.stdout, /^## cats-scans\/all: 3 held-out targets$/m);
  assert.match(r.stdout, /interval coverage over \d+ held-out pairs: 80% -> \d+\.\d%, 90% -> \d+\.\d%/);
  assert.match(r.stdout, /^method +weighted tau \[95% CI\] +spearman +ndcg@3 +regret@1 +top-1 hits +wilcoxon p/m);
  // ImageNet is the study's best backbone on all three targets, and the ranker puts it first on each.
  assert.match(r.stdout, /^learned ranker +-?\d\.\d{3} \[.*\] .* 3\.0 +—$/m);
  for (const m of ['history prior', 'largest source', 'random']) assert.match(r.stdout, new RegExp(`^${m} `, 'm'));
  oneLineExit2(await cli('evaluate', '--study', 'atlantis'), /atlantis/);
  oneLineExit2(await cli('evaluate', '--resamples', 'zero'), /not a positive integer/);
});

test('recommend prints backbones with 80% and 90% intervals, weights and a reason; unknown targets exit 2', async () => {
  const isic = await cli(
    'recommend',
    'isic',
    '--top',
    '3',
    '--study',
    'cats-scans',
    '--candidate-set',
    'all',
    '--explain',
  );
  assert.equal(isic.code, 0, isic.stderr);
  assert.match(isic.stdout, /z-score among the ranked backbones \(z-within-group\)/);
  assert.match(
    isic.stdout,
    /^1 +imagenet-resnet50 +measured +[+-]\d+\.\d\d +\[[+-]\d+\.\d\d, [+-]\d+\.\d\d\] +\[[+-]\d+\.\d\d, [+-]\d+\.\d\d\] +torchvision .*measured: 1 of \d+ in cats-scans\/all/m,
  );
  assert.equal(
    isic.stdout
      .trim()
      .split('\n')
      .filter((l) => /^\d+ /.test(l)).length,
    3,
  );
  assert.match(isic.stdout, /^imagenet-resnet50: track record [+-]\d\.\d\d; traits [+-]\d\.\d\d; .*expert_distance/m);
  assert.match(isic.stdout, /measured on \d+ targets, first in \d+ of \d+ groups/);
  // OCTMNIST: a measured MedMNIST target with no embedding under the bundled probe.
  const oct = await cli('recommend', 'octmnist', '--json');
  assert.equal(oct.code, 0, oct.stderr);
  const body = JSON.parse(oct.stdout) as {
    scale: string;
    target_embedded: boolean;
    without_embedding: string[];
    items: { backbone: string; basis: string }[];
  };
  assert.equal(body.scale, 'z-within-group');
  assert.equal(body.target_embedded, false);
  assert.ok(body.without_embedding.includes('imagenet'));
  assert.ok(body.items.length >= 20);
  assert.ok(body.items.some((i) => i.basis === 'measured'));
  oneLineExit2(await cli('recommend', 'atlantis'), /atlantis/);
  oneLineExit2(await cli('recommend', 'isic', '--candidates', 'imagenet-resnet50,atlantis'), /atlantis/);
  oneLineExit2(await cli('recommend', 'isic', '--study', 'cats-scans'), /--study and --candidate-set/);
});

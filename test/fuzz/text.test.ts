/**
 * Text formats of outside files: CSV (manifests, results, signals, study tables) and the registry's dataset YAML.
 * Mutated and random text gives a value or the parser's own clear error, never another exception.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CsvError, parseCsv, parseCsvRecords } from '../../src/csv.js';
import { readRegistryDatasets } from '../../src/registry/index.js';
import { contributionsFromCsv } from '../../src/transfer/index.js';
import { signalsFromCsv } from '../../src/studies/index.js';
import { isAppError, mutatedText, outcome, settings } from './support.js';

const isCsvError = (e: unknown): e is CsvError => e instanceof CsvError && e.line >= 1;

/** RFC 4180 as a writer would do it: quote a field when it holds a comma, a quote or a line break. */
function encodeCsv(rows: readonly (readonly string[])[]): string {
  return rows
    .map((row) => row.map((f) => (/[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(','))
    .join('\r\n');
}

test('CSV: what a writer quotes, the parser reads back field for field', async () => {
  const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '\u0000'), maxLength: 8 });
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.array(field, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
      async (width, rows) => {
        // A record of one blank field (quoted or not) is a blank line, which the parser skips by design.
        const table = rows.map((r) => r.slice(0, width)).filter((r) => r.length > 1 || r[0]!.trim() !== '');
        const records = parseCsvRecords(encodeCsv(table));
        assert.deepEqual(
          records.map((r) => r.fields),
          table.map((r) => [...r]),
        );
      },
    ),
    settings(),
  );
});

test('CSV: mutated and random text gives records with their lines or CsvError', async () => {
  const examples = [
    'path,label,split\nbenign/0.png,benign,train\n"malignant/1,2.png",malignant,test\n',
    'backbone,target,fold,value\nimagenet-resnet18,isic,1,0.81\n,isic,1,0.7\n',
  ];
  await fc.assert(
    fc.asyncProperty(mutatedText(examples), async (text) => {
      const got = await outcome('parseCsv', () => parseCsv(text, ['path']), isCsvError);
      if (got.ok) {
        const lines = got.value.rows.map((r) => r.line);
        assert.deepEqual(
          lines,
          [...lines].sort((a, b) => a - b),
        );
        for (const r of got.value.rows) assert.equal(Object.keys(r.values).length, new Set(got.value.header).size);
      }
      const results = contributionsFromCsv(text);
      if (!results.ok) assert.ok(results.errors.length > 0);
      await outcome('signalsFromCsv', () => signalsFromCsv(text, 'fuzz.csv'), isAppError);
    }),
    settings(),
  );
});

let registry: string;
const datasets: Record<string, string> = {};

before(() => {
  registry = mkdtempSync(join(tmpdir(), 'ta-fuzz-registry-'));
  for (const name of readdirSync('datasets-registry/datasets').slice(0, 6))
    datasets[name] = readFileSync(join('datasets-registry/datasets', name), 'utf8');
});
after(() => rmSync(registry, { recursive: true, force: true }));

let next = 0;

test('registry: mutated dataset YAML files load as datasets or are refused with an AppError naming the file', async () => {
  const names = Object.keys(datasets);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...names), mutatedText(Object.values(datasets)), async (name, text) => {
      const dir = join(registry, `r${next++}`);
      mkdirSync(join(dir, 'datasets'), { recursive: true });
      writeFileSync(join(dir, 'datasets', name), text);
      try {
        const got = await outcome('readRegistryDatasets', () => readRegistryDatasets(dir), isAppError);
        if (got.ok) {
          assert.equal(got.value.length, 1);
          assert.equal(got.value[0]!.dataset.id, name.replace(/\.ya?ml$/, ''));
        } else {
          assert.equal(got.error.code, 'invalid-request');
          assert.match(got.error.message, new RegExp(name.replace('.', '\\.')));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    settings(),
  );
});

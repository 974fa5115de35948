import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Command } from 'commander';
import { invalid } from '../../errors.js';
import { definedOnly } from '../../defaults.js';
import { presentResult, presentStoredResult } from '../../presenters/evidence.js';
import { importResults, restoreResult, withdrawResult, withStore } from '../../services/index.js';
import { contributionsFromCsv, type CsvDefaults } from '../../transfer/index.js';
import { printJson, table } from '../output.js';
import { transferabilityCell } from './results-format.js';

interface ImportOptions {
  readonly contributor?: string;
  readonly reference?: string;
  readonly architecture?: string;
  readonly json?: boolean;
}

const DOI = /^(https?:\/\/(dx\.)?doi\.org\/)?10\.\d{4,9}\/\S+$/i;

function referenceDefaults(reference: string | undefined): Pick<CsvDefaults, 'doi' | 'url'> {
  if (reference === undefined) return {};
  return DOI.test(reference) ? { doi: reference } : { url: reference };
}

/** CSV columns by validation path, so errors name what the file calls the field. */
function csvColumn(path: string): string {
  const fold = /^folds\[(\d+)\](\.value|\.fold)?$/.exec(path);
  if (fold) return `fold_${Number(fold[1]) + 1}`;
  if (path === 'folds') return 'fold columns';
  return path.replace(/^provenance\./, '').replace(/^protocol\./, '');
}

function csvField(file: string, lines: readonly number[]): (path: string) => string {
  return (path) => {
    const m = /^\[(\d+)\]\.?(.*)$/.exec(path);
    if (!m) return `${file}: ${path}`;
    const line = lines[Number(m[1])]!;
    return m[2] === '' ? `${file}:${line}` : `${file}:${line}: ${csvColumn(m[2]!)}`;
  };
}

function jsonField(file: string): (path: string) => string {
  return (path) => `${file}: ${path.replace(/^\[(\d+)\]\.?/, 'results[$1].').replace(/\.$/, '')}`;
}

interface ReadItems {
  readonly items: unknown[];
  /** Names a validation path the way the file's reader knows it (file:line: column, or results[i].field). */
  readonly field: (path: string) => string;
}

function readCsv(path: string, shown: string, opts: ImportOptions): ReadItems {
  const parsed = contributionsFromCsv(readFileSync(path, 'utf8'), {
    ...definedOnly({ contributor: opts.contributor, architecture: opts.architecture }),
    ...referenceDefaults(opts.reference),
  });
  if (!parsed.ok) {
    const e = parsed.errors[0]!;
    const line = /^line (\d+)$/.exec(e.field);
    throw invalid(
      `${shown}${line ? `:${line[1]}` : ''}: ${line ? '' : `${e.field}: `}${e.message}`,
      parsed.errors,
      shown,
    );
  }
  return { items: parsed.value.items, field: csvField(shown, parsed.value.lines) };
}

function readJson(path: string, shown: string, opts: ImportOptions): ReadItems {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw invalid(`${shown}: not valid JSON (${(err as Error).message})`, [], shown);
  }
  const items = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { results?: unknown }).results)
      ? (body as { results: unknown[] }).results
      : [body];
  const defaults = { ...definedOnly({ contributor: opts.contributor }), ...referenceDefaults(opts.reference) };
  const wire = items.map((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const record = item as Record<string, unknown>;
    const provenance =
      typeof record.provenance === 'object' && record.provenance !== null
        ? (record.provenance as Record<string, unknown>)
        : {};
    // Flags fill what the file leaves out; they never overrule what it says.
    return {
      ...definedOnly({ architecture: opts.architecture }),
      ...record,
      provenance: { ...defaults, ...provenance },
    };
  });
  return { items: wire, field: jsonField(shown) };
}

export function importCommand(): Command {
  return new Command('import')
    .description(
      'contribute transfer results from a CSV (source,target,fold_1..fold_n[,architecture,...]) or JSON file; all or nothing',
    )
    .argument('<file>', 'a .csv or .json file')
    .option('--contributor <id>', 'who sends the results, where the file does not say')
    .option('--reference <doi or url>', 'the publication or page the results come from, where the file does not say')
    .option('--architecture <name>', 'the architecture, where the file has no architecture column')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: ImportOptions) => {
      const shown = basename(file);
      const ext = extname(file).toLowerCase();
      if (ext !== '.csv' && ext !== '.json')
        throw invalid(`${shown}: expected a .csv or .json file`, [{ field: 'file', message: 'not .csv or .json' }]);
      let read: ReadItems;
      try {
        read = ext === '.csv' ? readCsv(file, shown, opts) : readJson(file, shown, opts);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          throw invalid(`${file}: no such file`, [{ field: 'file', message: 'no such file' }]);
        throw err;
      }
      const { items, field } = read;
      const stored = await withStore((store) => importResults(store, items, field));
      if (opts.json) return printJson(stored.map(presentResult));
      console.log(`stored ${stored.length} result${stored.length === 1 ? '' : 's'} from ${shown}`);
      console.log(
        table(
          ['id', 'target', 'source', 'architecture', 'folds', 'transferability %'],
          stored.map((r) => [
            r.id,
            r.target,
            r.source ?? '(baseline)',
            r.architecture,
            r.foldValues.length,
            transferabilityCell(r),
          ]),
        ),
      );
    });
}

export function withdrawCommand(): Command {
  return new Command('withdraw')
    .description(
      'withdraw a result (kept, but out of listings, analyses and models); only its contributor or an admin may',
    )
    .argument('<id>', 'result id')
    .requiredOption('--by <contributor>', 'who withdraws it')
    .option('--admin', "act as the store's admin (needed for a published study's result)")
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { by: string; admin?: boolean; json?: boolean }) => {
      const run = await withStore((store) => withdrawResult(store, id, { owner: opts.by, admin: opts.admin === true }));
      if (opts.json) return printJson(presentStoredResult(run));
      console.log(
        `withdrew ${run.id} (${run.source ?? 'baseline'} -> ${run.target}, contributed by ${run.provenance.contributor}) at ${run.withdrawnAt}`,
      );
    });
}

export function restoreCommand(): Command {
  return new Command('restore')
    .description('bring a withdrawn result back into listings, analyses and models; its contributor or an admin may')
    .argument('<id>', 'result id')
    .requiredOption('--by <contributor>', 'who restores it')
    .option('--admin', "act as the store's admin (needed for a published study's result)")
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { by: string; admin?: boolean; json?: boolean }) => {
      const run = await withStore((store) => restoreResult(store, id, { owner: opts.by, admin: opts.admin === true }));
      if (opts.json) return printJson(presentStoredResult(run));
      console.log(
        `restored ${run.id} (${run.source ?? 'baseline'} -> ${run.target}, contributed by ${run.provenance.contributor})`,
      );
    });
}

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { presentRecommendations } from '../../presenters/evidence.js';
import { dataDir, prepareTargetFromPath, recommend, withStore } from '../../services/index.js';
import { progressBar } from '../progress.js';
import { printJson, table } from '../output.js';
import { positiveInt, proxyOption } from '../options.js';

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}

interface RecommendOptions {
  top?: number;
  candidates?: string;
  probe?: string;
  proxy: string[];
  json?: boolean;
  name?: string;
  samples?: number;
  maxImages?: number;
  skipBad?: boolean;
}

/** Ingests and embeds the data at `path` (each step skipped when already done) and returns its dataset id. */
async function targetOfPath(db: Parameters<typeof prepareTargetFromPath>[0], path: string, opts: RecommendOptions): Promise<string> {
  const bar = progressBar({ label: opts.name ?? path });
  try {
    const prepared = await prepareTargetFromPath(db, dataDir(), {
      path: resolve(path),
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.skipBad ? { ingest: { skipBad: true } } : {}),
      ...(opts.samples !== undefined ? { embed: { samples: opts.samples } } : {}),
      ...(opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {}),
    }, { ingest: (p) => bar.update(p), embed: (p) => bar.update(p) });
    bar.finish();
    const steps = [prepared.ingested ? 'ingested' : 'already stored', prepared.embedded ? 'embedded' : 'embedding reused'];
    process.stderr.write(`${path}: dataset '${prepared.dataset}' (${steps.join(', ')}; embedding ${prepared.embedding.id} under probe ${prepared.embedding.probe.name})\n`);
    return prepared.dataset;
  } catch (err) {
    bar.finish();
    throw err;
  }
}

export function recommendCommand(): Command {
  const command = new Command('recommend')
    .description('rank source datasets to pretrain on for a target, with predicted transferability and 90% intervals')
    .argument('<dataset>', 'the target: a registered dataset id, or a path to its images (folder, CSV, npz, DICOM or archive), which is ingested and embedded first')
    .option('--name <name>', 'for a path: the name to register the data under (default: the file or folder name)')
    .option('--samples <n>', 'for a path: Monte Carlo Fisher samples of its Task2Vec embedding', positiveInt)
    .option('--max-images <n>', 'for a path: embed at most this many images (stratified by class)', positiveInt)
    .option('--skip-bad', 'for a path: skip unreadable images instead of refusing the data')
    .option('--top <k>', 'show the best k sources', positiveInt)
    .option('--candidates <ids>', 'comma-separated sources to rank (default: every source with results or a backbone)')
    .option('--probe <id>', 'probe whose Task2Vec distance the ranker uses (default: TA_DEFAULT_PROBE, else the registry-published probe, else the bundled one)')
    .option('--json', 'print JSON');
  return proxyOption(command).action(async (argument: string, opts: RecommendOptions) => {
    const candidates = opts.candidates?.split(',').map((c) => c.trim()).filter((c) => c !== '');
    const result = presentRecommendations(await withStore(async (store) => recommend(store, {
      target: existsSync(argument) ? await targetOfPath(store, argument, opts) : argument,
      proxy: opts.proxy,
      ...(candidates ? { candidates } : {}),
      ...(opts.top !== undefined ? { topK: opts.top } : {}),
      ...(opts.probe ? { probe: opts.probe } : {}),
    })));
    if (opts.json) return printJson(result);
    console.log(`sources for ${result.target}: transferability in % against training on ${result.target} alone (model ${result.model.version}, fitted on ${result.model.training.pairs} pairs)`);
    if (result.embedding.message) console.log(`note: ${result.embedding.message}`);
    console.log('');
    console.log(table(
      ['rank', 'source', 'basis', 'measured', 'predicted', '90% interval', 'backbone', 'reason'],
      result.items.map((r) => [
        r.rank, r.source, r.basis,
        r.measured ? signed(r.measured.transferability) : undefined,
        signed(r.predicted.mean),
        `[${signed(r.predicted.interval90[0]!)}, ${signed(r.predicted.interval90[1]!)}]`,
        r.backbone ?? undefined,
        r.reason,
      ]),
    ));
  });
}

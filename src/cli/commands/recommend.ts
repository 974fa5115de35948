import { Command } from 'commander';
import { recommend } from '../../evidence/index.js';
import { presentRecommendations } from '../../api/present.js';
import { fixed, printJson, table } from '../output.js';
import { withStore } from '../store.js';
import { positiveInt, proxyOption } from '../options.js';

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}

export function recommendCommand(): Command {
  const command = new Command('recommend')
    .description('rank source datasets to pretrain on for a registered target, with predicted transferability and 90% intervals')
    .argument('<dataset>', 'the target dataset id')
    .option('--top <k>', 'show the best k sources', positiveInt)
    .option('--candidates <ids>', 'comma-separated sources to rank (default: every source with results or a backbone)')
    .option('--probe <id>', 'probe whose Task2Vec distance the ranker uses (default: the best-covered one)')
    .option('--json', 'print JSON');
  return proxyOption(command).action(async (target: string, opts: { top?: number; candidates?: string; probe?: string; proxy: string[]; json?: boolean }) => {
    const candidates = opts.candidates?.split(',').map((c) => c.trim()).filter((c) => c !== '');
    const result = presentRecommendations(await withStore((store) => recommend(store.knex, {
      target,
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

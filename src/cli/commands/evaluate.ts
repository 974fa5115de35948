import { Command } from 'commander';
import { presentEvaluation } from '../../presenters/evidence.js';
import { evaluation, withStore } from '../../services/index.js';
import { fixed, printJson, table } from '../output.js';
import { positiveInt, proxyOption } from '../options.js';

export function evaluateCommand(): Command {
  const command = new Command('evaluate')
    .description('leave-one-target-out: the learned ranker against nearest-by-distance, largest-source and random rankings')
    .option('--probe <id>', 'probe whose Task2Vec distance the ranker uses (default: TA_DEFAULT_PROBE, else the registry-published probe, else the bundled one)')
    .option('--architecture <name>', 'only results with this architecture')
    .option('--k <k>', 'cut-off of NDCG@k', positiveInt, 3)
    .option('--targets', 'also print the table of every target')
    .option('--json', 'print JSON');
  return proxyOption(command).action(async (opts: { proxy: string[]; probe?: string; architecture?: string; k: number; targets?: boolean; json?: boolean }) => {
    const report = presentEvaluation(await withStore((store) => evaluation(store, {
      proxy: opts.proxy, k: opts.k, ...(opts.probe ? { probe: opts.probe } : {}), ...(opts.architecture ? { architecture: opts.architecture } : {}),
    })));
    if (opts.json) return printJson(report);
    const rows = (methods: typeof report.summary | typeof report.targets[number]['methods']) =>
      methods.map((m) => [m.method, fixed(m.spearman ?? undefined, 3), fixed(m.ndcg, 3), fixed(m.regret, 2)]);
    console.log(`leave-one-target-out over ${report.targets.length} targets; signals ${report.signals.join(', ')}; random: mean of ${report.random_repeats} seeded orders\n`);
    console.log(table(['method', 'spearman', `ndcg@${report.k}`, 'regret@1'], rows(report.summary)));
    for (const s of report.skipped) console.log(`skipped ${s.target}: ${s.reason}`);
    if (!opts.targets) return;
    for (const t of report.targets) {
      console.log(`\n${t.target} (${t.sources.length} sources, model ${t.model_version})`);
      console.log(table(['method', 'spearman', `ndcg@${report.k}`, 'regret@1'], rows(t.methods)));
    }
  });
}

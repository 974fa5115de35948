import { Command } from 'commander';
import { fixed, printJson, table } from '../output.js';
import { presentResult } from '../../presenters/evidence.js';
import { allResults, withStore } from '../../services/index.js';
import { transferabilityCell } from './results-format.js';
import { importCommand, restoreCommand, withdrawCommand } from './results-write.js';

export function resultsCommand(): Command {
  const results = new Command('results').description('transfer results: a source fine-tuned on a target, fold by fold');

  results
    .command('list')
    .description('list transfer results')
    .option('--source <id>', "only this source ('none' for baselines trained on the target alone)")
    .option('--target <id>', 'only this target')
    .option('--architecture <name>', 'only this architecture')
    .option('--include-withdrawn', 'include withdrawn results')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        source?: string;
        target?: string;
        architecture?: string;
        includeWithdrawn?: boolean;
        json?: boolean;
      }) => {
        const runs = await withStore((store) => allResults(store, opts, { source: '--source', target: '--target' }));
        if (opts.json) return printJson(runs.map(presentResult));
        const folds = Math.max(0, ...runs.map((r) => r.foldValues.length));
        const foldHeaders = Array.from({ length: folds }, (_, i) => `fold ${i + 1}`);
        console.log(
          table(
            ['target', 'source', 'architecture', ...foldHeaders, 'mean', 'transferability %'],
            runs.map((r) => [
              r.target,
              r.source ?? '(baseline)',
              r.architecture,
              ...foldHeaders.map((_, i) => fixed(r.foldValues[i])),
              fixed(r.foldValues.reduce((a, v) => a + v, 0) / r.foldValues.length),
              transferabilityCell(r),
            ]),
          ),
        );
      },
    );

  results.addCommand(importCommand());
  results.addCommand(withdrawCommand());
  results.addCommand(restoreCommand());

  return results;
}

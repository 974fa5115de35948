import { Command } from 'commander';
import { presentEstimators } from '../../presenters/estimators.js';
import { computeEstimatorScores, withStore } from '../../services/index.js';
import { positiveInt } from '../options.js';
import { printJson, table } from '../output.js';
import { progressBar } from '../progress.js';
import { definedOnly } from '../../defaults.js';
import { shortProbeId } from '../../probes/index.js';

export function estimatorsCommand(): Command {
  return new Command('estimators')
    .description(
      "transferability estimator scores (LogME, H-score, kNN; LEEP and NCE need a probe with its classifier head) of a probe's features on a stored dataset",
    )
    .argument('<dataset>', 'dataset id (its images added with transfer-atlas datasets add)')
    .option(
      '--probe <id|folder>',
      'registered probe (id, id prefix or name) or a probe folder (default: the bundled MobileNetV2-0.35)',
    )
    .option(
      '--input-size <px>',
      "resize to this size instead of the probe's own (a different probe identity)",
      positiveInt,
    )
    .option('--max-images <n>', 'use at most this many stored images, stratified by class', positiveInt)
    .option('--json', 'print JSON')
    .action(async (dataset: string, o: { probe?: string; inputSize?: number; maxImages?: number; json?: boolean }) => {
      const bar = progressBar({ label: dataset });
      const outcome = await withStore((store) =>
        computeEstimatorScores(
          store,
          {
            dataset,
            ...definedOnly({ probe: o.probe, inputSize: o.inputSize, maxImages: o.maxImages }),
          },
          (p) => bar.update(p),
        ),
      ).finally(() => bar.finish());
      const shown = presentEstimators(outcome);
      if (o.json) return printJson(shown);
      const rows: [string, string][] = [
        ...Object.entries(shown.scores).map(([k, v]): [string, string] => [k, v.toPrecision(6)]),
        ...Object.entries(shown.skipped).map(([k, why]): [string, string] => [k, `not computed: ${why}`]),
      ];
      console.log(
        `${dataset}: ${shown.images} images, ${shown.feature_size} features from probe ${shortProbeId(shown.probe)}; kNN k=${shown.settings.knn_k}, higher is better for each`,
      );
      console.log(table(['estimator', 'value'], rows));
    });
}

import { Command, Option } from 'commander';
import { invalid } from '../../errors.js';
import { presentDistance, presentDistanceMatrix } from '../../presenters/embeddings.js';
import {
  DISTANCE_CHOICES,
  storedDistance,
  storedDistanceMatrix,
  withStore,
  type DistanceChoice,
} from '../../services/index.js';
import { printJson, table } from '../output.js';
import { definedOnly } from '../../defaults.js';

export function distanceCommand(): Command {
  return new Command('distance')
    .description(
      "Task2Vec distance between datasets, from each one's latest embedding under a probe they share (a matrix for three or more)",
    )
    .argument('<datasets...>', 'two or more dataset ids')
    .option(
      '--probe <id>',
      'probe whose embeddings to compare (default: TA_DEFAULT_PROBE, the registry-published probe or the bundled one, whichever every dataset has)',
    )
    .addOption(
      new Option('--distance <name>', 'which distance').choices([...DISTANCE_CHOICES]).default('task2vec_cosine'),
    )
    .option('--json', 'print JSON')
    .action(async (datasets: string[], o: { probe?: string; distance: DistanceChoice; json?: boolean }) => {
      if (datasets.length < 2) throw invalid('distance needs two or more datasets');
      const query = { distance: o.distance, ...definedOnly({ probe: o.probe }) };
      if (datasets.length === 2) {
        const d = await withStore((store) => storedDistance(store, datasets[0]!, datasets[1]!, query));
        if (o.json) return printJson(presentDistance(d));
        console.log(
          `${d.distance} ${d.a} -> ${d.b}: ${d.value.toFixed(6)}  (probe ${d.probe.name}, ${d.probe.input_size} px, embeddings ${d.embeddings[d.a]} and ${d.embeddings[d.b]})`,
        );
        return;
      }
      const m = await withStore((store) => storedDistanceMatrix(store, datasets, query));
      if (o.json) return printJson(presentDistanceMatrix(m));
      console.log(`${m.distance} under probe ${m.probe.name} (${m.probe.input_size} px); row -> column`);
      console.log(
        table(
          ['', ...m.datasets],
          m.datasets.map((id, i) => [id, ...m.values[i]!.map((v) => v.toFixed(4))]),
        ),
      );
    });
}

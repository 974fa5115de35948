import { Command, Option } from 'commander';
import { allDatasets, datasetById, withStore } from '../../services/index.js';
import { printJson, table } from '../output.js';
import { addDatasetCommand, profileCommand } from './datasets-ingest.js';
import { definedOnly } from '../../defaults.js';

export function datasetsCommand(): Command {
  const datasets = new Command('datasets').description('the datasets the service knows: sources and targets');

  datasets
    .command('list')
    .description('list datasets')
    .addOption(new Option('--origin <origin>', 'only natural or medical datasets').choices(['natural', 'medical']))
    .option('--modality <modality>', 'only this modality (for example x-ray, dermoscopy)')
    .option('--json', 'print JSON')
    .action(async (opts: { origin?: 'natural' | 'medical'; modality?: string; json?: boolean }) => {
      const items = await withStore((store) =>
        allDatasets(store, {
          ...definedOnly({ origin: opts.origin || undefined, modality: opts.modality || undefined }),
        }),
      );
      if (opts.json) return printJson(items);
      console.log(
        table(
          ['id', 'name', 'origin', 'modality', 'images', 'classes', 'expert features'],
          items.map((d) => [d.id, d.name, d.origin, d.modality, d.images, d.classes, d.expert_features ? 'yes' : 'no']),
        ),
      );
    });

  datasets
    .command('show')
    .description('show one dataset')
    .argument('<id>', 'dataset id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const dataset = await withStore((store) => datasetById(store, id));
      if (opts.json) return printJson(dataset);
      const rows: [string, unknown][] = [
        ['id', dataset.id],
        ['name', dataset.name],
        ['description', dataset.description],
        ['origin', dataset.origin],
        ['modality', dataset.modality],
        ['images', dataset.images],
        ['classes', dataset.classes],
        ['image size', dataset.image_size],
        ['channels', dataset.channels],
        ['licence', dataset.licence],
        ['citation', dataset.citation],
        ['home page', dataset.homepage],
        ['backbone', dataset.backbone],
        [
          'expert features',
          dataset.expert_features
            ? Object.entries(dataset.expert_features)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')
            : undefined,
        ],
        ['recorded from', dataset.record_origin],
      ];
      console.log(
        table(
          ['field', 'value'],
          rows.map(([k, v]) => [k, v === undefined ? undefined : String(v)]),
        ),
      );
    });

  datasets.addCommand(addDatasetCommand());
  datasets.addCommand(profileCommand());

  return datasets;
}

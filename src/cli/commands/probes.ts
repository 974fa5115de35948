import { Command, Option } from 'commander';
import { presentProbe } from '../../presenters/embeddings.js';
import { knownProbes, registerProbeFolder, withStore } from '../../services/index.js';
import { positiveInt } from '../options.js';
import { printJson, table } from '../output.js';
import { definedOnly } from '../../defaults.js';

export function probesCommand(): Command {
  const probes = new Command('probes').description('probe networks for Task2Vec embeddings');

  probes
    .command('list')
    .description('every known probe; the bundled one is always available')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = (await withStore((store) => knownProbes(store))).map(presentProbe);
      if (o.json) return printJson(items);
      console.log(
        table(
          ['id', 'name', 'architecture', 'px', 'pixel scaling', 'weights'],
          items.map((p) => [
            /^[0-9a-f]{64}$/.test(p.id) ? p.id.slice(0, 16) : p.id,
            p.name,
            p.architecture,
            p.input_size,
            p.pixel_scaling,
            p.weights,
          ]),
        ),
      );
    });

  probes
    .command('add')
    .description(
      'register a probe folder (a TensorFlow.js LayersModel: model.json and weights; probe.json describes it)',
    )
    .argument('<folder>', 'the probe folder')
    .option('--name <name>', "the probe's name (default: probe.json's, else the folder's)")
    .option('--architecture <text>', 'what network it is (default: probe.json, else the model name)')
    .option('--input-size <px>', "input size (default: probe.json, else the model's)", positiveInt)
    .addOption(
      new Option('--pixel-scaling <scaling>', 'how pixels are scaled (default: probe.json)').choices([
        'minus1to1',
        'zero1',
        'imagenet-mean-std',
      ]),
    )
    .option('--json', 'print JSON')
    .action(
      async (
        folder: string,
        o: {
          name?: string;
          architecture?: string;
          inputSize?: number;
          pixelScaling?: 'minus1to1' | 'zero1' | 'imagenet-mean-std';
          json?: boolean;
        },
      ) => {
        const record = await withStore((store) =>
          registerProbeFolder(store, folder, {
            ...definedOnly({
              name: o.name,
              architecture: o.architecture,
              inputSize: o.inputSize,
              pixelScaling: o.pixelScaling,
            }),
          }),
        );
        if (o.json) return printJson(presentProbe(record));
        console.log(
          `probe ${record.name} (${record.input_size} px, ${record.pixel_scaling}) registered as ${record.id}`,
        );
      },
    );

  return probes;
}

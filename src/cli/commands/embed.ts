import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { invalid } from '../../errors.js';
import { presentEmbedding } from '../../presenters/embeddings.js';
import { presentJob } from '../../presenters/jobs.js';
import {
  datasetEmbeddings,
  embeddingView,
  findProbe,
  importEmbedding,
  IMPORT_METHODS,
  withStore,
  type EmbeddingView,
} from '../../services/index.js';
import type { JobBackend } from '../../jobs/index.js';
import type { EmbedJobParams } from '../../services/job-runners.js';
import { positiveInt } from '../options.js';
import { printJson, table } from '../output.js';
import { backendOption, detachOption, queueJob, runJobHere } from './jobs.js';
import { definedOnly } from '../../defaults.js';
import { shortProbeId } from '../../probes/index.js';

function seedValue(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new InvalidArgumentError(`'${value}' is not a whole number from 0 to 4294967295`);
  return n;
}

function seconds(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : `${(ms / 1000).toFixed(1)} s`;
}

export function describeEmbedding(e: EmbeddingView): string {
  const rows: [string, string | number | undefined][] = [
    ['embedding', e.id],
    ['dataset', e.datasetId],
    ['probe', `${e.probe.name} (${e.probe.input_size} px, id ${shortProbeId(e.probe.id)})`],
    ['method', e.method],
    ['dimension', e.hessian.length],
    ['images', e.imageCount],
    ['seed', e.seed],
    ['time', seconds(e.durationMs)],
    ['origin', e.origin],
  ];
  return table(['field', 'value'], rows);
}

interface EmbedOptions {
  probe?: string;
  method: 'montecarlo' | 'exact';
  samples?: number;
  batchSize?: number;
  epochs?: number;
  fisherEpochs?: number;
  seed: number;
  inputSize?: number;
  maxImages?: number;
  detach?: boolean;
  requiresBackend?: JobBackend;
  json?: boolean;
}

export function embedCommand(): Command {
  return new Command('embed')
    .description("compute a dataset's Task2Vec embedding from its stored images with a probe, and store it")
    .argument('<dataset>', 'dataset id (its images added with transfer-atlas datasets add)')
    .option(
      '--probe <id|folder>',
      'registered probe (id, id prefix or name) or a probe folder (default: the bundled MobileNetV2-0.35)',
    )
    .addOption(
      new Option('--method <method>', 'Fisher estimate').choices(['montecarlo', 'exact']).default('montecarlo'),
    )
    .option(
      '--samples <n>',
      'images drawn per epoch by the head and the Monte Carlo Fisher (default 10000)',
      positiveInt,
    )
    .option('--batch-size <n>', 'batch size of every stage (default 100)', positiveInt)
    .option('--epochs <n>', 'epochs of the classifier head (default 10)', positiveInt)
    .option('--fisher-epochs <n>', 'epochs of the Monte Carlo Fisher pass (default 1)', positiveInt)
    .option('--seed <n>', 'seed of every random choice', seedValue, 0)
    .option(
      '--input-size <px>',
      "resize to this size instead of the probe's own (a different probe identity)",
      positiveInt,
    )
    .option('--max-images <n>', 'use at most this many stored images, stratified by class', positiveInt)
    .addOption(detachOption())
    .addOption(backendOption())
    .option('--json', 'print JSON')
    .action(async (dataset: string, o: EmbedOptions) => {
      const params: EmbedJobParams = {
        dataset,
        ...definedOnly({ probe: o.probe, inputSize: o.inputSize, maxImages: o.maxImages }),
        options: {
          method: o.method,
          seed: o.seed,
          ...definedOnly({
            samples: o.samples,
            batchSize: o.batchSize,
            fisherEpochs: o.fisherEpochs,
            classifier: o.epochs === undefined ? undefined : { epochs: o.epochs },
          }),
        },
      };
      const submission = {
        kind: 'embed' as const,
        params: { ...params },
        ...definedOnly({ requiresBackend: o.requiresBackend }),
      };
      if (o.detach) {
        const job = await withStore((store) => queueJob(store, submission));
        if (o.json) return printJson(presentJob(job));
        return console.log(job.id);
      }
      const view = await withStore(async (store) => {
        const job = await runJobHere(store, submission, dataset);
        return (await embeddingView(store, Number(job.resultUrl!.split('/').pop())))!;
      });
      if (o.json) return printJson(presentEmbedding(view));
      console.log(describeEmbedding(view));
    });
}

interface ImportOptions {
  dataset: string;
  probeId: string;
  probeName?: string;
  architecture: string;
  inputSize: number;
  pixelScaling: string;
  method: string;
  options?: string;
  contributor?: string;
  json?: boolean;
}

function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalid(`--options '${value}' is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('--options must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function embeddingsCommand(): Command {
  const embeddings = new Command('embeddings').description(
    'stored Task2Vec embeddings: list, and import ones computed elsewhere',
  );

  embeddings
    .command('list')
    .description("a dataset's embeddings")
    .argument('<dataset>', 'dataset id')
    .option('--probe <id>', 'only those of this probe')
    .option('--json', 'print JSON')
    .action(async (dataset: string, o: { probe?: string; json?: boolean }) => {
      const items = await withStore(async (store) =>
        datasetEmbeddings(store, dataset, o.probe === undefined ? undefined : (await findProbe(store, o.probe)).id),
      );
      if (o.json) return printJson(items.map((e) => presentEmbedding(e)));
      console.log(
        table(
          ['id', 'probe', 'px', 'method', 'dimension', 'images', 'seed', 'origin', 'created'],
          items.map((e) => [
            e.id,
            e.probe.name,
            e.probe.input_size,
            e.method,
            e.hessian.length,
            e.imageCount,
            e.seed,
            e.origin,
            e.createdAt,
          ]),
        ),
      );
    });

  embeddings
    .command('import')
    .description(
      'import an embedding computed elsewhere (a float32 .npy, e.g. from the PyTorch reference) with its probe identity',
    )
    .argument('<file>', '.npy file of float32 values, shape (D,) or (1, D)')
    .requiredOption('--dataset <id>', 'the dataset it embeds')
    .requiredOption('--probe-id <id>', "the probe's id; embeddings compare only under the same id")
    .option('--probe-name <name>', "the probe's name (default: its id)")
    .requiredOption('--architecture <name>', "the probe's architecture, e.g. resnet50")
    .requiredOption('--input-size <px>', 'input size the images were resized to', positiveInt)
    .addOption(
      new Option('--pixel-scaling <scaling>', 'how pixels were scaled')
        .choices(['minus1to1', 'zero1', 'imagenet-mean-std'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--method <method>', 'Fisher estimate used').choices([...IMPORT_METHODS]).default('montecarlo'),
    )
    .option('--options <json>', 'the options it was computed with, as a JSON object')
    .option('--contributor <handle>', 'who computed it')
    .option('--json', 'print JSON')
    .action(async (file: string, o: ImportOptions) => {
      let npy: Uint8Array;
      try {
        npy = readFileSync(file);
      } catch (e) {
        throw invalid(`cannot read ${file}: ${(e as Error).message}`);
      }
      const view = await withStore((store) =>
        importEmbedding(store, {
          dataset: o.dataset,
          probe: {
            id: o.probeId,
            ...definedOnly({ name: o.probeName }),
            architecture: o.architecture,
            inputSize: o.inputSize,
            pixelScaling: o.pixelScaling,
          },
          method: o.method,
          ...definedOnly({
            options: o.options === undefined ? undefined : jsonObject(o.options),
            contributor: o.contributor,
          }),
          npy,
        }),
      );
      if (o.json) return printJson(presentEmbedding(view));
      console.log(describeEmbedding(view));
    });

  return embeddings;
}

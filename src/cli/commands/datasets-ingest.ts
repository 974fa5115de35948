import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AppError } from '../../errors.js';
import { presentIngested, presentProfile } from '../../presenters/profile.js';
import {
  dataDir,
  DEFAULT_LICENCE,
  ingestionConfigFromEnv,
  DEFAULT_MODALITY,
  ingestedProfile,
  ingestIntoStore,
  withStore,
  type IngestMetadata,
  type IngestOptions,
} from '../../services/index.js';
import { limitsForUpload } from '../../images/index.js';
import { positiveInt } from '../options.js';
import { printJson } from '../output.js';
import { progressBar } from '../progress.js';
import { formatProfile } from './profile-format.js';
import { definedOnly } from '../../defaults.js';
import { presentJob } from '../../presenters/jobs.js';
import type { IngestJobParams } from '../../services/job-runners.js';
import { detachOption, queueJob } from './jobs.js';

function seed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1)
    throw new InvalidArgumentError(`'${value}' is not a whole number from 0 to 2147483647`);
  return n;
}

interface AddOptions {
  name: string;
  id?: string;
  description?: string;
  origin: 'natural' | 'medical';
  modality: string;
  licence: string;
  citation?: string;
  homepage?: string;
  format: 'auto' | 'folder' | 'csv' | 'npz' | 'dicom';
  skipBad?: boolean;
  ignoreUnlabelled?: boolean;
  size: number;
  channels: 'auto' | '1' | '3';
  minClassSize?: number;
  splitSeed?: number;
  detach?: boolean;
  json?: boolean;
}

function metadataOf(o: AddOptions): IngestMetadata {
  return {
    name: o.name,
    origin: o.origin,
    modality: o.modality,
    licence: o.licence,
    ...definedOnly({ id: o.id, description: o.description, citation: o.citation, homepage: o.homepage }),
  };
}

function optionsOf(o: AddOptions): IngestOptions {
  return {
    format: o.format,
    size: o.size,
    channels: o.channels === 'auto' ? 'auto' : (Number(o.channels) as 1 | 3),
    ...definedOnly({ skipBad: o.skipBad ? true : undefined, ignoreUnlabelled: o.ignoreUnlabelled ? true : undefined }),
    ...definedOnly({ minClassSize: o.minClassSize, splitSeed: o.splitSeed }),
  };
}

export function addDatasetCommand(): Command {
  return new Command('add')
    .description(
      'ingest a target dataset (class folders, CSV manifest, .npz, DICOM, or a .zip/.tar/.tar.gz of one), store its images and profile, and register it',
    )
    .argument('<path>', 'folder, file or archive')
    .requiredOption('--name <name>', 'human-readable name')
    .option('--id <id>', 'dataset id (default: made from the name)')
    .option('--description <text>', 'what the dataset is (default: a sentence with its counts and classes)')
    .addOption(
      new Option('--origin <origin>', 'natural or medical images').choices(['natural', 'medical']).default('medical'),
    )
    .option('--modality <modality>', 'for example x-ray, ultrasound, dermoscopy', DEFAULT_MODALITY)
    .option('--licence <licence>', 'licence of the images', DEFAULT_LICENCE)
    .option('--citation <text>', 'how to cite the dataset')
    .option('--homepage <url>', 'where the dataset comes from')
    .addOption(
      new Option('--format <format>', 'how to read the path')
        .choices(['auto', 'folder', 'csv', 'npz', 'dicom'])
        .default('auto'),
    )
    .option('--skip-bad', 'leave unusable images out (listed in the profile) instead of failing')
    .option('--ignore-unlabelled', 'ignore image files that no label names instead of failing')
    .option('--size <px>', 'working size: images are stored as size x size', positiveInt, 224)
    .addOption(
      new Option(
        '--channels <n>',
        'auto keeps grey or colour, converting a minority of at most 10 %; 1 or 3 converts every image',
      )
        .choices(['auto', '1', '3'])
        .default('auto'),
    )
    .option('--min-class-size <n>', 'smallest class accepted (default 5)', positiveInt)
    .option(
      '--split-seed <n>',
      'make a seeded stratified (group-aware where groups exist) split when the data gives none',
      seed,
    )
    .addOption(detachOption())
    .option('--json', 'print JSON')
    .action(async (path: string, opts: AddOptions) => {
      const request: IngestJobParams = {
        // Absolute, because a worker reads it: on another machine it must be a path both see.
        path: resolve(path),
        displayName: path,
        field: 'path',
        metadata: metadataOf(opts),
        options: optionsOf(opts),
        limits: limitsForUpload(ingestionConfigFromEnv().maxUploadBytes),
      };
      if (opts.detach) {
        const job = await withStore((store) => queueJob(store, { kind: 'ingest', params: { ...request } }));
        if (opts.json) return printJson(presentJob(job));
        return console.log(job.id);
      }
      const bar = progressBar({ label: opts.name });
      const outcome = await withStore((store) =>
        ingestIntoStore(
          store,
          {
            path: resolve(path),
            displayName: path,
            field: 'path',
            optionStyle: 'flag',
            metadata: metadataOf(opts),
            options: optionsOf(opts),
            limits: limitsForUpload(ingestionConfigFromEnv().maxUploadBytes),
          },
          dataDir(),
          (p) => bar.update(p),
        ),
      ).finally(() => bar.finish());
      const shown = presentIngested(outcome);
      if (opts.json) return printJson(shown);
      const d = shown.dataset;
      const i = shown.ingestion;
      const splits = Object.entries(i.split_counts)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ');
      console.log(
        `added ${d.id}: ${d.images} images, ${d.classes} classes, ${d.channels} channel(s), ${d.image_size} originals stored at ${shown.profile.normalised.size}x${shown.profile.normalised.size}; split ${i.split_source} (${splits}); ${i.seconds.toFixed(1)} s`,
      );
      console.log('');
      console.log(formatProfile(shown.profile));
    });
}

export function profileCommand(): Command {
  return new Command('profile')
    .description(
      "show an ingested dataset's profile: per-class counts, sizes, channels, bit depth, duplicates, warnings",
    )
    .argument('<id>', 'dataset id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const stored = await withStore((store) => ingestedProfile(store, id));
      if (stored === null) {
        throw new AppError(
          'not-found',
          'No profile',
          `dataset '${id}' was registered without images, so it has no profile (add images with: transfer-atlas datasets add <path> --name ... --id <new id>)`,
        );
      }
      const profile = presentProfile(stored);
      if (opts.json) return printJson(profile);
      console.log(formatProfile(profile));
    });
}

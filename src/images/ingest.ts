/**
 * Ingestion: find the dataset in what the user gave (folder, CSV, npz, DICOM, or an archive of
 * any of these), validate it, normalise every image into the staging folder one at a time,
 * and return the profile. Writes nothing outside `stagingDir` except a scratch folder for
 * archive extraction, which is always removed; on failure the files it wrote are removed too.
 */
import { createHash } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { extractArchive, isNpzZip, sniffArchive, type ArchiveKind } from './archive.js';
import type { ArchiveLimits } from './archive-paths.js';
import { normaliseFile, normaliseRaw, probeFile, ImageProblem, type Fit, type ImageInfo } from './decode.js';
import { INGEST_PREFIX, ownedPrefix } from './leftovers.js';
import { badImagesError, IngestionError, listForMessage, type ImageIssue } from './errors.js';
import { listCsv, listFolder } from './file-sources.js';
import type { DatasetFormat, ListedItem, Listing } from './listing.js';
import { readNpz } from './npz.js';
import { listNpz } from './npz-source.js';
import { orderedPool } from './pool.js';
import {
  pixelStd,
  ProfileBuilder,
  DEFAULT_THRESHOLDS,
  type DatasetProfile,
  type ProfileThresholds,
  type ChannelsChoice,
  type ProfileWarning,
} from './profile.js';
import { ProgressMeter, type ProgressCallback } from './progress.js';
import { DEFAULT_FRACTIONS, groupSplit, stratifiedSplit, type Split, type SplitFractions } from './split.js';
import { MANIFEST_FILE, PIXELS_FILE, PROFILE_FILE, PixelWriter, writeManifest } from './stored.js';
import { withDefaults } from '../defaults.js';

export interface IngestionLimits extends ArchiveLimits {
  /** Largest width x height accepted for one image (decompression bombs). */
  readonly maxPixels: number;
  /** Largest single input file (archive, npz or CSV). */
  readonly maxInputBytes: number;
  /** Most bytes an archive or npz may expand to per byte it holds: no image format compresses better, bombs do. */
  readonly maxRatio: number;
}

/** Archives and npz may expand to this many times the upload limit, and no further. */
export const EXPANSION_FACTOR = 4;

/** Ingestion limits that follow the deployment's upload limit (TA_MAX_UPLOAD_BYTES). */
export function limitsForUpload(maxUploadBytes: number): Partial<IngestionLimits> {
  return { maxExpandedBytes: Math.min(DEFAULT_LIMITS.maxExpandedBytes, EXPANSION_FACTOR * maxUploadBytes) };
}

/** The expansion budget of one archive: the overall limit, or its ratio to the archive's own size if smaller. */
function budgetFor(limits: IngestionLimits, archiveBytes: number): IngestionLimits {
  return {
    ...limits,
    maxExpandedBytes: Math.min(limits.maxExpandedBytes, Math.max(1, archiveBytes) * limits.maxRatio),
  };
}

export const DEFAULT_LIMITS: IngestionLimits = {
  maxPixels: 64_000_000,
  maxInputBytes: 8 * 1024 ** 3,
  maxExpandedBytes: 16 * 1024 ** 3,
  maxEntries: 100_000,
  maxRatio: 100,
};

export interface IngestionInput {
  readonly path: string;
  readonly format?: 'auto' | DatasetFormat;
  /** Name used in messages instead of the path (e.g. an upload's original file name). */
  readonly displayName?: string;
  /** Working size: images are stored as size x size. Default 224. */
  readonly size?: number;
  /** How non-square images reach the square working size. Default 'cover' (resize, centre crop). */
  readonly fit?: Fit;
  /**
   * 'auto' keeps 1 channel when every image is greyscale and 3 when every image is colour, and
   * refuses a mix with MIXED_CHANNELS; 1 or 3 converts everything to that count.
   */
  readonly channels?: 'auto' | 1 | 3;
  /** Leave unusable images out (listed in the profile) instead of failing. */
  readonly skipBad?: boolean;
  /** Ignore image files that no label names instead of failing. */
  readonly ignoreUnlabelled?: boolean;
  /** Smallest class accepted. Default 5. */
  readonly minClassSize?: number;
  /** Seeded split when the source gives none; group-aware when the source has groups. */
  readonly split?: { readonly seed: number; readonly fractions?: SplitFractions };
  readonly limits?: Partial<IngestionLimits>;
  readonly thresholds?: Partial<ProfileThresholds>;
  /** Images decoded at once. Default: twice the available cores. */
  readonly concurrency?: number;
  /**
   * How the fix a message names is spelled: command-line flags (`--channels`, `--skip-bad`) or
   * request fields (`channels`, `skip_bad`, the default).
   */
  readonly optionStyle?: OptionStyle;
}

export type OptionStyle = 'flag' | 'field';
type OptionName = (option: 'channels' | 'skip-bad') => string;

function optionNamer(style: OptionStyle): OptionName {
  return style === 'flag' ? (o) => `--${o}` : (o) => o.replace(/-/g, '_');
}

export interface IngestionTarget {
  /** An existing, empty folder that receives the normalised dataset. */
  readonly stagingDir: string;
  /** Where archives are extracted (a temporary sub-folder, always removed). Default: the OS temp dir. */
  readonly scratchDir?: string;
}

export type SplitSource = 'given' | 'stratified' | 'group' | 'none';

export interface IngestionResult {
  readonly format: DatasetFormat;
  readonly archive: ArchiveKind | null;
  readonly imageCount: number;
  readonly classNames: readonly string[];
  readonly classCounts: Readonly<Record<string, number>>;
  readonly splitSource: SplitSource;
  readonly splitCounts: Readonly<Record<string, number>>;
  readonly size: number;
  readonly channels: 1 | 3;
  readonly profile: DatasetProfile;
  /** Files written into the staging folder, relative to it. */
  readonly files: readonly string[];
  readonly storedBytes: number;
}

interface Resolved {
  readonly listing: Listing;
  readonly archive: ArchiveKind | null;
}

function optionsError(message: string): IngestionError {
  return new IngestionError('BAD_OPTIONS', message);
}

function validate(input: IngestionInput): {
  size: number;
  minClassSize: number;
  concurrency: number;
  limits: IngestionLimits;
} {
  const size = input.size ?? 224;
  if (!Number.isInteger(size) || size < 8 || size > 2048)
    throw optionsError(`working size ${size} must be an integer from 8 to 2048`);
  const minClassSize = input.minClassSize ?? 5;
  if (!Number.isInteger(minClassSize) || minClassSize < 1)
    throw optionsError(`minimum class size ${minClassSize} must be a positive integer`);
  const concurrency = input.concurrency ?? Math.max(2, availableParallelism() * 2);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw optionsError(`concurrency ${concurrency} must be a positive integer`);
  const limits = withDefaults(DEFAULT_LIMITS, input.limits ?? {});
  for (const [k, v] of Object.entries(limits))
    if (!(typeof v === 'number' && v > 0)) throw optionsError(`limit ${k} must be a positive number`);
  const f = input.split?.fractions;
  if (f && [f.train, f.val, f.test].some((x) => !(x >= 0))) throw optionsError('split fractions must be non-negative');
  if (f && f.train <= 0) throw optionsError('the train fraction must be positive');
  if (input.channels !== undefined && input.channels !== 'auto' && input.channels !== 1 && input.channels !== 3)
    throw optionsError('channels must be auto, 1 or 3');
  return { size, minClassSize, concurrency, limits };
}

async function entriesOf(dir: string): Promise<{ dirs: string[]; files: string[] }> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter(
    (e) => !e.name.startsWith('.') && e.name !== '__MACOSX',
  );
  return {
    dirs: entries.filter((e) => e.isDirectory()).map((e) => e.name),
    files: entries.filter((e) => e.isFile()).map((e) => e.name),
  };
}

async function listDirectory(
  dir: string,
  format: IngestionInput['format'],
  options: { ignoreUnlabelled: boolean },
  limits: IngestionLimits,
  unwrap: boolean,
): Promise<Listing> {
  let root = dir;
  let { dirs, files } = await entriesOf(root);
  // Archives often wrap everything in one top folder; a plain folder with one subfolder is one class.
  while (unwrap && dirs.length === 1 && files.length === 0) {
    root = join(root, dirs[0]!);
    ({ dirs, files } = await entriesOf(root));
  }
  const csvs = files.filter((f) => /\.csv$/i.test(f));
  const npzs = files.filter((f) => /\.npz$/i.test(f));
  const want = format ?? 'auto';
  if (want === 'csv' || ((want === 'auto' || want === 'dicom') && csvs.length === 1)) {
    if (csvs.length !== 1)
      throw optionsError(
        `expected exactly one CSV manifest in the folder, found ${csvs.length}${csvs.length ? `: ${csvs.join(', ')}` : ''}`,
      );
    return listCsv(join(root, csvs[0]!), {
      ignoreUnlabelled: options.ignoreUnlabelled,
      format: want === 'dicom' ? 'dicom' : 'csv',
    });
  }
  if (want === 'npz' || (want === 'auto' && npzs.length === 1 && dirs.length === 0)) {
    if (npzs.length !== 1) throw optionsError(`expected exactly one .npz in the folder, found ${npzs.length}`);
    const npz = join(root, npzs[0]!);
    return listNpz(await readNpz(npz, budgetFor(limits, (await stat(npz)).size).maxExpandedBytes, npzs[0]!), npzs[0]!);
  }
  return listFolder(root, {
    ignoreUnlabelled: options.ignoreUnlabelled,
    format: want === 'dicom' ? 'dicom' : 'folder',
  });
}

async function resolveSource(
  input: IngestionInput,
  limits: IngestionLimits,
  scratchRoot: string,
  scratch: { dir?: string },
): Promise<Resolved> {
  const display = input.displayName ?? basename(input.path);
  const info = await stat(input.path).catch(() => undefined);
  if (!info) throw new IngestionError('INPUT_NOT_FOUND', `${display} does not exist`, { file: display });
  const options = { ignoreUnlabelled: input.ignoreUnlabelled ?? false };
  if (info.isDirectory())
    return { listing: await listDirectory(input.path, input.format, options, limits, false), archive: null };
  if (!info.isFile())
    throw new IngestionError('UNSUPPORTED_FORMAT', `${display} is neither a file nor a folder`, { file: display });
  if (info.size > limits.maxInputBytes)
    throw new IngestionError(
      'INPUT_TOO_LARGE',
      `${display} is ${info.size} bytes, over the limit of ${limits.maxInputBytes}`,
      { file: display },
    );

  const ext = extname(display).toLowerCase();
  const format = input.format ?? 'auto';
  const budget = budgetFor(limits, info.size);
  if (ext === '.csv' || format === 'csv') {
    return {
      listing: await listCsv(input.path, {
        ignoreUnlabelled: options.ignoreUnlabelled,
        format: format === 'dicom' ? 'dicom' : 'csv',
      }),
      archive: null,
    };
  }
  const kind = await sniffArchive(input.path);
  if (ext === '.npz' || format === 'npz' || (kind === 'zip' && (await isNpzZip(input.path, budget)))) {
    return { listing: listNpz(await readNpz(input.path, budget.maxExpandedBytes, display), display), archive: null };
  }
  if (!kind) {
    throw new IngestionError(
      'UNSUPPORTED_FORMAT',
      `${display} is not a supported dataset: give a folder (one subfolder per class), a CSV manifest, an .npz, or a .zip/.tar/.tar.gz of one`,
      { file: display },
    );
  }
  scratch.dir = await mkdtemp(join(scratchRoot, ownedPrefix(INGEST_PREFIX)));
  await extractArchive(input.path, kind, scratch.dir, budget);
  return { listing: await listDirectory(scratch.dir, format, options, limits, true), archive: kind };
}

function sortedClasses(labels: Iterable<string>): string[] {
  return [...new Set(labels)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function checkClasses(counts: Map<string, number>, minClassSize: number, when: string): void {
  if (counts.size === 0) throw new IngestionError('EMPTY_DATASET', `no images found${when}`);
  if (counts.size === 1) {
    const [name] = [...counts.keys()];
    throw new IngestionError(
      'ONE_CLASS',
      `only one class ('${name}') found${when}; a classification dataset needs at least two`,
    );
  }
  const small = [...counts.entries()].filter(([, n]) => n < minClassSize);
  if (small.length > 0) {
    throw new IngestionError(
      'CLASS_TOO_SMALL',
      `${small.length} class(es) with fewer than ${minClassSize} images${when}: ${listForMessage(small.map(([c, n]) => `'${c}' (${n})`))}`,
      { file: small[0]![0] },
    );
  }
}

function countLabels(labels: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return counts;
}

type Probed = { ok: true; info: ImageInfo } | { ok: false; issue: ImageIssue };
type Normalised = { ok: true; info: ImageInfo; pixels: Uint8Array } | { ok: false; issue: ImageIssue };

function issueOf(ref: string, e: unknown): ImageIssue {
  if (e instanceof ImageProblem) return { file: ref, code: e.code, reason: e.message };
  return { file: ref, code: 'CORRUPT_IMAGE', reason: (e instanceof Error ? e.message : String(e)).split('\n')[0]! };
}

async function probeAll(
  items: readonly ListedItem[],
  requireDicom: boolean,
  maxPixels: number,
  concurrency: number,
  onProgress: ProgressCallback | undefined,
): Promise<Probed[]> {
  const meter = new ProgressMeter('scanning', items.length, onProgress);
  const out: Probed[] = [];
  await orderedPool(
    items,
    concurrency,
    async (item): Promise<Probed> => {
      if (item.kind === 'pixels') return { ok: true, info: item.info };
      try {
        const info = await probeFile(item.path, maxPixels);
        if (requireDicom && info.format !== 'dicom')
          return {
            ok: false,
            issue: { file: item.ref, code: 'NOT_DICOM', reason: `a ${info.format} file where DICOM was asked for` },
          };
        return { ok: true, info };
      } catch (e) {
        return { ok: false, issue: issueOf(item.ref, e) };
      }
    },
    async (result) => {
      out.push(result);
      meter.report(out.length);
    },
  );
  return out;
}

/** Share of images with one channel count above which the rest are converted to it rather than refused. */
export const MAJORITY_CHANNELS_SHARE = 0.9;

interface ChannelsChosen {
  readonly channels: 1 | 3;
  readonly choice: ChannelsChoice;
  /** Set when a minority was converted to the majority's channel count. */
  readonly warning?: ProfileWarning;
}

/**
 * With `auto`, a dataset whose images overwhelmingly share one channel count (a grey X-ray folder
 * with a few RGB figures) is stored with that count and the rest converted, with a warning; a real
 * mix is refused, naming the fix.
 */
function chooseChannels(
  items: readonly ListedItem[],
  probed: readonly Probed[],
  wanted: IngestionInput['channels'],
  optionName: OptionName,
): ChannelsChosen {
  if (wanted === 1 || wanted === 3) return { channels: wanted, choice: 'option' };
  const byChannels: Record<1 | 3, string[]> = { 1: [], 3: [] };
  probed.forEach((p, i) => {
    if (p.ok) byChannels[p.info.channels].push(items[i]!.ref);
  });
  if (byChannels[1].length === 0 || byChannels[3].length === 0)
    return { channels: byChannels[1].length > 0 ? 1 : 3, choice: 'images' };
  const count: 1 | 3 = byChannels[1].length <= byChannels[3].length ? 1 : 3;
  const fewer = byChannels[count];
  const majority = count === 1 ? 3 : 1;
  const total = byChannels[1].length + byChannels[3].length;
  const word = (n: 1 | 3) => (n === 1 ? 'greyscale' : 'colour');
  const sorted = [...fewer].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if ((total - fewer.length) / total >= MAJORITY_CHANNELS_SHARE) {
    return {
      channels: majority,
      choice: 'majority',
      warning: {
        code: 'CONVERTED_CHANNELS',
        message: `${fewer.length} of ${total} images were ${word(count)} and were converted to ${word(majority)} like the rest: ${listForMessage(sorted)}; give ${optionName('channels')} ${count} to keep ${word(count)} instead`,
      },
    };
  }
  throw new IngestionError(
    'MIXED_CHANNELS',
    `${byChannels[1].length} greyscale and ${byChannels[3].length} colour images, too even a mix to pick one (the ${fewer.length} ${word(count)}: ${listForMessage(sorted)}); give ${optionName('channels')} 1 (greyscale) or ${optionName('channels')} 3 (colour) to convert them all`,
    {
      file: sorted[0]!,
      details: sorted.map((f) => ({
        file: f,
        code: 'CHANNEL_MISMATCH' as const,
        reason: `${count} channel(s) in a dataset of ${majority}`,
      })),
    },
  );
}

function assignSplits(
  labels: readonly number[],
  items: readonly ListedItem[],
  request: IngestionInput['split'],
  warnings: ProfileWarning[],
): { splits: (Split | null)[]; source: SplitSource } {
  const given = items.some((i) => i.split !== null);
  if (given) {
    if (request)
      warnings.push({
        code: 'SPLIT_REQUEST_IGNORED',
        message: 'the dataset gives its own splits; they were kept and the requested split was not made',
      });
    return { splits: items.map((i) => i.split), source: 'given' };
  }
  if (!request) return { splits: items.map(() => null), source: 'none' };
  const fractions = request.fractions ?? DEFAULT_FRACTIONS;
  if (items.some((i) => i.group !== null)) {
    return {
      splits: groupSplit(
        labels,
        items.map((it, k) => it.group ?? `\u0000ungrouped-${k}`),
        fractions,
        request.seed,
      ),
      source: 'group',
    };
  }
  return { splits: stratifiedSplit(labels, fractions, request.seed), source: 'stratified' };
}

export async function ingestDataset(
  input: IngestionInput,
  target: IngestionTarget,
  onProgress?: ProgressCallback,
): Promise<IngestionResult> {
  const { size, minClassSize, concurrency, limits } = validate(input);
  const fit = input.fit ?? 'cover';
  const optionName = optionNamer(input.optionStyle ?? 'field');
  const thresholds = withDefaults(DEFAULT_THRESHOLDS, input.thresholds ?? {});
  const stagingEntries = await readdir(target.stagingDir).catch(() => undefined);
  if (!stagingEntries) throw optionsError(`staging folder ${target.stagingDir} does not exist`);
  if (stagingEntries.length > 0) throw optionsError(`staging folder ${target.stagingDir} is not empty`);

  const scratch: { dir?: string } = {};
  let writer: PixelWriter | undefined;
  try {
    const extracting = new ProgressMeter('extracting', 1, onProgress);
    extracting.report(0);
    const { listing, archive } = await resolveSource(input, limits, target.scratchDir ?? tmpdir(), scratch);
    extracting.report(1);
    const items = listing.items;
    checkClasses(countLabels(items.map((i) => i.label)), minClassSize, '');

    const probed = await probeAll(items, listing.format === 'dicom', limits.maxPixels, concurrency, onProgress);
    const issues: ImageIssue[] = probed.flatMap((p) => (p.ok ? [] : [p.issue]));
    const {
      channels,
      choice: channelsChoice,
      warning: channelsWarning,
    } = chooseChannels(items, probed, input.channels ?? 'auto', optionName);
    const normaliseOptions = { size, fit, maxPixels: limits.maxPixels };
    const failing = () => issues.length > 0 && !input.skipBad;

    writer = await PixelWriter.create(target.stagingDir, size * size * channels);
    const profile = new ProfileBuilder();
    const accepted: ListedItem[] = [];
    const meter = new ProgressMeter('normalising', items.length, onProgress);
    let done = 0;
    const candidates = items.map((item, i) => ({ item, probe: probed[i]! }));
    await orderedPool(
      candidates,
      concurrency,
      async ({ item, probe }): Promise<Normalised | undefined> => {
        if (!probe.ok) return undefined;
        try {
          if (item.kind === 'pixels')
            return { ok: true, info: item.info, pixels: await normaliseRaw(item.load(), channels, normaliseOptions) };
          const { info, pixels } = await normaliseFile(
            await readFile(item.path),
            channels,
            normaliseOptions,
            probe.info,
          );
          return { ok: true, info, pixels };
        } catch (e) {
          return { ok: false, issue: issueOf(item.ref, e) };
        }
      },
      async (result, { item }) => {
        meter.report(++done);
        if (!result) return;
        if (!result.ok) {
          issues.push(result.issue);
          return;
        }
        // Once the run is bound to fail, keep decoding only to name every bad file.
        if (failing()) return;
        await writer!.append(result.pixels);
        profile.add(
          item.ref,
          item.label,
          result.info,
          createHash('sha256').update(result.pixels).digest('hex'),
          pixelStd(result.pixels),
        );
        accepted.push(item);
      },
    );
    await writer.close();
    if (failing())
      throw badImagesError(
        [...issues].sort((a, b) => a.file.localeCompare(b.file, 'en', { numeric: true })),
        optionName('skip-bad'),
      );
    checkClasses(countLabels(accepted.map((i) => i.label)), minClassSize, ' after leaving out unusable images');

    const warnings: ProfileWarning[] = [...listing.warnings, ...(channelsWarning ? [channelsWarning] : [])];
    const present = new Set(accepted.map((i) => i.label));
    let classNames = sortedClasses(present);
    if (listing.classOrder) {
      const dropped = listing.classOrder.filter((c) => !present.has(c));
      if (dropped.length > 0)
        warnings.push({
          code: 'IGNORED_FILES',
          message: `${dropped.length} class name(s) with no images were dropped: ${listForMessage(dropped)}`,
        });
      classNames = listing.classOrder.filter((c) => present.has(c));
    }
    const index = new Map(classNames.map((c, i) => [c, i]));
    const labels = accepted.map((i) => index.get(i.label)!);
    const { splits, source } = assignSplits(labels, accepted, input.split, warnings);
    const built = profile.build({
      classNames,
      splits,
      normalised: { size, channels, fit, channelsChoice },
      skipped: issues,
      extraWarnings: warnings,
      thresholds,
    });
    const groups = accepted.some((i) => i.group !== null) ? accepted.map((i) => i.group ?? '') : null;
    await writeManifest(
      target.stagingDir,
      { size, channels, count: accepted.length, classNames, labels, splits, groups, refs: accepted.map((i) => i.ref) },
      built,
    );

    const splitCounts: Record<string, number> = {};
    for (const s of splits) splitCounts[s ?? 'unsplit'] = (splitCounts[s ?? 'unsplit'] ?? 0) + 1;
    const allDicom = probed.every((p) => !p.ok || p.info.format === 'dicom');
    return {
      format:
        listing.format === 'folder' || listing.format === 'csv'
          ? allDicom
            ? 'dicom'
            : listing.format
          : listing.format,
      archive,
      imageCount: accepted.length,
      classNames,
      classCounts: built.classCounts,
      splitSource: source,
      splitCounts,
      size,
      channels,
      profile: built,
      files: [PIXELS_FILE, MANIFEST_FILE, PROFILE_FILE],
      storedBytes: accepted.length * size * size * channels,
    };
  } catch (e) {
    await writer?.close().catch(() => undefined);
    await Promise.all(
      [PIXELS_FILE, MANIFEST_FILE, PROFILE_FILE].map((f) => rm(join(target.stagingDir, f), { force: true })),
    );
    throw e;
  } finally {
    if (scratch.dir) await rm(scratch.dir, { recursive: true, force: true });
  }
}

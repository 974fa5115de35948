import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { presentRecommendations } from '../../presenters/evidence.js';
import { dataDir, prepareTargetFromPath, recommend, withStore, type IngestOptions } from '../../services/index.js';
import { progressBar } from '../progress.js';
import { printJson, table } from '../output.js';
import { positiveInt } from '../options.js';
import { invalid } from '../../errors.js';
import { definedOnly } from '../../defaults.js';
import { shortProbeId } from '../../probes/index.js';

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}

interface RecommendOptions {
  top?: number;
  candidates?: string;
  study?: string;
  candidateSet?: string;
  explain?: boolean;
  json?: boolean;
  name?: string;
  id?: string;
  origin?: 'natural' | 'medical';
  modality?: string;
  size?: number;
  channels?: 'auto' | '1' | '3';
  samples?: number;
  maxImages?: number;
  skipBad?: boolean;
  holdOut?: boolean;
}

/** Only the options the user gave: defaults left to ingestion keep the data's id what it was. */
function ingestOptionsOf(opts: RecommendOptions): IngestOptions | undefined {
  const o: IngestOptions = {
    ...(opts.skipBad ? { skipBad: true } : {}),
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    ...(opts.channels !== undefined
      ? { channels: opts.channels === 'auto' ? 'auto' : (Number(opts.channels) as 1 | 3) }
      : {}),
  };
  return Object.keys(o).length > 0 ? o : undefined;
}

function printTraits(t: ReturnType<typeof presentRecommendations>['target_traits']): void {
  const e = t.expert_features;
  const features = Object.entries(e.features)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `target: ${t.images} images, ${t.classes} classes, ${t.colour}, ${t.image_size} (from the data); origin ${t.origin}, modality ${t.modality ?? 'not given'}; expert features ${e.source === 'derived' ? `derived from the data: ${features}` : `from ${e.source}: ${features}`}`,
  );
  for (const l of t.left_out) console.log(`left out: ${l}`);
}

/** Ingests and embeds the data at `path` (each step skipped when already done) and returns its dataset id. */
async function targetOfPath(
  db: Parameters<typeof prepareTargetFromPath>[0],
  path: string,
  opts: RecommendOptions,
): Promise<string> {
  const bar = progressBar({ label: opts.name ?? path });
  const ingest = ingestOptionsOf(opts);
  try {
    const prepared = await prepareTargetFromPath(
      db,
      dataDir(),
      {
        path: resolve(path),
        ...definedOnly({
          name: opts.name || undefined,
          id: opts.id,
          origin: opts.origin,
          modality: opts.modality,
          ingest,
          embed: opts.samples === undefined ? undefined : { samples: opts.samples },
          maxImages: opts.maxImages,
        }),
      },
      { ingest: (p) => bar.update(p), embed: (p) => bar.update(p) },
    );
    bar.finish();
    const steps = [
      prepared.ingested ? 'ingested' : 'already stored',
      prepared.embedded ? 'embedded' : 'embedding reused',
    ];
    process.stderr.write(
      `${path}: dataset '${prepared.dataset}' (${steps.join(', ')}; embedding ${prepared.embedding.id} under probe ${prepared.embedding.probe.name})\n`,
    );
    if (prepared.ingested && opts.origin === undefined)
      process.stderr.write(`${path}: origin not given (--origin natural or medical), recorded as medical\n`);
    return prepared.dataset;
  } catch (err) {
    bar.finish();
    throw err;
  }
}

export function recommendCommand(): Command {
  return new Command('recommend')
    .description(
      'rank pretrained backbones to fine-tune on a target: predicted result on the z-within-group scale with 80% and 90% intervals, and why',
    )
    .argument(
      '<dataset>',
      'the target: a registered dataset id, or a path to its images (folder, CSV, npz, DICOM or archive), which is ingested and embedded first',
    )
    .option('--name <name>', 'for a path: the name to register the data under (default: the file or folder name)')
    .option('--samples <n>', 'for a path: Monte Carlo Fisher samples of its Task2Vec embedding', positiveInt)
    .option('--max-images <n>', 'for a path: embed at most this many images (stratified by class)', positiveInt)
    .option(
      '--id <id>',
      'for a path: the dataset id (default: made from the name and the data, so re-running reuses it)',
    )
    .addOption(
      new Option('--origin <origin>', 'for a path: natural or medical images (default: medical)').choices([
        'natural',
        'medical',
      ]),
    )
    .option('--modality <modality>', 'for a path: for example x-ray, ultrasound, dermoscopy (the data cannot tell)')
    .option('--size <px>', 'for a path: working size, images are stored as size x size (default 224)', positiveInt)
    .addOption(
      new Option(
        '--channels <n>',
        'for a path: auto keeps grey or colour (converting a small minority); 1 or 3 converts every image',
      ).choices(['auto', '1', '3']),
    )
    .option('--skip-bad', 'for a path: skip unreadable images instead of refusing the data')
    .option('--top <k>', 'show the best k backbones', positiveInt)
    .option('--candidates <ids>', 'comma-separated backbones to rank (default: every backbone with a track record)')
    .option(
      '--study <id>',
      "with --candidate-set: rank among this study's candidate set, whose track records then apply",
    )
    .option('--candidate-set <id>', 'the candidate set of --study')
    .option(
      '--hold-out',
      'for a measured target: rank it with a model fitted without its results (seconds), and show the results beside the predictions',
    )
    .option('--explain', 'also print the parts of each prediction and the evidence behind it')
    .option('--json', 'print JSON')
    .action(async (argument: string, opts: RecommendOptions) => {
      const candidates = opts.candidates
        ?.split(',')
        .map((c) => c.trim())
        .filter((c) => c !== '');
      if ((opts.study === undefined) !== (opts.candidateSet === undefined))
        throw invalid('--study and --candidate-set go together', [
          { field: opts.study === undefined ? 'study' : 'candidate-set', message: 'give both or neither' },
        ]);
      const result = presentRecommendations(
        await withStore(async (store) =>
          recommend(store, {
            target: existsSync(argument) ? await targetOfPath(store, argument, opts) : argument,
            ...definedOnly({ candidates: candidates || undefined }),
            ...(opts.study !== undefined && opts.candidateSet !== undefined
              ? { context: { study: opts.study, candidateSet: opts.candidateSet } }
              : {}),
            ...definedOnly({ topK: opts.top, holdOut: opts.holdOut }),
          }),
        ),
      );
      if (opts.json) return printJson(result);
      printTraits(result.target_traits);
      if (result.held_out !== null)
        console.log(
          `held out: ${result.target}'s own results are hidden from a model fitted without them, and shown in each reason`,
        );
      console.log(
        `backbones for ${result.target}: predicted result as a z-score among the ranked backbones (${result.scale}), model ${result.model.version.slice(0, 12)} fitted on ${result.model.training.pairs} results over ${result.model.training.targets.length} targets`,
      );
      const similarity = result.similarity;
      if (similarity !== null) {
        console.log(`measured targets by Task2Vec (probe ${shortProbeId(similarity.probe)}): ${similarity.summary}`);
        if (similarity.verdict !== 'match' && similarity.nearest.length > 0)
          console.log(
            `nearest measured targets: ${similarity.nearest.map((n) => `${n.target} ${n.distance.toPrecision(2)}`).join(', ')} (of ${similarity.compared} with an embedding under this probe)`,
          );
      }
      const distances = result.source_distances;
      if (distances !== null)
        console.log(
          `Task2Vec distances to sources (${distances.distance}, probe ${shortProbeId(distances.probe)}, nearest first): ${distances.items.map((d) => `${d.source} ${d.distance.toPrecision(2)}`).join(', ')}`,
        );
      if (result.without_embedding.length > 0) {
        const probes = [
          ...new Set([...(result.target_embedded ? [result.probe] : []), distances?.probe].filter((p) => p != null)),
        ].map((p) => shortProbeId(p));
        const why =
          probes.length === 0
            ? `cannot be compared with ${result.target} by Task2Vec: it has no embedding a source shares`
            : `have no Task2Vec embedding under probe ${probes.join(' or ')}`;
        console.log(`no Task2Vec distance (not imputed): ${result.without_embedding.join(', ')} ${why}`);
      }
      if (result.estimator_scores.length > 0) {
        const byBackbone = new Map<string, string[]>();
        for (const e of result.estimator_scores)
          byBackbone.set(e.backbone, [...(byBackbone.get(e.backbone) ?? []), `${e.signal} ${e.value.toPrecision(3)}`]);
        for (const [backbone, scores] of byBackbone)
          console.log(`estimator scores of ${result.target} with ${backbone.slice(0, 18)}: ${scores.join(', ')}`);
      }
      console.log('');
      console.log(
        table(
          ['rank', 'backbone', 'basis', 'predicted', '80% interval', '90% interval', 'weights', 'reason'],
          result.items.map((r) => [
            r.rank,
            r.backbone,
            r.basis,
            signed(r.predicted.mean),
            `[${signed(r.predicted.interval80[0]!)}, ${signed(r.predicted.interval80[1]!)}]`,
            `[${signed(r.predicted.interval90[0]!)}, ${signed(r.predicted.interval90[1]!)}]`,
            `${r.weights.provider}${r.weights.url ? ` ${r.weights.url}` : ''}`,
            r.reason,
          ]),
        ),
      );
      for (const c of result.held_out ?? [])
        console.log(
          `held out against ${c.study}/${c.candidate_set} (${c.backbones} backbones measured): weighted tau ${c.weighted_tau === null ? 'undefined' : c.weighted_tau.toFixed(3)}; predicted best ${c.predicted_best}, measured best ${c.measured_best}, regret ${c.regret.toPrecision(2)}`,
        );
      if (!opts.explain) return;
      for (const r of result.items) {
        const e = r.explanation;
        const parts = [
          `track record ${signed(e.track_record)}`,
          `traits ${signed(e.traits)}`,
          ...e.interactions.map((x) => `${x.name} ${signed(x.effect)}`),
          ...e.signals.map(
            (x) => `${x.signal}${x.value === null ? ' (missing)' : ` = ${x.value.toPrecision(3)}`} ${signed(x.effect)}`,
          ),
        ];
        const ev = r.evidence;
        const similar = ev.similar_targets.map((t) => `${t.target} (${t.rank}/${t.of})`).join(', ');
        console.log(`\n${r.backbone}: ${parts.join('; ')}`);
        console.log(
          `  measured on ${ev.targets_measured} targets, first in ${ev.wins} of ${ev.groups_measured} groups${ev.mean_z === null ? '' : `, mean z ${signed(ev.mean_z)}`}${similar ? `; most similar measured targets: ${similar}` : ''}`,
        );
      }
    });
}

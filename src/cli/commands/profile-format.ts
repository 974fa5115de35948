/** A dataset profile for people: per-class and per-split counts, then what was found and what looks wrong. */
import type { components } from '../../api/schema.js';
import { table } from '../output.js';

type Profile = components['schemas']['DatasetProfile'];

const SPLIT_ORDER = ['train', 'val', 'test', 'unsplit'];
const LISTED = 10;

function tally(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} (${n})`).join(', ');
}

export function formatProfile(p: Profile): string {
  const splits = Object.keys(p.split_counts).sort((a, b) => SPLIT_ORDER.indexOf(a) - SPLIT_ORDER.indexOf(b));
  const classes = Object.keys(p.class_counts);
  const rows = classes.map((c) => [c, ...splits.map((s) => p.split_counts[s]?.[c] ?? 0), p.class_counts[c]]);
  rows.push([
    'total',
    ...splits.map((s) => Object.values(p.split_counts[s] ?? {}).reduce((a, b) => a + b, 0)),
    p.image_count,
  ]);
  const s = p.sizes;
  const sizes =
    s.distinct === 1
      ? tally(Object.fromEntries(s.top.map((t) => [`${t.width}x${t.height}`, t.count])))
      : `${s.distinct} distinct, ${s.min_width}x${s.min_height} to ${s.max_width}x${s.max_height}; most common ${s.top
          .slice(0, 5)
          .map((t) => `${t.width}x${t.height} (${t.count})`)
          .join(', ')}`;
  const d = p.duplicates;
  const lines = [
    `${p.image_count} images in ${p.class_count} classes`,
    '',
    table(['class', ...splits, 'total'], rows),
    '',
    `original sizes   ${sizes}`,
    `channels         ${tally(p.channels)}`,
    `bit depth        ${tally(p.bit_depths)}`,
    `formats          ${tally(p.formats)}`,
    `stored as        ${p.normalised.size}x${p.normalised.size}, ${p.normalised.channels} channel(s)${p.normalised.channels_choice === 'majority' ? ' (the majority; the rest converted)' : ''}, fit ${p.normalised.fit}`,
    `duplicates       ${d.groups === 0 ? 'none' : `${d.groups} set(s) of identical images, ${d.redundant_images} redundant, ${d.cross_split_groups} across splits`}`,
    `near-constant    ${p.near_constant.count === 0 ? 'none' : `${p.near_constant.count}, e.g. ${p.near_constant.examples.slice(0, 5).join(', ')}`}`,
    `skipped          ${p.skipped.length === 0 ? 'none' : p.skipped.length}`,
    ...p.skipped.slice(0, LISTED).map((i) => `  ${i.file}: ${i.reason}`),
    ...(p.skipped.length > LISTED ? [`  and ${p.skipped.length - LISTED} more (--json lists them all)`] : []),
    `warnings         ${p.warnings.length === 0 ? 'none' : p.warnings.length}`,
    ...p.warnings.map((w) => `  ${w.code}: ${w.message}`),
  ];
  return lines.join('\n');
}

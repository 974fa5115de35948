/**
 * Stored runs (the store's snake_case protocol, fold rows) and the transfer domain's results
 * (camelCase protocol, fold values) are the same facts; these functions move between them.
 */
import type { NewTransferRun, Protocol as StoredProtocol, TransferRun } from '../store/index.js';
import type { IdentifiedResult, Metric, Provenance, TransferResult } from '../transfer/index.js';

const DOI_URL = 'https://doi.org/';

export function referenceOf(provenance: Provenance): string | undefined {
  if (provenance.doi !== undefined) return DOI_URL + provenance.doi;
  return provenance.url;
}

function provenanceOf(run: TransferRun): Provenance {
  const ref = run.reference;
  if (ref?.startsWith(DOI_URL)) return { contributor: run.contributor, doi: ref.slice(DOI_URL.length) };
  return { contributor: run.contributor, ...(ref !== undefined ? { url: ref } : {}) };
}

export function toDomainResult(run: TransferRun): IdentifiedResult {
  const p = run.protocol;
  return {
    id: run.id,
    source: run.source,
    target: run.target,
    architecture: run.architecture,
    protocol: {
      folds: p.folds,
      // Stored runs were validated on the way in; the store keeps the metric as text.
      metric: p.metric as Metric,
      ...(p.image_size !== undefined ? { imageSize: p.image_size } : {}),
      ...(p.epochs !== undefined ? { epochs: p.epochs } : {}),
      ...(p.notes !== undefined ? { notes: p.notes } : {}),
    },
    foldValues: run.folds.map((f) => f.value),
    provenance: provenanceOf(run),
  };
}

export function storedProtocol(result: TransferResult): StoredProtocol {
  const p = result.protocol;
  return {
    folds: p.folds,
    metric: p.metric,
    ...(p.imageSize !== undefined ? { image_size: p.imageSize } : {}),
    ...(p.epochs !== undefined ? { epochs: p.epochs } : {}),
    ...(p.notes !== undefined ? { notes: p.notes } : {}),
  };
}

export function toNewRun(result: TransferResult, id: string, duplicateKey: string): NewTransferRun {
  const reference = referenceOf(result.provenance);
  return {
    id,
    source: result.source,
    target: result.target,
    architecture: result.architecture,
    protocol: storedProtocol(result),
    values: result.foldValues,
    contributor: result.provenance.contributor,
    ...(reference !== undefined ? { reference } : {}),
    duplicateKey,
  };
}

/**
 * A result as the API and the CLI's JSON files write it (protocol.image_size) turned into the
 * domain's raw input (protocol.imageSize) for validation; anything else passes through unchanged
 * so that validation reports it.
 */
export function fromWireInput(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const record = input as Record<string, unknown>;
  const protocol = record['protocol'];
  if (typeof protocol !== 'object' || protocol === null || Array.isArray(protocol)) return input;
  const { image_size: imageSize, ...rest } = protocol as Record<string, unknown>;
  return { ...record, protocol: imageSize === undefined ? rest : { ...rest, imageSize } };
}

/** `[2].protocol.imageSize` becomes `results.2.protocol.image_size`: the field as the sender wrote it. */
export function wireField(path: string, prefix: string): string {
  const dotted = path
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/^\./, '')
    .replace(/\bimageSize\b/g, 'image_size');
  if (dotted === '(root)' || dotted === '') return prefix === '' ? '(body)' : prefix;
  return prefix === '' ? dotted : `${prefix}.${dotted}`;
}

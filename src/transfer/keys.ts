/**
 * Identity keys for results. Protocol identity leaves out the free-text notes: two runs with the same
 * folds, metric, image size and epochs are comparable whatever their commentary says.
 */
import { createHash } from 'node:crypto';
import type { Protocol, TransferResult } from './types.js';

export function protocolKey(protocol: Protocol): string {
  return JSON.stringify([protocol.folds, protocol.metric, protocol.imageSize ?? null, protocol.epochs ?? null]);
}

/** Results with the same target, architecture and protocol can be compared fold by fold. */
export function comparableKey(result: Pick<TransferResult, 'target' | 'architecture' | 'protocol'>): string {
  return JSON.stringify([result.target, result.architecture, protocolKey(result.protocol)]);
}

/**
 * Same source, target, architecture, protocol and per-fold values: the same result sent twice.
 * Values are compared exactly as numbers (their shortest round-trip decimal form).
 */
export function duplicateKey(
  result: Pick<TransferResult, 'source' | 'target' | 'architecture' | 'protocol' | 'foldValues'>,
): string {
  const canonical = JSON.stringify([result.source, comparableKey(result), result.foldValues]);
  return createHash('sha256').update(canonical).digest('hex');
}

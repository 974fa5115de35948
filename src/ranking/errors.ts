/** The evidence cannot support a fit: too few measured pairs. Any other failure of the maths is a bug. */
export class NotEnoughEvidenceError extends Error {
  override readonly name = 'NotEnoughEvidenceError';

  constructor(
    readonly needed: number,
    readonly found: number,
  ) {
    super(`the ranker needs at least ${needed} measured (source, target) pairs, got ${found}`);
  }
}

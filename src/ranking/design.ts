/**
 * From raw pair features (with gaps) to model columns: mean imputation plus a missing-indicator per
 * feature, then standardisation with training statistics, so one prior precision suits every column.
 */

export interface Design {
  readonly baseFeatures: readonly string[];
  /** Base features then `missing:<name>` indicators. */
  readonly columns: readonly string[];
  /** Training mean of each base feature over rows that had it (0 when none did). */
  readonly imputation: readonly number[];
  readonly centre: readonly number[];
  /** Training standard deviation, 1 for constant columns so they encode to 0 without dividing by zero. */
  readonly scale: readonly number[];
}

export type RawRow = readonly (number | undefined)[];

function impute(imputation: readonly number[], raw: RawRow): number[] {
  const values = imputation.map((m, j) => raw[j] ?? m);
  const indicators = imputation.map((_, j) => (raw[j] === undefined ? 1 : 0));
  return [...values, ...indicators];
}

export function buildDesign(baseFeatures: readonly string[], rows: readonly RawRow[]): Design {
  const imputation = baseFeatures.map((_, j) => {
    const seen = rows.flatMap((r) => (r[j] === undefined ? [] : [r[j]!]));
    return seen.length === 0 ? 0 : seen.reduce((a, b) => a + b, 0) / seen.length;
  });
  const filled = rows.map((r) => impute(imputation, r));
  const width = baseFeatures.length * 2;
  const centre: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < width; j++) {
    const column = filled.map((r) => r[j]!);
    const m = column.reduce((a, b) => a + b, 0) / Math.max(1, column.length);
    const sd = Math.sqrt(column.reduce((a, v) => a + (v - m) * (v - m), 0) / Math.max(1, column.length));
    centre.push(m);
    scale.push(sd > 1e-12 ? sd : 1);
  }
  return { baseFeatures, columns: [...baseFeatures, ...baseFeatures.map((f) => `missing:${f}`)], imputation, centre, scale };
}

export function encode(design: Design, raw: RawRow): number[] {
  if (raw.length !== design.baseFeatures.length) throw new RangeError(`expected ${design.baseFeatures.length} raw features, got ${raw.length}`);
  return impute(design.imputation, raw).map((v, j) => (v - design.centre[j]!) / design.scale[j]!);
}

import type { ResultView } from '../../services/index.js';

/** `+7.51 ± 0.82`, `(baseline)`, or the reason in a few words. */
export function transferabilityCell(run: ResultView): string {
  const t = run.transferability;
  if (t.ok) return `${t.mean >= 0 ? '+' : ''}${t.mean.toFixed(2)}${t.std === null ? '' : ` ± ${t.std.toFixed(2)}`}`;
  return t.reason === 'is-baseline' ? '(baseline)' : `none: ${t.reason}`;
}

/** Numbers as the page prints them; tests compare the page with the API through the same rules. */
export function fixed(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

export function signed(value: number, digits = 2): string {
  return (value >= 0 ? '+' : '') + value.toFixed(digits);
}

export function pValue(p: number | null): string {
  if (p === null) return '–';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

export function interval(lower: number | null, upper: number | null, digits = 2): string {
  return lower === null || upper === null ? '–' : `[${lower.toFixed(digits)}, ${upper.toFixed(digits)}]`;
}

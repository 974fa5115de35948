import { h, type Child } from './dom.js';

export interface Column<R> {
  readonly label: string;
  /** What the column sorts by, and prints unless `render` is given. */
  readonly value: (row: R) => string | number | null;
  readonly render?: (row: R) => Child;
  readonly numeric?: boolean;
}

/** Which column a sortable table is sorted by; pass the same object to a redrawn table to keep its order. */
export interface SortState {
  column: number | null;
  ascending: boolean;
}

/**
 * A table with a caption; with `sortable`, each header is a button that sorts by its column and says so in
 * `aria-sort`, so keyboard and screen-reader users sort the same way as mouse users.
 */
export function dataTable<R>(
  caption: string,
  columns: readonly Column<R>[],
  rows: readonly R[],
  options: { sortable?: boolean; className?: string; sort?: SortState } = {},
): HTMLTableElement {
  const body = h('tbody');
  const headers: HTMLTableCellElement[] = [];
  const fill = (ordered: readonly R[]) =>
    body.replaceChildren(
      ...ordered.map((row) =>
        h(
          'tr',
          {},
          ...columns.map((c) =>
            h('td', { class: c.numeric ? 'num' : undefined }, c.render ? c.render(row) : (c.value(row) ?? '–')),
          ),
        ),
      ),
    );
  const sort = options.sort ?? { column: null, ascending: true };
  const sortBy = (index: number, ascending: boolean) => {
    const column = columns[index]!;
    sort.column = index;
    sort.ascending = ascending;
    headers.forEach((th, i) =>
      i === index
        ? th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending')
        : th.removeAttribute('aria-sort'),
    );
    const sign = ascending ? 1 : -1;
    fill([...rows].sort((a, b) => sign * compare(column.value(a), column.value(b))));
  };
  columns.forEach((c, i) => {
    const content = options.sortable
      ? h('button', { type: 'button', onclick: () => sortBy(i, !(sort.column === i && sort.ascending)) }, c.label)
      : c.label;
    headers.push(h('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, content));
  });
  if (sort.column === null) fill(rows);
  else sortBy(sort.column, sort.ascending);
  return h(
    'table',
    { class: options.className },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers)),
    body,
  );
}

function compare(a: string | number | null, b: string | number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

import * as Plot from '@observablehq/plot';
import { h, type Child } from './dom.js';

/** Okabe and Ito's palette: told apart with every common colour-vision deficiency. */
export const OKABE_ITO = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

/**
 * A chart with its caption and, for people and tools that cannot see it, the same numbers as a table
 * behind a disclosure.
 */
export function chartFigure(caption: Child, chart: Element, fallback: HTMLTableElement): HTMLElement {
  return h(
    'figure',
    { class: 'chart-figure' },
    h('figcaption', {}, caption),
    h('div', { class: 'chart' }, chart),
    h('details', {}, h('summary', {}, 'Show the numbers as a table'), fallback),
  );
}

export interface Cell {
  readonly x: string;
  readonly y: string;
  readonly value: number;
}

/** A matrix of values; diverging around zero (purple–orange) or sequential (cividis), both colour-blind safe. */
export function heatmap(
  cells: readonly Cell[],
  options: {
    x: string;
    y: string;
    label: string;
    diverging: boolean;
    digits: number;
    xDomain?: string[];
    yDomain?: string[];
  },
): Element {
  const longest = Math.max(...cells.map((c) => c.y.length), 4);
  const columns = options.xDomain?.length ?? new Set(cells.map((c) => c.x)).size;
  const marginLeft = 12 + longest * 7;
  return Plot.plot({
    ariaLabel: `${options.label}: ${options.y} by ${options.x}`,
    marginLeft,
    // Wide enough that each column's printed value fits in its cell.
    width: Math.max(480, marginLeft + columns * (options.digits + 3) * 9),
    marginBottom: 70,
    padding: 0.04,
    x: { label: options.x, tickRotate: -35, domain: options.xDomain },
    y: { label: options.y, domain: options.yDomain },
    color: options.diverging
      ? { type: 'diverging', scheme: 'PuOr', pivot: 0, legend: true, label: options.label }
      : { type: 'linear', scheme: 'cividis', legend: true, label: options.label },
    marks: [
      Plot.cell(cells, {
        x: 'x',
        y: 'y',
        fill: 'value',
        title: (c: Cell) => `${c.y} → ${c.x}: ${c.value.toFixed(options.digits)}`,
      }),
      Plot.text(cells, {
        x: 'x',
        y: 'y',
        text: (c: Cell) => c.value.toFixed(options.digits),
        fill: 'black',
        stroke: 'white',
        strokeWidth: 3,
        paintOrder: 'stroke',
        fontSize: 11,
      }),
    ],
  });
}

export { Plot };

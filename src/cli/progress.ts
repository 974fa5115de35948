/**
 * Progress on stderr for long jobs (ingestion, embeddings): a bar redrawn in place on a terminal,
 * and an occasional plain line otherwise, so that logs and CI output stay readable.
 */

/** What ingestion and Task2Vec both report. */
export interface ProgressUpdate {
  readonly stage?: string;
  readonly done: number;
  readonly total: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

export interface ProgressSink {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  readonly stream?: ProgressSink;
  /** Put before every line, e.g. the dataset's name. */
  readonly label?: string;
  /** Least time before the first plain line, and between two of them. Default 10 s. */
  readonly plainIntervalMs?: number;
  /** Least time between two redraws of the bar. */
  readonly redrawIntervalMs?: number;
  readonly now?: () => number;
}

export interface ProgressBar {
  update(progress: ProgressUpdate): void;
  /** Ends the bar's line, so that whatever is written next starts on its own. */
  finish(): void;
}

/** 75 -> '1:15', 3725 -> '1:02:05'. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

function rate(p: ProgressUpdate): string {
  return p.imagesPerSecond >= 10 ? p.imagesPerSecond.toFixed(0) : p.imagesPerSecond.toFixed(1);
}

/** A stage of one step (an archive to extract) has no meaningful rate. */
function showRate(p: ProgressUpdate): boolean {
  return p.total > 1 && p.imagesPerSecond > 0;
}

function showEta(p: ProgressUpdate): boolean {
  return p.done < p.total && p.etaSeconds >= 1;
}

function percent(p: ProgressUpdate): number {
  return p.total > 0 ? Math.min(100, Math.floor((100 * p.done) / p.total)) : 100;
}

export function plainLine(p: ProgressUpdate, label = ''): string {
  const head = [label, p.stage].filter((x) => x).join(': ');
  const eta = showEta(p) ? `, about ${formatDuration(p.etaSeconds)} left` : '';
  const speed = showRate(p) ? `, ${rate(p)} images/s` : '';
  return `${head ? `${head} ` : ''}${p.done}/${p.total} (${percent(p)}%)${speed}${eta}`;
}

export function barLine(p: ProgressUpdate, columns: number, label = ''): string {
  const head = [label, p.stage].filter((x) => x).join(' ');
  const tail = `${p.done}/${p.total} ${String(percent(p)).padStart(3)}%${showRate(p) ? ` ${rate(p)} img/s` : ''}${showEta(p) ? ` ETA ${formatDuration(p.etaSeconds)}` : ''}`;
  // One column spare: a line as wide as the terminal wraps the cursor and breaks the redraw.
  const room = columns - head.length - tail.length - 5;
  const lead = head ? `${head} ` : '';
  if (room < 5) return `${lead}${tail}`.slice(0, Math.max(0, columns - 1));
  const width = Math.min(40, room);
  const filled = p.total > 0 ? Math.min(width, Math.floor((width * p.done) / p.total)) : width;
  return `${lead}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${tail}`;
}

export function progressBar(options: ProgressOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  return stream.isTTY === true ? redrawnBar(stream, now, options) : plainLines(stream, now, options);
}

/** Redrawn in place: every stage's start and end, and at most one redraw per interval in between. */
function redrawnBar(stream: ProgressSink, now: () => number, options: ProgressOptions): ProgressBar {
  const interval = options.redrawIntervalMs ?? 100;
  let stage: string | undefined;
  let last = -Infinity;
  let drawn = false;
  return {
    update(p) {
      const newStage = !drawn || p.stage !== stage;
      const t = now();
      if (!newStage && p.done < p.total && t - last < interval) return;
      if (drawn && newStage) stream.write('\n');
      stream.write(`\r\x1b[2K${barLine(p, stream.columns ?? 80, options.label)}`);
      drawn = true;
      stage = p.stage;
      last = t;
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/**
 * For logs: nothing for a job shorter than the interval, then a line per interval, and the end of
 * any stage that was reported, so that short runs stay quiet and long ones show they are alive.
 */
function plainLines(stream: ProgressSink, now: () => number, options: ProgressOptions): ProgressBar {
  const interval = options.plainIntervalMs ?? 10_000;
  let last = now();
  let reported: { readonly stage: string | undefined } | null = null;
  return {
    update(p) {
      const t = now();
      const ending = p.total > 0 && p.done >= p.total && reported !== null && reported.stage === p.stage;
      if (!ending && t - last < interval) return;
      stream.write(`${plainLine(p, options.label)}\n`);
      last = t;
      reported = ending ? null : { stage: p.stage };
    },
    finish() {},
  };
}

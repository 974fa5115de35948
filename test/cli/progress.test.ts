import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  barLine,
  formatDuration,
  plainLine,
  progressBar,
  type ProgressSink,
  type ProgressUpdate,
} from '../../src/cli/progress.js';

function sink(isTTY: boolean, columns = 80): ProgressSink & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, columns, write: (t: string) => chunks.push(t), text: () => chunks.join('') };
}

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const at = (
  stage: string | undefined,
  done: number,
  total: number,
  imagesPerSecond = 0,
  etaSeconds = 0,
): ProgressUpdate => ({
  ...(stage !== undefined ? { stage } : {}),
  done,
  total,
  imagesPerSecond,
  etaSeconds,
});

test('durations read as m:ss and h:mm:ss', () => {
  assert.deepEqual([0, 9.6, 75, 3725].map(formatDuration), ['0:00', '0:10', '1:15', '1:02:05']);
});

test('a bar shows the stage, the filled share, counts, rate and time left, within the terminal width', () => {
  const line = barLine(at('normalising', 390, 780, 523.4, 75), 80, 'BreastMNIST');
  const parts = /^BreastMNIST normalising \[(#+)(\.+)\] 390\/780 {2}50% 523 img\/s ETA 1:15$/.exec(line);
  assert.ok(parts, line);
  assert.equal(parts[1]!.length, Math.floor((parts[1]!.length + parts[2]!.length) / 2));
  assert.ok(line.length < 80);
  const narrow = barLine(at('normalising', 390, 780, 523.4, 75), 40, 'BreastMNIST');
  assert.ok(narrow.length < 40 && !narrow.includes('['), narrow);
  const bare = barLine(at(undefined, 5, 5, 2), 60);
  assert.match(bare, /^\[#+\] 5\/5 100% 2\.0 img\/s$/);
  assert.ok(bare.length < 60);
});

test('plain lines leave out the rate of one-step stages and a time left under a second', () => {
  assert.equal(plainLine(at('extracting', 1, 1, 23), 'x'), 'x: extracting 1/1 (100%)');
  assert.equal(plainLine(at('scanning', 10, 780, 9000, 0.08)), 'scanning 10/780 (1%), 9000 images/s');
  assert.equal(plainLine(at(undefined, 100, 200, 3.25, 30.4)), '100/200 (50%), 3.3 images/s, about 0:30 left');
});

test('on a terminal the bar is redrawn in place, at most once per interval, with a new line per stage', () => {
  const out = sink(true);
  const c = clock();
  const bar = progressBar({ stream: out, now: c.now, redrawIntervalMs: 100 });
  bar.update(at('scanning', 0, 10));
  for (let i = 1; i <= 10; i++) {
    c.advance(30);
    bar.update(at('scanning', i, 10, 30, 1));
  }
  bar.update(at('normalising', 1, 10));
  bar.finish();
  const text = out.text();
  const redraws = text.split('\r\x1b[2K').length - 1;
  // The start, redraws at 120 and 240 ms, the end at 300 ms, and the next stage.
  assert.equal(redraws, 1 + 2 + 1 + 1);
  assert.equal(text.split('\n').length - 1, 2);
  assert.ok(text.endsWith('\n'));
});

test('off a terminal a short job prints nothing, a long one a line per interval and the end of what it reported', () => {
  const quiet = sink(false);
  const c = clock();
  const bar = progressBar({ stream: quiet, now: c.now, plainIntervalMs: 10_000 });
  for (let i = 1; i <= 100; i++) {
    c.advance(10);
    bar.update(at('normalising', i, 100, 100, (100 - i) / 100));
  }
  assert.equal(quiet.text(), '');

  const log = sink(false);
  const d = clock();
  const slow = progressBar({ stream: log, now: d.now, plainIntervalMs: 10_000, label: 'cells' });
  slow.update(at('scanning', 5, 5, 50));
  for (let i = 1; i <= 30; i++) {
    d.advance(1000);
    slow.update(at('normalising', i, 30, 1, 30 - i));
  }
  assert.deepEqual(log.text().trim().split('\n'), [
    'cells: normalising 10/30 (33%), 1.0 images/s, about 0:20 left',
    'cells: normalising 20/30 (66%), 1.0 images/s, about 0:10 left',
    'cells: normalising 30/30 (100%), 1.0 images/s',
  ]);
});

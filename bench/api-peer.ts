/**
 * The peer for `npm run bench:api`: the smallest Express app that answers POST /v1/recommendations with
 * the bytes the service answered (read from the file given), on a plain node:http server or on the
 * service's own server (`createHttpServer`). Prints `listening on <port>` once it is, and on SIGTERM
 * one JSON line with its young-generation collections (count, median, 90th percentile and total pause),
 * which show why the plain server's tail is long.
 *   node --import tsx bench/api-peer.ts <answer.json> plain|service
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, PerformanceObserver, type NodeGCPerformanceDetail } from 'node:perf_hooks';
import express from 'express';
import { createHttpServer } from '../src/api/index.js';
import { DEFAULT_SECURITY } from '../src/api/security.js';

const [answerPath, kind] = process.argv.slice(2);
if (answerPath === undefined || (kind !== 'plain' && kind !== 'service')) {
  console.error('usage: bench/api-peer.ts <answer.json> plain|service');
  process.exit(2);
}
const bytes = readFileSync(answerPath);
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json());
app.post('/v1/recommendations', (_req, res) => {
  res.set('Content-Type', 'application/json; charset=utf-8').send(bytes);
});
const server: Server = kind === 'plain' ? createServer(app) : createHttpServer(app, DEFAULT_SECURITY);
const scavenges: number[] = [];
const gcs = new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if ((entry as { detail?: NodeGCPerformanceDetail }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
      scavenges.push(entry.duration);
});
server.listen(0, '127.0.0.1', () => {
  gcs.observe({ entryTypes: ['gc'] });
  console.log(`listening on ${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => {
  gcs.disconnect();
  const sorted = [...scavenges].sort((a, b) => a - b);
  const at = (q: number) =>
    Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2));
  const total = sorted.reduce((a, b) => a + b, 0);
  console.log(
    JSON.stringify({ scavenges: sorted.length, median_ms: at(0.5), p90_ms: at(0.9), total_ms: Math.round(total) }),
  );
  server.close(() => process.exit(0));
  server.closeAllConnections();
});

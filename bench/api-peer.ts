/**
 * The peer for `npm run bench:api`: the smallest Express app that answers POST /v1/recommendations with
 * the bytes the service answered (read from the file given), on a plain node:http server or on the
 * service's own server (`createHttpServer`). Prints `listening on <port>` once it is.
 *   node --import tsx bench/api-peer.ts <answer.json> plain|service
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
server.listen(0, '127.0.0.1', () => console.log(`listening on ${(server.address() as AddressInfo).port}`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));

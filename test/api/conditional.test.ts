import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { encodedOnce, sendJson, sendRead } from '../../src/api/conditional.js';

async function serve(app: Express, run: (url: string) => Promise<void>): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test('an answer held by the cache is encoded once, and its ETag is that of its bytes', () => {
  const answer = { items: [1, 2, 3] };
  const first = encodedOnce(answer);
  assert.equal(encodedOnce(answer), first);
  assert.equal(first.bytes.toString(), '{"items":[1,2,3]}');
  assert.equal(encodedOnce({ items: [1, 2, 3] }).etag, first.etag, 'equal bytes, equal tag');
  assert.notEqual(encodedOnce({ items: [1, 2] }).etag, first.etag);
});

test('the encoded bytes are sent as JSON, unless something wraps res.json: then the answer goes through it', async () => {
  const answer = { ok: true };
  const wrapped: unknown[] = [];
  const app = express();
  app.use('/wrapped', (_req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      wrapped.push(body);
      return json(body);
    };
    next();
  });
  app.get(['/plain', '/wrapped'], (_req, res) => sendJson(res, answer, encodedOnce(answer)));
  await serve(app, async (url) => {
    const plain = await fetch(`${url}/plain`);
    assert.equal(plain.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await plain.json(), answer);
    assert.deepEqual(wrapped, []);
    const through = await fetch(`${url}/wrapped`);
    assert.deepEqual(await through.json(), answer);
    assert.deepEqual(wrapped, [answer]);
  });
});

test('a read answers 304 to an If-None-Match holding its tag', async () => {
  const answer = { page: 1 };
  const app = express();
  app.get('/read', (req, res) => sendRead(req, res, answer, encodedOnce(answer)));
  await serve(app, async (url) => {
    const first = await fetch(`${url}/read`);
    const etag = first.headers.get('etag')!;
    assert.equal(etag, encodedOnce(answer).etag);
    assert.equal((await fetch(`${url}/read`, { headers: { 'if-none-match': `"other", W/${etag}` } })).status, 304);
    assert.equal((await fetch(`${url}/read`, { headers: { 'if-none-match': '"other"' } })).status, 200);
  });
});

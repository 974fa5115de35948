import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHttpServer } from '../../src/api/index.js';
import { DEFAULT_SECURITY } from '../../src/api/security.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('requests and responses arrive with the prototypes Express would give them, so it changes none', async () => {
  const app = express();
  app.use(express.json());
  app.post('/echo', (req, res) => {
    res
      .set('x-from-app', String(req.app === app))
      .status(201)
      .json({ got: req.body as unknown, path: req.path });
  });
  const server = createHttpServer(app, DEFAULT_SECURITY);
  const arrived: boolean[] = [];
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    arrived.push(Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response);
  });
  const url = await listen(server);
  try {
    for (const n of [1, 2]) {
      const res = await fetch(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n }),
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('x-from-app'), 'true');
      assert.deepEqual(await res.json(), { got: { n }, path: '/echo' });
    }
    assert.deepEqual(arrived, [true, true]);
    // Still the node:http objects every middleware expects.
    assert.ok(app.request instanceof IncomingMessage && app.response instanceof ServerResponse);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('an app served through a plain server (as supertest does) keeps working after the classes are built', async () => {
  const app = express();
  app.get('/who', (req, res) => res.json({ app: req.app === app }));
  createHttpServer(app, DEFAULT_SECURITY);
  const plain = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => plain.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/who`);
    assert.deepEqual(await res.json(), { app: true });
  } finally {
    await new Promise((resolve) => plain.close(resolve));
  }
});

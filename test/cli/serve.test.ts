import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const data = mkdtempSync(join(tmpdir(), 'ta-serve-'));
const env = { ...process.env, TA_DATA_DIR: data, DATABASE_URL: '' };
test.after(() => rmSync(data, { recursive: true, force: true }));

function serve(port: number, extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

test('serve on a port in use exits 2 with one line naming the port', async () => {
  const { server, port } = await listening();
  try {
    const run = serve(port);
    assert.equal(await run.exited, 2, run.out() + run.err());
    // The backend choice is logged first, as at every start; the failure itself is one line.
    assert.equal(
      run
        .err()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('transfer-atlas:')).length,
      1,
      run.err(),
    );
    assert.match(run.err(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
    assert.doesNotMatch(run.out(), /listening/);
  } finally {
    server.close();
  }
});

test('SIGTERM ends the server despite an idle and a half-open connection', async () => {
  const { server, port } = await listening();
  await new Promise((resolve) => server.close(resolve));
  const run = serve(port);
  for (let i = 0; i < 1200 && !run.out().includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(run.out(), /listening/, run.err());
  const idle = connect(port, '127.0.0.1');
  const halfOpen = connect(port, '127.0.0.1');
  // Closing a socket that still holds unread request bytes makes the kernel send a reset; that reset is the
  // server doing its job, not a failure of this test.
  for (const s of [idle, halfOpen]) s.on('error', () => {});
  await Promise.all([idle, halfOpen].map((s) => new Promise((resolve) => s.once('connect', resolve))));
  halfOpen.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n');
  const started = Date.now();
  run.child.kill('SIGTERM');
  const code = await run.exited;
  idle.destroy();
  halfOpen.destroy();
  assert.equal(code, 0, run.err());
  // The bound is the 10 s grace; the slack is for a loaded machine.
  assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
});

/** Sends `head` and nothing more, then resolves with what the server wrote and when it closed the socket. */
function stall(port: number, head: string): Promise<{ reply: string; afterMs: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let reply = '';
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.once('connect', () => socket.write(head));
    socket.once('close', () => resolve({ reply, afterMs: Date.now() - started }));
  });
}

test('a request whose headers or body never finish is answered 408 and closed at its deadline', async () => {
  const { server, port } = await listening();
  await new Promise((resolve) => server.close(resolve));
  const run = serve(port, { TA_HEADERS_TIMEOUT_MS: '1500', TA_REQUEST_TIMEOUT_MS: '3000' });
  try {
    for (let i = 0; i < 1200 && !run.out().includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(run.out(), /listening/, run.err());
    const [headers, body] = await Promise.all([
      stall(port, 'GET /v1/health HTTP/1.1\r\nHost: x\r\n'),
      stall(
        port,
        'POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a"',
      ),
    ]);
    assert.match(headers.reply, /^HTTP\/1\.1 408/, headers.reply);
    assert.match(body.reply, /^HTTP\/1\.1 408/, body.reply);
    // Deadlines are checked once a second, so each may be up to a second late; the rest is slack for a loaded machine.
    assert.ok(headers.afterMs >= 1_400 && headers.afterMs < 8_000, `headers: ${headers.afterMs} ms`);
    assert.ok(body.afterMs >= 2_900 && body.afterMs < 10_000, `body: ${body.afterMs} ms`);
    // The server is still there for everyone else.
    const health = await fetch(`http://127.0.0.1:${port}/v1/health`);
    assert.equal(health.status, 200);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
  }
});

test('a bad timeout setting stops the start with exit 2 naming the variable', async () => {
  const { server, port } = await listening();
  await new Promise((resolve) => server.close(resolve));
  const run = serve(port, { TA_HEADERS_TIMEOUT_MS: '20000', TA_REQUEST_TIMEOUT_MS: '5000' });
  assert.equal(await run.exited, 2, run.out() + run.err());
  assert.match(run.err(), /TA_HEADERS_TIMEOUT_MS \(20000\) must not exceed TA_REQUEST_TIMEOUT_MS \(5000\)/);
  assert.doesNotMatch(run.out(), /listening/);
});

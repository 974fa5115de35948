import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, runProcess } from './cli.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a process that outlives its timeout is killed with its children, and the failure shows its output', async () => {
  // The parent prints its child's pid and then both wait forever, as the Atomics.wait deadlock did.
  const script = [
    "const { spawn } = require('node:child_process');",
    "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
    "console.log('grandchild ' + child.pid);",
    "console.error('waiting forever');",
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const started = Date.now();
  const failure = await runProcess(process.execPath, ['-e', script], { timeoutMs: 1_500 }).then(
    () => assert.fail('a process that never ends was reported as finished'),
    (err: Error) => err,
  );
  assert.ok(Date.now() - started < 10_000, 'the timeout ends the wait');
  assert.match(failure.message, /did not finish within 1\.5 s and was killed/);
  assert.match(failure.message, /--- stdout ---\ngrandchild \d+/);
  assert.match(failure.message, /--- stderr ---\nwaiting forever/);
  const grandchild = Number(/grandchild (\d+)/.exec(failure.message)![1]);
  for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(grandchild), false, 'the grandchild is killed with its parent');
});

test('a process that ends in time gives its exit code and output, and reads the input given', async () => {
  const r = await runProcess(
    process.execPath,
    ['-e', "process.stdin.on('data', (d) => process.stdout.write(String(d).toUpperCase())); process.exitCode = 3;"],
    { input: 'shout' },
  );
  assert.deepEqual([r.code, r.signal, r.stdout, r.stderr], [3, null, 'SHOUT', '']);
});

test('the CLI runs from the build', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
});

// Runs every test file under test/ with Node's own test runner (Node 20 has no glob for --test),
// after building dist/, which the CLI tests run. Arguments keep only the files whose path contains one of them.
//
// Nothing here may wait forever. Every process a test starts has its own timeout (test/support/cli.ts).
// TA_TEST_TIMEOUT_MS (default 15 min) goes to --test-timeout, which Node 20 applies to each test file as a
// whole, not to each test in it; TA_TEST_RUN_TIMEOUT_MS (default 60 min, under CI's 90) bounds the run.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const testTimeoutMs = Number(process.env.TA_TEST_TIMEOUT_MS ?? 15 * 60_000);
const runTimeoutMs = Number(process.env.TA_TEST_RUN_TIMEOUT_MS ?? 60 * 60_000);

const filter = process.argv.slice(2);
const found = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith('.test.ts')) found.push(path);
  }
};
walk('test');
const files = found.sort().filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)));
if (files.length === 0) {
  process.stderr.write(`no test file under test/ matches ${filter.join(', ')}\n`);
  process.exit(1);
}

// Incremental, so that running one test file again costs a few seconds, not a full build.
const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
  timeout: 10 * 60_000,
});
if (build.status !== 0) {
  process.stderr.write(`the build failed (${build.error?.message ?? `exit ${build.status}`}); no test ran\n`);
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${testTimeoutMs}`, ...files],
  // Its own process group, so that the guard below also ends the test files and whatever they started.
  { stdio: 'inherit', detached: true },
);
// SIGTERM first, so that test files can stop the processes they started; whatever is left a moment later is killed.
const stopRun = () => {
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // The group has already ended.
    }
  };
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), 5_000).unref();
};
let timedOut = false;
const guard = setTimeout(() => {
  timedOut = true;
  process.stderr.write(`\nthe test run did not finish within ${runTimeoutMs / 1000} s; stopped\n`);
  stopRun();
}, runTimeoutMs);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopRun();
    process.exitCode = 1;
  });
}
child.on('close', (code) => {
  clearTimeout(guard);
  process.exit(timedOut ? 1 : (code ?? 1));
});

/**
 * The one way tests start a process. Each child runs in its own process group so that a timeout
 * kills it with everything it started, and the failure shows what it printed up to then: a hang
 * becomes a failing test in seconds instead of a CI run that sits until its limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built CLI, not `node --import tsx src/cli/main.ts`: Node 20's module-hooks thread can leave a
 * child stopped forever in Atomics.wait, and the build is what users run anyway.
 */
export const CLI_PATH = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/**
 * Well under the runner's per-file timeout, so that a stuck child is killed and shown before its test file is
 * cancelled, and far above what the slowest command here takes on a busy two-core machine (about 45 s).
 */
export const DEFAULT_TIMEOUT_MS = Number(process.env.TA_TEST_PROCESS_TIMEOUT_MS ?? 120_000);

const SHOWN_CHARS = 8_000;

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  input?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<number>();

// A test file that ends early (an uncaught error, or the runner stopping it at its timeout) must not leave
// children behind: they run in their own process groups, out of reach of signals sent to the file's.
process.on('exit', () => {
  for (const pid of running) killGroup(pid);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    for (const pid of running) killGroup(pid);
    process.kill(process.pid, signal);
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone: nothing left to kill.
  }
}

function tail(text: string): string {
  return text.length > SHOWN_CHARS ? `…${text.slice(-SHOWN_CHARS)}` : text;
}

/** Runs a command to completion; rejects, after killing its process group, when it outlives the timeout. */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const shown = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      reject(new Error(`could not start ${shown}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      if (timedOut) {
        reject(
          new Error(
            `${shown} did not finish within ${timeoutMs / 1000} s and was killed with its process group\n` +
              `--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`,
          ),
        );
      } else {
        resolve({ code, signal, stdout, stderr });
      }
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `transfer-atlas <args>` from the build that `npm test` makes before it runs the tests. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  if (!existsSync(CLI_PATH)) {
    return Promise.reject(new Error(`${CLI_PATH} is missing: run the tests with npm test, which builds first`));
  }
  return runProcess(process.execPath, [CLI_PATH, ...args], options);
}

/**
 * A long-running `transfer-atlas <args>` (a server, a worker) from the build, in its own process group and
 * killed with it when the test file ends; the caller reads its output and bounds how long it waits on it.
 */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run the tests with npm test, which builds first`);
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid !== undefined) {
    running.add(pid);
    child.once('exit', () => running.delete(pid));
  }
  return child;
}

/** Sends `signal` to the process alone, or with `group` to everything it started too. */
export function signalProcess(child: ChildProcess, signal: NodeJS.Signals, group = false): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(group ? -child.pid : child.pid, signal);
  } catch {
    // It ended between the check and the signal.
  }
}

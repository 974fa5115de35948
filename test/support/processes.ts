import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { signalProcess, spawnCli } from './cli.js';

/**
 * A CLI process under test, run from the build: killed (SIGKILL, with its process group) when its time
 * runs out or the test file ends, and its output kept so that a failure shows what it said. No test waits
 * on one without a deadline.
 */
export class CliProcess {
  readonly child: ChildProcess;
  private out = '';
  private readonly timer: NodeJS.Timeout;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  timedOut = false;

  constructor(
    readonly name: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    timeoutMs: number,
  ) {
    this.child = spawnCli(args, { ...process.env, ...env });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.timer = setTimeout(() => {
      this.timedOut = true;
      signalProcess(this.child, 'SIGKILL', true);
    }, timeoutMs);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        clearTimeout(this.timer);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  output(): string {
    return `--- ${this.name} (pid ${this.child.pid})${this.timedOut ? ' KILLED AFTER ITS TIMEOUT' : ''}\n${this.out}`;
  }

  /** Resolves when the output matches; rejects with the output when the process ends or `ms` pass first. */
  async waitFor(pattern: RegExp, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pattern.test(this.out)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`${this.name} ended before printing ${pattern}\n${this.output()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not print ${pattern} within ${ms} ms\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `ms` more. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    ms = 15_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    signalProcess(this.child, signal);
    const late = setTimeout(() => signalProcess(this.child, 'SIGKILL', true), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(late);
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

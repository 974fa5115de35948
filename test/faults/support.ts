/**
 * A private PostgreSQL and real `transfer-atlas serve` processes for the fault tests, so that killing and
 * restarting things never touches the machine's shared PostgreSQL at 127.0.0.1:5432.
 *
 * PostgreSQL refuses to run as root: as root the cluster is made and run as the `postgres` user (runuser);
 * as anyone else, as that user. Every process started here is stopped when its test ends, or when this process
 * exits, whatever happened.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH, DEFAULT_TIMEOUT_MS } from '../support/cli.js';
import { freePort } from '../support/processes.js';

const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
})();

const asRoot = process.getuid?.() === 0;

/** Commands run as the cluster's owner; pg_ctl's own timeouts bound each of them. */
function pgCommand(tool: string, args: readonly string[]): { status: number | null; output: string } {
  const command = asRoot ? 'runuser' : join(PG_BIN!, tool);
  const full = asRoot ? ['-u', 'postgres', '--', join(PG_BIN!, tool), ...args] : [...args];
  const r = spawnSync(command, full, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** Why no private PostgreSQL can run here, or undefined when it can. */
export function privatePostgresProblem(): string | undefined {
  if (!PG_BIN) return 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin';
  if (asRoot && spawnSync('id', ['-u', 'postgres']).status !== 0)
    return 'running as root and there is no postgres user';
  return undefined;
}

const live = new Set<PrivatePostgres>();

export class PrivatePostgres {
  readonly dir: string;
  readonly port: number;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** A fresh cluster on a free port, started; trust authentication on loopback, no fsync (it is thrown away). */
  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'ta-faults-pg-'));
    if (asRoot) {
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
      chownSync(dir, uid, gid);
    }
    const pg = new PrivatePostgres(dir, await freePort());
    live.add(pg);
    const init = pgCommand('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    if (init.status !== 0) {
      pg.destroySync();
      throw new Error(`initdb failed:\n${init.output}`);
    }
    pg.start();
    return pg;
  }

  start(): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
    const r = pgCommand('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
    if (r.status !== 0) throw new Error(`pg_ctl start failed:\n${r.output}`);
  }

  /** `fast` disconnects clients and shuts down cleanly; `immediate` is a crash as far as clients can tell. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    const r = pgCommand('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']);
    if (r.status !== 0) throw new Error(`pg_ctl stop failed:\n${r.output}`);
  }

  destroySync(): void {
    if (existsSync(join(this.dir, 'data', 'postmaster.pid')))
      pgCommand('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', '-t', '30', 'stop']);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

const servers = new Set<ChildProcess>();
const dataDirs = new Set<string>();
const cleanUp = () => {
  for (const child of servers) killGroup(child);
  for (const pg of live) pg.destroySync();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
};

/** A data folder for the servers of one test, removed when the process ends however it ends. */
export function dataFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ta-faults-data-'));
  dataDirs.add(dir);
  return dir;
}
process.on('exit', cleanUp);
// The runner stops a file that outlives its timeout with SIGTERM, which skips 'exit' handlers unless caught.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.kill(process.pid, signal);
  });
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** `transfer-atlas serve` from dist/, in its own process group, killed after its timeout whatever happens. */
export class Server {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private out = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly port: number,
    env: NodeJS.ProcessEnv,
    args: readonly string[] = [],
    timeoutMs = DEFAULT_TIMEOUT_MS * 2,
  ) {
    this.child = spawn(process.execPath, [CLI_PATH, 'serve', '--port', String(port), ...args], {
      env: { ...process.env, TA_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    servers.add(this.child);
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.timer = setTimeout(() => killGroup(this.child), timeoutMs);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', () => {
        clearTimeout(this.timer);
        servers.delete(this.child);
        resolve();
      }),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.out;
  }

  async ready(ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!/listening on/.test(this.out)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`serve ended before listening:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`serve did not listen within ${ms} ms:\n${this.out}`);
      await sleep(50);
    }
  }

  async kill(): Promise<void> {
    killGroup(this.child);
    await this.exited;
  }
}

/** Files (not folders) under dir, relative; nothing when dir does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Staging folders beside the datasets and anything under tmp/: what an interrupted ingestion or upload leaves. */
export function leftovers(dataDir: string): string[] {
  const under = (sub: string) =>
    existsSync(join(dataDir, sub)) ? readdirSync(join(dataDir, sub)).map((n) => `${sub}/${n}`) : [];
  return [...under('datasets').filter((p) => p.startsWith('datasets/.staging-')), ...under('tmp')].sort();
}

export { freePort };

import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';

export const BACKEND_CHOICES = ['auto', 'gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
type ConcreteChoice = Exclude<BackendChoice, 'auto'>;

export interface BackendInfo {
  /** The tfjs backend name in use: 'tensorflow' (native, CPU or GPU), 'wasm' or 'cpu'. */
  readonly name: string;
  readonly choice: ConcreteChoice;
  readonly requested: BackendChoice;
  readonly threads: number;
  readonly simd: boolean;
}

export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

interface Candidate {
  readonly choice: ConcreteChoice;
  /** Loads the package and returns the tfjs backend name it registers. */
  load(): Promise<string>;
  info(): { threads: number; simd: boolean };
}

/**
 * The native packages are optional peers: the specifier is held in a variable so that neither
 * TypeScript nor a bundler insists on them being installed.
 */
async function importOptional(specifier: string): Promise<void> {
  await import(specifier);
}

const nativeInfo = (): { threads: number; simd: boolean } => ({ threads: availableParallelism(), simd: true });

let wasmThreads = 1;
let wasmSimd = false;

const CANDIDATES: Readonly<Record<ConcreteChoice, Candidate>> = {
  gpu: {
    choice: 'gpu',
    load: async () => {
      await importOptional('@tensorflow/tfjs-node-gpu');
      return 'tensorflow';
    },
    info: nativeInfo,
  },
  tensorflow: {
    choice: 'tensorflow',
    load: async () => {
      await importOptional('@tensorflow/tfjs-node');
      return 'tensorflow';
    },
    info: nativeInfo,
  },
  wasm: {
    choice: 'wasm',
    load: async () => {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const { registerWasmGradientKernels } = await import('./wasm/register.js');
      registerWasmGradientKernels();
      wasmSimd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      // Emscripten's pthreads start from blob: URLs, which Node refuses, so the Node build
      // runs on one thread; getThreadsCount reports what the module actually got.
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('the wasm backend failed to initialise');
      wasmThreads = Math.max(1, wasm.getThreadsCount());
      return 'wasm';
    },
    info: () => ({ threads: wasmThreads, simd: wasmSimd }),
  },
  cpu: {
    choice: 'cpu',
    load: async () => {
      await import('@tensorflow/tfjs-backend-cpu');
      return 'cpu';
    },
    info: () => ({ threads: 1, simd: false }),
  },
};

const PACKAGE_OF: Readonly<Record<ConcreteChoice, string>> = {
  gpu: '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const AUTO_ORDER: readonly ConcreteChoice[] = ['gpu', 'tensorflow', 'wasm', 'cpu'];

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'auto';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new BackendUnavailableError(`TA_BACKEND='${value}' is not one of ${BACKEND_CHOICES.join(', ')}`);
}

async function activate(candidate: Candidate): Promise<string> {
  const name = await candidate.load();
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`backend '${name}' failed to initialise`);
  }
  return name;
}

function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]?.trim() ?? '';
}

let current: Promise<BackendInfo> | null = null;
let settled: BackendInfo | null = null;

async function choose(requested: BackendChoice, log: (line: string) => void): Promise<BackendInfo> {
  const order = requested === 'auto' ? AUTO_ORDER : [requested];
  const failures: string[] = [];
  for (const choice of order) {
    const candidate = CANDIDATES[choice];
    try {
      const name = await activate(candidate);
      const info: BackendInfo = { name, choice, requested, ...candidate.info() };
      log(
        `compute: backend ${info.choice} (tfjs '${info.name}'), ${info.threads} thread${info.threads === 1 ? '' : 's'}, simd ${info.simd ? 'on' : 'off'}`,
      );
      return info;
    } catch (e) {
      failures.push(`${choice}: ${oneLine(e)}`);
      if (requested !== 'auto') {
        const missing = (e as { code?: string } | null)?.code === 'ERR_MODULE_NOT_FOUND';
        throw new BackendUnavailableError(
          missing
            ? `TA_BACKEND=${choice} cannot be used: ${PACKAGE_OF[choice]} is not installed (npm install ${PACKAGE_OF[choice]})`
            : `TA_BACKEND=${choice} cannot be used: ${PACKAGE_OF[choice]} did not load (${oneLine(e)})`,
        );
      }
    }
  }
  throw new BackendUnavailableError(`no compute backend could be loaded (${failures.join('; ')})`);
}

/**
 * Picks and activates the tfjs backend once per process: TA_BACKEND (or `requested`) forces one;
 * `auto` tries the native GPU and CPU packages, then wasm, then the pure-JS cpu backend.
 */
export function initCompute(
  requested: BackendChoice = parseBackendChoice(process.env.TA_BACKEND),
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BackendInfo> {
  if (current === null) {
    current = choose(requested, log).then(
      (info) => {
        settled = info;
        return info;
      },
      (e: unknown) => {
        current = null;
        throw e;
      },
    );
  }
  return current;
}

/**
 * Loads one backend package and registers it with tfjs without making it the process default,
 * for tools that compare backends; returns the tfjs backend name and its thread/SIMD facts.
 */
export async function loadBackend(
  choice: Exclude<BackendChoice, 'auto'>,
): Promise<{ name: string; threads: number; simd: boolean }> {
  const candidate = CANDIDATES[choice];
  const before = tf.getBackend();
  const name = await activate(candidate);
  const facts = candidate.info();
  if (before && before !== name) await tf.setBackend(before);
  return { name, ...facts };
}

/** The active backend for the health endpoint, or null before initCompute has finished. */
export function backendInfo(): BackendInfo | null {
  return settled;
}

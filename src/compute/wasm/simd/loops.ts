import { F32, I32, V128, moduleBytes, op, v128, type FunctionSpec } from './encode.js';

/**
 * SIMD inner loops over tfjs-wasm's own heap, for the passes tfjs has no kernel for. Pointers are
 * byte offsets into that heap; channel counts must be multiples of 4 (the callers check and use
 * their typed-array versions otherwise). All loops run over whole pixels of `cbytes` bytes.
 */
export interface SimdLoops {
  /** out = min(max(x * a + b, lo), hi) per channel; ab holds a then b. */
  batchNormAct(x: number, out: number, ab: number, pixels: number, cbytes: number, lo: number, hi: number): void;
  /** g = dy where lo < x*a+b <= hi else 0; dx = g * a; acc += g * (x - mean) (float32 partial sums). */
  batchNormActGrad(dy: number, x: number, dx: number, ab: number, mean: number, acc: number, pixels: number, cbytes: number, lo: number, hi: number): void;
  /** acc += x * dy over `count` pixels; x advances by xstep bytes per pixel, dy by cbytes. */
  multiplyAccumulate(x: number, dy: number, acc: number, count: number, xstep: number, cbytes: number): void;
}

const { get, set, i32 } = op;
const add = op.i32Add;
const next = (ptr: number, step: number): number[] => [...get(ptr), ...get(step), ...add, ...set(ptr)];
const bump = (counter: number, by: number): number[] => [...get(counter), ...i32(by), ...add, ...set(counter)];
const at = (base: number, offset: number): number[] => [...get(base), ...get(offset), ...add];

/** for (p = 0; p < pixels; p++) { for (ch = 0; ch < cbytes; ch += 16) inner; advance } */
function pixelLoop(p: number, pixels: number, ch: number, cbytes: number, inner: number[][], advance: number[][]): number[][] {
  return [
    i32(0), set(p),
    op.block, op.loop,
    get(p), get(pixels), op.i32GeU, op.brIf(1),
    i32(0), set(ch),
    op.loop,
    ...inner,
    bump(ch, 16),
    get(ch), get(cbytes), op.i32LtU, op.brIf(0),
    op.end,
    ...advance,
    bump(p, 1),
    op.br(0),
    op.end, op.end,
  ];
}

function batchNormActSpec(): FunctionSpec {
  const [x, out, ab, pixels, cbytes, lo, hi, p, ch, vlo, vhi] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return {
    name: 'batchNormAct',
    params: [I32, I32, I32, I32, I32, F32, F32],
    locals: [I32, I32, V128, V128],
    body: [
      get(lo), v128.f32Splat, set(vlo),
      get(hi), v128.f32Splat, set(vhi),
      ...pixelLoop(p, pixels, ch, cbytes, [
        at(out, ch),
        at(x, ch), v128.load,
        at(ab, ch), v128.load,
        v128.f32Mul,
        get(ab), get(cbytes), add, get(ch), add, v128.load,
        v128.f32Add,
        get(vlo), v128.f32Max,
        get(vhi), v128.f32Min,
        v128.store,
      ], [next(x, cbytes), next(out, cbytes)]),
    ],
  };
}

function batchNormActGradSpec(): FunctionSpec {
  const [dy, x, dx, ab, mean, acc, pixels, cbytes, lo, hi] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [p, ch, vlo, vhi, xv, g, a] = [10, 11, 12, 13, 14, 15, 16];
  return {
    name: 'batchNormActGrad',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32],
    locals: [I32, I32, V128, V128, V128, V128, V128],
    body: [
      get(lo), v128.f32Splat, set(vlo),
      get(hi), v128.f32Splat, set(vhi),
      ...pixelLoop(p, pixels, ch, cbytes, [
        at(x, ch), v128.load, set(xv),
        at(ab, ch), v128.load, set(a),
        get(xv), get(a), v128.f32Mul,
        get(ab), get(cbytes), add, get(ch), add, v128.load,
        v128.f32Add, set(g),
        get(g), get(vlo), v128.f32Gt,
        get(g), get(vhi), v128.f32Le,
        v128.and,
        at(dy, ch), v128.load,
        v128.and, set(g),
        at(dx, ch), get(g), get(a), v128.f32Mul, v128.store,
        at(acc, ch),
        at(acc, ch), v128.load,
        get(g), get(xv), at(mean, ch), v128.load, v128.f32Sub, v128.f32Mul,
        v128.f32Add,
        v128.store,
      ], [next(dy, cbytes), next(x, cbytes), next(dx, cbytes)]),
    ],
  };
}

function multiplyAccumulateSpec(): FunctionSpec {
  const [x, dy, acc, count, xstep, cbytes, i, ch] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'multiplyAccumulate',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32],
    body: pixelLoop(i, count, ch, cbytes, [
      at(acc, ch),
      at(acc, ch), v128.load,
      at(x, ch), v128.load,
      at(dy, ch), v128.load,
      v128.f32Mul,
      v128.f32Add,
      v128.store,
    ], [next(x, xstep), next(dy, cbytes)]),
  };
}

const BYTES = moduleBytes([batchNormActSpec(), batchNormActGradSpec(), multiplyAccumulateSpec()]);
const instances = new WeakMap<WebAssembly.Memory, SimdLoops | null>();

/** The loops bound to one wasm memory, or null where the runtime lacks WebAssembly SIMD. */
export function simdLoops(memory: WebAssembly.Memory): SimdLoops | null {
  const cached = instances.get(memory);
  if (cached !== undefined) return cached;
  let loops: SimdLoops | null = null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(BYTES), { env: { memory } });
    loops = instance.exports as unknown as SimdLoops;
  } catch {
    loops = null;
  }
  instances.set(memory, loops);
  return loops;
}

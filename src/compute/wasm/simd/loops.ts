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
  batchNormActGrad(
    dy: number,
    x: number,
    dx: number,
    ab: number,
    mean: number,
    acc: number,
    pixels: number,
    cbytes: number,
    lo: number,
    hi: number,
  ): void;
  /** acc += x * dy over `count` pixels; x advances by xstep bytes per pixel, dy by cbytes. */
  multiplyAccumulate(x: number, dy: number, acc: number, count: number, xstep: number, cbytes: number): void;
  /**
   * acc[k][0..co) += x[k] * dy[0..co) for k < ci, over `count` pixels; x advances by xstep bytes,
   * dy by cobytes (the filter gradient of a convolution with few input channels, one tap).
   */
  outerAccumulate(x: number, dy: number, acc: number, count: number, xstep: number, ci: number, cobytes: number): void;
  /** dst += src * w per channel over `count` pixels; src advances by cbytes, dst by dststep. */
  scaledAccumulate(src: number, w: number, dst: number, count: number, dststep: number, cbytes: number): void;
  /** [rows, cols] at src to [cols, rows] at dst; rows a multiple of 16, cols of 4. */
  transpose(src: number, dst: number, rows: number, cols: number): void;
}

const { get, set, i32 } = op;
const add = op.i32Add;
const next = (ptr: number, step: number): number[] => [...get(ptr), ...get(step), ...add, ...set(ptr)];
const bump = (counter: number, by: number): number[] => [...get(counter), ...i32(by), ...add, ...set(counter)];
const at = (base: number, offset: number): number[] => [...get(base), ...get(offset), ...add];

/** for (p = 0; p < pixels; p++) { for (ch = 0; ch < cbytes; ch += 16) inner; advance } */
function pixelLoop(
  p: number,
  pixels: number,
  ch: number,
  cbytes: number,
  inner: number[][],
  advance: number[][],
): number[][] {
  return [
    i32(0),
    set(p),
    op.block,
    op.loop,
    get(p),
    get(pixels),
    op.i32GeU,
    op.brIf(1),
    i32(0),
    set(ch),
    op.loop,
    ...inner,
    bump(ch, 16),
    get(ch),
    get(cbytes),
    op.i32LtU,
    op.brIf(0),
    op.end,
    ...advance,
    bump(p, 1),
    op.br(0),
    op.end,
    op.end,
  ];
}

function batchNormActSpec(): FunctionSpec {
  const [x, out, ab, pixels, cbytes, lo, hi, p, ch, vlo, vhi] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return {
    name: 'batchNormAct',
    params: [I32, I32, I32, I32, I32, F32, F32],
    locals: [I32, I32, V128, V128],
    body: [
      get(lo),
      v128.f32Splat,
      set(vlo),
      get(hi),
      v128.f32Splat,
      set(vhi),
      ...pixelLoop(
        p,
        pixels,
        ch,
        cbytes,
        [
          at(out, ch),
          at(x, ch),
          v128.load,
          at(ab, ch),
          v128.load,
          v128.f32Mul,
          get(ab),
          get(cbytes),
          add,
          get(ch),
          add,
          v128.load,
          v128.f32Add,
          get(vlo),
          v128.f32Max,
          get(vhi),
          v128.f32Min,
          v128.store,
        ],
        [next(x, cbytes), next(out, cbytes)],
      ),
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
      get(lo),
      v128.f32Splat,
      set(vlo),
      get(hi),
      v128.f32Splat,
      set(vhi),
      ...pixelLoop(
        p,
        pixels,
        ch,
        cbytes,
        [
          at(x, ch),
          v128.load,
          set(xv),
          at(ab, ch),
          v128.load,
          set(a),
          get(xv),
          get(a),
          v128.f32Mul,
          get(ab),
          get(cbytes),
          add,
          get(ch),
          add,
          v128.load,
          v128.f32Add,
          set(g),
          get(g),
          get(vlo),
          v128.f32Gt,
          get(g),
          get(vhi),
          v128.f32Le,
          v128.and,
          at(dy, ch),
          v128.load,
          v128.and,
          set(g),
          at(dx, ch),
          get(g),
          get(a),
          v128.f32Mul,
          v128.store,
          at(acc, ch),
          at(acc, ch),
          v128.load,
          get(g),
          get(xv),
          at(mean, ch),
          v128.load,
          v128.f32Sub,
          v128.f32Mul,
          v128.f32Add,
          v128.store,
        ],
        [next(dy, cbytes), next(x, cbytes), next(dx, cbytes)],
      ),
    ],
  };
}

function multiplyAccumulateSpec(): FunctionSpec {
  const [x, dy, acc, count, xstep, cbytes, i, ch] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'multiplyAccumulate',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32],
    body: pixelLoop(
      i,
      count,
      ch,
      cbytes,
      [
        at(acc, ch),
        at(acc, ch),
        v128.load,
        at(x, ch),
        v128.load,
        at(dy, ch),
        v128.load,
        v128.f32Mul,
        v128.f32Add,
        v128.store,
      ],
      [next(x, xstep), next(dy, cbytes)],
    ),
  };
}

/** Lane patterns for a 4x4 float transpose in two rounds of interleaving. */
const bytesOf = (floats: number[]): number[] => floats.flatMap((f) => [4 * f, 4 * f + 1, 4 * f + 2, 4 * f + 3]);
const LOW_PAIRS = bytesOf([0, 4, 1, 5]);
const HIGH_PAIRS = bytesOf([2, 6, 3, 7]);
const LOW_HALVES = bytesOf([0, 1, 4, 5]);
const HIGH_HALVES = bytesOf([2, 3, 6, 7]);

/**
 * Rows go 16 at a time so that each destination row receives a whole 64-byte cache line per
 * step: with millions of rows the destination rows sit a near-power-of-two apart, and narrower
 * writes evict each other in the same cache sets.
 */
function transposeSpec(): FunctionSpec {
  const [src, dst, rows, cols] = [0, 1, 2, 3];
  const [r, c, q, sp, dp, cb, rb, a, b, cc, d, t0, t1, t2, t3] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const times = (n: number, local: number): number[][] => Array.from({ length: n }, () => [...get(local), ...add]);
  const load = (row: number): number[][] => [get(sp), ...times(row, cb), v128.load];
  const store = (k: number, value: number[][]): number[][] => [get(dp), ...times(k, rb), ...value, v128.store];
  const shl2 = [...i32(2), 0x74];
  return {
    name: 'transpose',
    params: [I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128],
    body: [
      get(cols),
      shl2,
      set(cb),
      get(rows),
      shl2,
      set(rb),
      i32(0),
      set(r),
      op.block,
      op.loop,
      get(r),
      get(rows),
      op.i32GeU,
      op.brIf(1),
      i32(0),
      set(c),
      op.block,
      op.loop,
      get(c),
      get(cols),
      op.i32GeU,
      op.brIf(1),
      i32(0),
      set(q),
      op.loop,
      // sp = src + (r + 4q) * cb + 4c ; dp = dst + c * rb + 4 (r + 4q)
      get(r),
      get(q),
      shl2,
      add,
      get(cb),
      [0x6c],
      get(src),
      add,
      get(c),
      shl2,
      add,
      set(sp),
      get(c),
      get(rb),
      [0x6c],
      get(dst),
      add,
      get(r),
      get(q),
      shl2,
      add,
      shl2,
      add,
      set(dp),
      ...load(0),
      set(a),
      ...load(1),
      set(b),
      ...load(2),
      set(cc),
      ...load(3),
      set(d),
      get(a),
      get(b),
      v128.shuffle(LOW_PAIRS),
      set(t0),
      get(a),
      get(b),
      v128.shuffle(HIGH_PAIRS),
      set(t1),
      get(cc),
      get(d),
      v128.shuffle(LOW_PAIRS),
      set(t2),
      get(cc),
      get(d),
      v128.shuffle(HIGH_PAIRS),
      set(t3),
      ...store(0, [get(t0), get(t2), v128.shuffle(LOW_HALVES)]),
      ...store(1, [get(t0), get(t2), v128.shuffle(HIGH_HALVES)]),
      ...store(2, [get(t1), get(t3), v128.shuffle(LOW_HALVES)]),
      ...store(3, [get(t1), get(t3), v128.shuffle(HIGH_HALVES)]),
      bump(q, 1),
      get(q),
      i32(4),
      op.i32LtU,
      op.brIf(0),
      op.end,
      bump(c, 4),
      op.br(0),
      op.end,
      op.end,
      bump(r, 16),
      op.br(0),
      op.end,
      op.end,
    ],
  };
}

function outerAccumulateSpec(): FunctionSpec {
  const [x, dy, acc, count, xstep, ci, cobytes] = [0, 1, 2, 3, 4, 5, 6];
  const [i, k, ch, row, xk, xs] = [7, 8, 9, 10, 11, 12];
  const f32Load = [0x2a, 0x00, 0x00];
  return {
    name: 'outerAccumulate',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, V128],
    body: [
      i32(0),
      set(i),
      op.block,
      op.loop,
      get(i),
      get(count),
      op.i32GeU,
      op.brIf(1),
      i32(0),
      set(k),
      get(acc),
      set(row),
      get(x),
      set(xk),
      op.loop,
      get(xk),
      f32Load,
      v128.f32Splat,
      set(xs),
      i32(0),
      set(ch),
      op.loop,
      at(row, ch),
      at(row, ch),
      v128.load,
      get(xs),
      at(dy, ch),
      v128.load,
      v128.f32Mul,
      v128.f32Add,
      v128.store,
      bump(ch, 16),
      get(ch),
      get(cobytes),
      op.i32LtU,
      op.brIf(0),
      op.end,
      next(row, cobytes),
      bump(xk, 4),
      bump(k, 1),
      get(k),
      get(ci),
      op.i32LtU,
      op.brIf(0),
      op.end,
      next(x, xstep),
      next(dy, cobytes),
      bump(i, 1),
      op.br(0),
      op.end,
      op.end,
    ],
  };
}

function scaledAccumulateSpec(): FunctionSpec {
  const [src, w, dst, count, dststep, cbytes, i, ch] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'scaledAccumulate',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32],
    body: pixelLoop(
      i,
      count,
      ch,
      cbytes,
      [
        at(dst, ch),
        at(dst, ch),
        v128.load,
        at(src, ch),
        v128.load,
        at(w, ch),
        v128.load,
        v128.f32Mul,
        v128.f32Add,
        v128.store,
      ],
      [next(src, cbytes), next(dst, dststep)],
    ),
  };
}

const BYTES = moduleBytes([
  batchNormActSpec(),
  batchNormActGradSpec(),
  multiplyAccumulateSpec(),
  transposeSpec(),
  outerAccumulateSpec(),
  scaledAccumulateSpec(),
]);
const instances = new WeakMap<WebAssembly.Memory, SimdLoops | null>();

/** The loops bound to one wasm memory, or null where the runtime lacks WebAssembly SIMD. */
export function simdLoops(memory: WebAssembly.Memory): SimdLoops | null {
  const cached = instances.get(memory);
  if (cached !== undefined) return cached;
  let loops: SimdLoops | null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(BYTES), { env: { memory } });
    loops = instance.exports as unknown as SimdLoops;
  } catch {
    loops = null;
  }
  instances.set(memory, loops);
  return loops;
}

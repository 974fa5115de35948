/**
 * Just enough of the WebAssembly binary format to emit a few SIMD loops at run time: the host has
 * no wasm toolchain, and the loops are small enough to write as instruction lists.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Instruction emitters; `simd` opcodes are 0xfd-prefixed with a LEB128 sub-opcode. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  i32Add: [0x6a],
  i32GeU: [0x4f],
  i32LtU: [0x49],
  simd: (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm],
};

/** memarg for v128 access: alignment hint 1 byte (addresses from malloc need not be 16-aligned), offset 0. */
const MEMARG = [0x00, 0x00];
export const v128 = {
  /** i8x16.shuffle with 16 lane indices into the concatenation of the two operands. */
  shuffle: (lanes: readonly number[]) => op.simd(0x0d, ...lanes),
  load: op.simd(0x00, ...MEMARG),
  store: op.simd(0x0b, ...MEMARG),
  f32Splat: op.simd(0x13),
  and: op.simd(0x4e),
  f32Gt: op.simd(0x44),
  f32Le: op.simd(0x45),
  f32Add: op.simd(0xe4),
  f32Sub: op.simd(0xe5),
  f32Mul: op.simd(0xe6),
  f32Min: op.simd(0xe8),
  f32Max: op.simd(0xe9),
};

export interface FunctionSpec {
  readonly name: string;
  readonly params: number[];
  readonly locals: number[];
  readonly body: number[][];
}

/** A module importing env.memory and exporting the given functions (no results). */
export function moduleBytes(functions: readonly FunctionSpec[]): Uint8Array<ArrayBuffer> {
  const types = section(1, vec(functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00])));
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]]));
  const funcs = section(3, vec(functions.map((_, i) => uleb(i))));
  const exports = section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const bodies = functions.map((f) => {
    const locals = vec(f.locals.map((t) => [...uleb(1), t]));
    const code = [...locals, ...f.body.flat(), ...op.end];
    return [...uleb(code.length), ...code];
  });
  const code = section(10, vec(bodies));
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...types,
    ...imports,
    ...funcs,
    ...exports,
    ...code,
  ]);
}

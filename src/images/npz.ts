/** Reads every .npy member of an .npz (a zip) with fflate, refusing oversized archives up front. */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { IngestionError } from './errors.js';
import { NpyFormatError, parseNpy, type NpyArray } from './npy.js';

export async function readNpz(path: string, maxExpandedBytes: number, displayName: string): Promise<Map<string, NpyArray>> {
  let members: Record<string, Uint8Array>;
  let expanded = 0;
  try {
    members = unzipSync(await readFile(path), {
      filter: (file) => {
        expanded += file.originalSize;
        if (expanded > maxExpandedBytes) {
          throw new IngestionError('ARCHIVE_TOO_LARGE', `${displayName} expands to more than the limit of ${maxExpandedBytes} bytes`, { file: displayName });
        }
        return file.name.endsWith('.npy');
      },
    });
  } catch (e) {
    if (e instanceof IngestionError) throw e;
    throw new IngestionError('BAD_NPZ', `${displayName} is not a readable .npz (zip) file: ${(e as Error).message}`, { file: displayName });
  }
  const arrays = new Map<string, NpyArray>();
  for (const [name, bytes] of Object.entries(members)) {
    try {
      arrays.set(name.replace(/\.npy$/, ''), parseNpy(bytes));
    } catch (e) {
      if (e instanceof NpyFormatError) throw new IngestionError('BAD_NPZ', `${displayName}: member ${name}: ${e.message}`, { file: displayName });
      throw e;
    }
  }
  return arrays;
}

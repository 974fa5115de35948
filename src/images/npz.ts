/**
 * Reads every .npy member of an .npz (a zip) with fflate, refusing oversized archives from their
 * declared sizes before inflating anything. fflate inflates each sizeable member on a worker
 * thread into a buffer of its declared size, so a lying header cannot grow it and the server
 * keeps answering meanwhile.
 */
import { readFile } from 'node:fs/promises';
import { unzip, type Unzipped } from 'fflate';
import { IngestionError } from './errors.js';
import { NpyFormatError, parseNpy, type NpyArray } from './npy.js';

export async function readNpz(
  path: string,
  maxExpandedBytes: number,
  displayName: string,
): Promise<Map<string, NpyArray>> {
  let members: Unzipped;
  let expanded = 0;
  const data = await readFile(path);
  try {
    members = await new Promise<Unzipped>((resolve, reject) =>
      unzip(
        data,
        { filter: (file) => (expanded += file.originalSize) <= maxExpandedBytes && file.name.endsWith('.npy') },
        (err, out) => (err ? reject(err) : resolve(out)),
      ),
    );
  } catch (e) {
    throw new IngestionError('BAD_NPZ', `${displayName} is not a readable .npz (zip) file: ${(e as Error).message}`, {
      file: displayName,
    });
  }
  if (expanded > maxExpandedBytes) {
    throw new IngestionError(
      'ARCHIVE_TOO_LARGE',
      `${displayName} expands to more than the limit of ${maxExpandedBytes} bytes`,
      { file: displayName },
    );
  }
  const arrays = new Map<string, NpyArray>();
  for (const [name, bytes] of Object.entries(members)) {
    try {
      arrays.set(name.replace(/\.npy$/, ''), parseNpy(bytes));
    } catch (e) {
      if (e instanceof NpyFormatError)
        throw new IngestionError('BAD_NPZ', `${displayName}: member ${name}: ${e.message}`, { file: displayName });
      throw e;
    }
  }
  return arrays;
}

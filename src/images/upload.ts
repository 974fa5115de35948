/**
 * Receives an upload body (e.g. one busboy file stream) into a file, refusing to write more
 * than `maxBytes`; a refused or failed upload leaves no partial file behind.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IngestionError } from './errors.js';

export async function receiveUpload(
  body: Readable,
  destination: string,
  maxBytes: number,
  displayName = 'upload',
): Promise<number> {
  let received = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > maxBytes) {
        callback(
          new IngestionError(
            'UPLOAD_TOO_LARGE',
            `${displayName} is larger than the upload limit of ${maxBytes} bytes`,
            { file: displayName },
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });
  try {
    await pipeline(body, limiter, createWriteStream(destination, { flags: 'wx' }));
    return received;
  } catch (e) {
    await rm(destination, { force: true });
    throw e;
  }
}

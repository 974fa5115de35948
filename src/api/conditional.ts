import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/** Sets a strong ETag of the bytes and says whether the request's If-None-Match already has them. */
function unchanged(req: Request, res: Response, bytes: string | Uint8Array): boolean {
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
  res.setHeader('ETag', etag);
  const ifNoneMatch = req.headers['if-none-match'];
  const matches =
    ifNoneMatch !== undefined &&
    ifNoneMatch.split(',').some((t) => {
      const tag = t.trim();
      return tag === '*' || tag === etag || tag === `W/${etag}`;
    });
  if (matches) res.status(304).end();
  return matches;
}

/**
 * Sends a read with a strong ETag and answers a matching If-None-Match with 304.
 * Done here rather than left to Express so that it holds whatever wraps res.json (the response validator does).
 */
export function sendRead(req: Request, res: Response, body: unknown): void {
  if (!unchanged(req, res, JSON.stringify(body))) res.json(body);
}

/** The same for a non-JSON body such as an image. */
export function sendBytes(req: Request, res: Response, type: string, body: Buffer): void {
  if (!unchanged(req, res, body)) res.type(type).send(body);
}

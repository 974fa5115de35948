import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * Sends a read with a strong ETag and answers a matching If-None-Match with 304.
 * Done here rather than left to Express so that it holds whatever wraps res.json (the response validator does).
 */
export function sendRead(req: Request, res: Response, body: unknown): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  res.setHeader('ETag', etag);
  const ifNoneMatch = req.headers['if-none-match'];
  const matches =
    ifNoneMatch !== undefined &&
    ifNoneMatch.split(',').some((t) => {
      const tag = t.trim();
      return tag === '*' || tag === etag || tag === `W/${etag}`;
    });
  if (matches) {
    res.status(304).end();
    return;
  }
  res.json(body);
}

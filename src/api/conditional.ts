import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';

/** A JSON answer as sent: its bytes and their strong ETag. */
export interface Encoded {
  readonly bytes: Buffer;
  readonly etag: string;
}

function strongEtag(bytes: Uint8Array): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
}

function encode(body: unknown): Encoded {
  const bytes = Buffer.from(JSON.stringify(body));
  return { bytes, etag: strongEtag(bytes) };
}

const encodings = new WeakMap<object, Encoded>();

/**
 * The encoding of an answer the serving cache holds, made once: the cache hands back the same object
 * for the same question until the evidence changes, so a read costs no serialising or hashing (a
 * recommendation is tens of kilobytes). Only for objects that are never changed once answered.
 */
export function encodedOnce(body: object): Encoded {
  let encoded = encodings.get(body);
  if (encoded === undefined) {
    encoded = encode(body);
    encodings.set(body, encoded);
  }
  return encoded;
}

/** Sets the ETag and says whether the request's If-None-Match already has it (then answered 304). */
function unchanged(req: Request, res: Response, etag: string): boolean {
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

const expressJson = express.response.json;

/**
 * Sends an answer's bytes, or the answer through `res.json` when something wraps it: the response
 * validator (on in tests) checks what passes there, and an answer sent as bytes would bypass it.
 */
export function sendJson(res: Response, body: unknown, encoded: Encoded): void {
  if (res.json !== expressJson) res.json(body);
  else res.set('Content-Type', 'application/json; charset=utf-8').send(encoded.bytes);
}

/** Sends a read with a strong ETag and answers a matching If-None-Match with 304. */
export function sendRead(req: Request, res: Response, body: unknown, encoded: Encoded = encode(body)): void {
  if (!unchanged(req, res, encoded.etag)) sendJson(res, body, encoded);
}

/** The same for a non-JSON body such as an image. */
export function sendBytes(req: Request, res: Response, type: string, body: Buffer): void {
  if (!unchanged(req, res, strongEtag(body))) res.type(type).send(body);
}

import { join } from 'node:path';
import express, { type RequestHandler } from 'express';
import { PACKAGE_ROOT } from '../paths.js';

/** Where `npm run build` puts the bundled web page. */
export const WEB_DIR = join(PACKAGE_ROOT, 'dist', 'web');

/**
 * The web page's static files at `/`. Paths under /v1 never reach the file system, so the API and its
 * contract are untouched; without a built page every other path falls through to the API's 404.
 */
export function webPage(dir: string = WEB_DIR): RequestHandler {
  const files = express.static(dir, { index: 'index.html', redirect: false, fallthrough: true });
  return (req, res, next) => (req.path === '/v1' || req.path.startsWith('/v1/') ? next() : files(req, res, next));
}

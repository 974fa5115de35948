import type { Request, Response } from 'express';
import type { ApiContext } from './context.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One operation of openapi.yaml; the path is written as in the spec (`{id}`), so the two can be compared. */
export interface Route {
  readonly method: Method;
  readonly path: string;
  /** What a caller's token must grant; reads (the default) are public unless TA_READS=token. */
  readonly scope?: 'contribute' | 'admin';
  handle(ctx: ApiContext, req: Request, res: Response): Promise<void>;
}

export function expressPath(specPath: string): string {
  return specPath.replace(/\{([^}]+)\}/g, ':$1');
}

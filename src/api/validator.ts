/**
 * The request validator: express-openapi-validator against openapi.yaml, one instance for JSON
 * bodies (taken as typed) and one for multipart forms (whose fields are text, so coerced).
 */
import { createRequire } from 'node:module';
import express, { type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { OPENAPI_PATH } from '../paths.js';
import type { ApiContext } from './context.js';
import { loadSpec } from './edge.js';
import { uploaderOptions } from './uploads.js';

interface CompiledRoute {
  readonly regexp: RegExp;
  readonly keys: readonly unknown[];
}
type Compile = (path: unknown, options?: Record<string, unknown>) => CompiledRoute;
interface PathToRegexpModule {
  pathToRegexp: Compile;
}

/** The option sets the validator's route lookup passes; anything else is compiled as asked. */
const LOOKUP_OPTIONS: ReadonlySet<string> = new Set(['sensitive', 'strict']);
const memoised = new WeakSet<Compile>();

/**
 * express-openapi-validator 5.x finds a request's operation by compiling the path template of every
 * operation before it with path-to-regexp, on every request (upstream pull request #1217 caches it,
 * unreleased): on this spec that was the largest cost of a recommendation after the socket write.
 * The templates come from the spec, so the compiled patterns are kept, keyed by template and the two
 * routing flags. The regular expressions carry no `g` or `y` flag, so sharing one keeps no state
 * between requests. Applied to the path-to-regexp the validator itself resolves.
 */
export function memoiseRouteCompilation(): Compile {
  const fromValidator = createRequire(createRequire(import.meta.url).resolve('express-openapi-validator'));
  const module = fromValidator('path-to-regexp') as PathToRegexpModule;
  const compile = module.pathToRegexp;
  if (memoised.has(compile)) return compile;
  // Per template, one compiled pattern per combination of the two flags; looked up without building a key,
  // since the validator asks once per operation on every request.
  const compiled = new Map<string, (CompiledRoute | undefined)[]>();
  const cached: Compile = (path, options = {}) => {
    if (typeof path !== 'string') return compile(path, options);
    for (const k in options) if (!LOOKUP_OPTIONS.has(k)) return compile(path, options);
    let variants = compiled.get(path);
    if (variants === undefined) {
      variants = [];
      compiled.set(path, variants);
    }
    const slot = (options.sensitive ? 1 : 0) + (options.strict ? 2 : 0);
    return (variants[slot] ??= compile(path, options));
  };
  memoised.add(cached);
  module.pathToRegexp = cached;
  return cached;
}

export interface ValidatorOptions {
  /** Check every response against the spec too. */
  readonly validateResponses: boolean;
}

/** One middleware that sends a multipart form to the coercing validator and everything else to the typed one. */
export function requestValidator(ctx: ApiContext, options: ValidatorOptions): RequestHandler {
  memoiseRouteCompilation();
  // JSON bodies are taken as typed (a null is no 0); form fields are text by nature, so only they are coerced.
  const validator = (coerceTypes: boolean) =>
    express.Router().use(
      OpenApiValidator.middleware({
        apiSpec: loadSpec(OPENAPI_PATH) as never,
        validateRequests: { allowUnknownQueryParameters: false, coerceTypes },
        validateResponses: options.validateResponses,
        validateFormats: true,
        // The access guard has checked the token before the body was read; the spec only documents it.
        validateSecurity: false,
        ignoreUndocumented: false,
        fileUploader: uploaderOptions(ctx),
      }),
    );
  const typed = validator(false);
  const form = validator(true);
  return (req, res, next) => (req.is('multipart/form-data') ? form : typed)(req, res, next);
}

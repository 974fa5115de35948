/**
 * The source of a `new Worker(source, { eval: true })` that runs the module `name` next to the caller:
 * `name.ts` under tsx, `name.js` once built. Workers do not inherit tsx's loader, so under tsx the
 * worker registers it before importing the module.
 */
export function workerSource(callerUrl: string, name: string): string {
  const typescript = callerUrl.endsWith('.ts');
  const entry = JSON.stringify(new URL(`./${name}.${typescript ? 'ts' : 'js'}`, callerUrl).href);
  return typescript
    ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); })`
    : `import(${entry})`;
}

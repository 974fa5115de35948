import { definedOnly } from '../../defaults.js';
import { presentResult } from '../../presenters/evidence.js';
import { contributeResults, restoreResult, withdrawResult, withTransferability } from '../../services/index.js';
import { callerOf } from '../access.js';
import type { Route } from '../route.js';

/** `[2].protocol.image_size` becomes `results.2.protocol.image_size`: the field as the sender wrote it. */
function wireField(path: string, prefix: string): string {
  const dotted = path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
  if (dotted === '(root)' || dotted === '') return prefix === '' ? '(body)' : prefix;
  return prefix === '' ? dotted : `${prefix}.${dotted}`;
}

/** The body is either one result or `{results: [...]}`; the spec has told the two apart already. */
function itemsOf(body: Record<string, unknown>): { items: unknown[]; batch: boolean } {
  return Array.isArray(body.results)
    ? { items: body.results as unknown[], batch: true }
    : { items: [body], batch: false };
}

export const contributionRoutes: Route[] = [
  {
    method: 'post',
    path: '/v1/results',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const body = req.body as Record<string, unknown>;
      const { items, batch } = itemsOf(body);
      const field = (path: string) => (batch ? wireField(path, 'results') : wireField(path.replace(/^\[0\]/, ''), ''));
      const key = req.get('idempotency-key');
      const caller = callerOf(res);
      const reply = await contributeResults(ctx.store, {
        items,
        field,
        sender: { owner: caller.owner, admin: caller.admin, authenticated: caller.via === 'token' },
        ...definedOnly({ idempotencyKey: key }),
        request: body,
        reply: (stored) => ({
          status: 201,
          body: batch ? { results: stored.map(presentResult) } : presentResult(stored[0]!),
        }),
      });
      if (reply.replayed) res.set('Idempotent-Replayed', 'true');
      if (!batch) res.location(`/v1/results/${(reply.body as { id: string }).id}`);
      res.status(reply.status).json(reply.body);
    },
  },
  {
    method: 'post',
    path: '/v1/results/{id}/withdraw',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const run = await withdrawResult(ctx.store, String(req.params.id), callerOf(res));
      res.json(presentResult((await withTransferability(ctx.store, [run]))[0]!));
    },
  },
  {
    method: 'post',
    path: '/v1/results/{id}/restore',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const run = await restoreResult(ctx.store, String(req.params.id), callerOf(res));
      res.json(presentResult((await withTransferability(ctx.store, [run]))[0]!));
    },
  },
];

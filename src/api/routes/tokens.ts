import { presentCreatedToken, presentToken } from '../../presenters/tokens.js';
import { apiTokens, createToken, parseScopes, revokeApiToken } from '../../services/index.js';
import type { Route } from '../route.js';
import type { components } from '../schema.js';

export const tokenRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/tokens',
    scope: 'admin',
    async handle(ctx, _req, res) {
      res.set('cache-control', 'no-store').json({ items: (await apiTokens(ctx.store)).map(presentToken) });
    },
  },
  {
    method: 'post',
    path: '/v1/tokens',
    scope: 'admin',
    async handle(ctx, req, res) {
      const body = req.body as components['schemas']['TokenRequest'];
      const created = await createToken(ctx.store, body.name, parseScopes(body.scopes, 'scopes'));
      res.set('cache-control', 'no-store').status(201).json(presentCreatedToken(created));
    },
  },
  {
    method: 'delete',
    path: '/v1/tokens/{id}',
    scope: 'admin',
    async handle(ctx, req, res) {
      res.json(presentToken(await revokeApiToken(ctx.store, String(req.params.id))));
    },
  },
];

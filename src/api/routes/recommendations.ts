import { presentRanker, presentRecommendations } from '../../presenters/evidence.js';
import { currentRanker } from '../../services/index.js';
import { stringParam } from '../query.js';
import type { Route } from '../route.js';

export const recommendationRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/ranker',
    async handle(ctx, req, res) {
      const probe = stringParam(req, 'probe');
      const proxy = stringParam(req, 'proxy');
      const architecture = stringParam(req, 'architecture');
      const fitted = await currentRanker(ctx.store, { ...(probe ? { probe } : {}), ...(proxy ? { proxy: [proxy] } : {}), ...(architecture ? { architecture } : {}) });
      res.json(presentRanker(fitted));
    },
  },
  {
    method: 'post',
    path: '/v1/recommendations',
    async handle(ctx, req, res) {
      const body = req.body as { target: string; candidates?: string[]; probe?: string; top_k?: number; proxy?: string };
      const result = await ctx.recommendations!.recommend({
        target: body.target,
        ...(body.candidates ? { candidates: body.candidates } : {}),
        ...(body.probe ? { probe: body.probe } : {}),
        ...(body.top_k !== undefined ? { topK: body.top_k } : {}),
        ...(body.proxy ? { proxy: [body.proxy] } : {}),
      });
      res.json(presentRecommendations(result));
    },
  },
];

import { presentRanker, presentRecommendations } from '../../presenters/evidence.js';
import { currentRanker } from '../../services/index.js';
import { invalid } from '../../errors.js';
import type { components } from '../schema.js';
import type { Route } from '../route.js';
import { definedOnly } from '../../defaults.js';
import type { RecommendationResult } from '../../services/recommend.js';
import { encodedOnce, sendJson } from '../conditional.js';

/** The presented answer of each cached result, made once (the result is the cache's, never changed). */
const presented = new WeakMap<RecommendationResult, object>();

export const recommendationRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/ranker',
    async handle(ctx, _req, res) {
      res.json(presentRanker(await currentRanker(ctx.store)));
    },
  },
  {
    method: 'post',
    path: '/v1/recommendations',
    async handle(ctx, req, res) {
      const body = req.body as components['schemas']['RecommendationRequest'];
      if ((body.study === undefined) !== (body.candidate_set === undefined))
        throw invalid('study and candidate_set go together', [
          { field: body.study === undefined ? 'study' : 'candidate_set', message: 'give both or neither' },
        ]);
      const result = await ctx.serving!.recommend({
        target: body.target,
        ...definedOnly({ candidates: body.candidates || undefined }),
        ...(body.study !== undefined && body.candidate_set !== undefined
          ? { context: { study: body.study, candidateSet: body.candidate_set } }
          : {}),
        ...definedOnly({ topK: body.top_k }),
      });
      let answer = presented.get(result);
      if (answer === undefined) {
        answer = presentRecommendations(result);
        presented.set(result, answer);
      }
      sendJson(res, answer, encodedOnce(answer));
    },
  },
];

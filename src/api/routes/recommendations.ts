import { presentRanker, presentRecommendations } from '../../presenters/evidence.js';
import { currentRanker } from '../../services/index.js';
import { invalid } from '../../errors.js';
import type { components } from '../schema.js';
import type { Route } from '../route.js';
import { definedOnly } from '../../defaults.js';
import type { RecommendationResult } from '../../services/recommend.js';

/**
 * The bytes of each cached answer, made once: the serving cache hands back the same result object
 * for the same question until the evidence changes, so a read costs no presenting, serialising or
 * encoding (an answer is tens of kilobytes).
 */
const bodies = new WeakMap<RecommendationResult, Buffer>();

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
      const result = await ctx.recommendations!.recommend({
        target: body.target,
        ...definedOnly({ candidates: body.candidates || undefined }),
        ...(body.study !== undefined && body.candidate_set !== undefined
          ? { context: { study: body.study, candidateSet: body.candidate_set } }
          : {}),
        ...definedOnly({ topK: body.top_k }),
      });
      let bytes = bodies.get(result);
      if (bytes === undefined) {
        bytes = Buffer.from(JSON.stringify(presentRecommendations(result)));
        bodies.set(result, bytes);
      }
      // Express adds the charset to a string body only; a Buffer's header says it here.
      res.set('Content-Type', 'application/json; charset=utf-8').send(bytes);
    },
  },
];

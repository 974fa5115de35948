import { presentAnswerReceipt, presentExpertDistance, presentExpertFeatures } from '../../presenters/embeddings.js';
import { datasetExpertFeatures, storedExpertDistance, submitExpertAnswer, TIE_RULE } from '../../services/index.js';
import { sendRead } from '../conditional.js';
import { stringParam } from '../query.js';
import type { Route } from '../route.js';
import type { components } from '../schema.js';

export const expertRoutes: Route[] = [
  {
    method: 'post',
    path: '/v1/datasets/{id}/expert-answers',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const body = req.body as components['schemas']['ExpertAnswerSubmission'];
      const receipt = await submitExpertAnswer(ctx.store, String(req.params.id), body.observer, body.answers);
      res.json(presentAnswerReceipt(receipt, TIE_RULE));
    },
  },
  {
    method: 'get',
    path: '/v1/datasets/{id}/expert-features',
    async handle(ctx, req, res) {
      sendRead(
        req,
        res,
        presentExpertFeatures(await datasetExpertFeatures(ctx.store, String(req.params.id)), TIE_RULE),
      );
    },
  },
  {
    method: 'get',
    path: '/v1/expert-distances',
    async handle(ctx, req, res) {
      sendRead(
        req,
        res,
        presentExpertDistance(
          await storedExpertDistance(ctx.store, String(stringParam(req, 'a')), String(stringParam(req, 'b'))),
        ),
      );
    },
  },
];

import { callerOf, contributorOf } from '../access.js';
import { presentAnswerReceipt, presentExpertDistance, presentExpertFeatures } from '../../presenters/embeddings.js';
import {
  datasetExpertFeatures,
  LOCAL_OWNER,
  storedExpertDistance,
  submitExpertAnswer,
  TIE_RULE,
} from '../../services/index.js';
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
      // Answers count in the vote per observer, so an observer is whoever holds the token, like a result's contributor.
      const { contributor } = contributorOf(callerOf(res), body.observer, 'observer');
      const receipt = await submitExpertAnswer(
        ctx.store,
        String(req.params.id),
        contributor ?? LOCAL_OWNER,
        body.answers,
      );
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

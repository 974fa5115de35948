import { storedDistance, storedDistanceMatrix, type DistanceChoice } from '../../services/index.js';
import { sendRead } from '../conditional.js';
import { presentDistance, presentDistanceMatrix } from '../../presenters/embeddings.js';
import { stringParam } from '../query.js';
import type { Route } from '../route.js';
import type { components } from '../schema.js';
import { definedOnly } from '../../defaults.js';

export const distanceRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/distances',
    async handle(ctx, req, res) {
      const probe = stringParam(req, 'probe');
      const distance = stringParam(req, 'distance') as DistanceChoice | undefined;
      const d = await storedDistance(ctx.store, String(stringParam(req, 'a')), String(stringParam(req, 'b')), {
        ...definedOnly({ probe: probe || undefined, distance: distance || undefined }),
      });
      sendRead(req, res, presentDistance(d));
    },
  },
  {
    method: 'post',
    path: '/v1/distances/matrix',
    async handle(ctx, req, res) {
      const body = req.body as components['schemas']['DistanceMatrixRequest'];
      const m = await storedDistanceMatrix(ctx.store, body.datasets, {
        ...definedOnly({ probe: body.probe || undefined, distance: body.distance || undefined }),
      });
      res.json(presentDistanceMatrix(m));
    },
  },
];

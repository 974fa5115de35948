import {
  presentAnalysis,
  presentEstimatorAnalysis,
  presentEvaluation,
  presentTransferabilityRow,
} from '../../presenters/evidence.js';
import {
  correlationAnalysis,
  estimatorAnalysis,
  storedEvaluation,
  transferabilityTable,
} from '../../services/index.js';
import { stringParam } from '../query.js';
import { sendRead } from '../conditional.js';
import type { Route } from '../route.js';
import type { Request } from 'express';
import { definedOnly } from '../../defaults.js';

function proxyParam(req: Request): string[] {
  const proxy = stringParam(req, 'proxy');
  return proxy === undefined ? [] : [proxy];
}

export const analysisRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/transferability',
    async handle(ctx, req, res) {
      const target = stringParam(req, 'target');
      const architecture = stringParam(req, 'architecture');
      const rows = await transferabilityTable(
        ctx.store,
        definedOnly({ target: target || undefined, architecture: architecture || undefined }),
      );
      sendRead(req, res, { items: rows.map(presentTransferabilityRow) });
    },
  },
  {
    method: 'get',
    path: '/v1/analysis/correlations',
    async handle(ctx, req, res) {
      const architecture = stringParam(req, 'architecture');
      const analysis = await correlationAnalysis(ctx.store, {
        proxy: proxyParam(req),
        ...definedOnly({ architecture: architecture || undefined }),
      });
      sendRead(req, res, presentAnalysis(analysis));
    },
  },
  {
    method: 'get',
    path: '/v1/analysis/estimators',
    async handle(ctx, req, res) {
      sendRead(req, res, presentEstimatorAnalysis(await estimatorAnalysis(ctx.store)));
    },
  },
  {
    method: 'get',
    path: '/v1/evaluation',
    async handle(ctx, req, res) {
      const stored = await storedEvaluation(ctx.store);
      sendRead(req, res, presentEvaluation(stored.version, stored.evaluation));
    },
  },
];

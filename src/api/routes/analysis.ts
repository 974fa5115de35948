import { presentAnalysis, presentEstimatorAnalysis, presentEvaluation } from '../../presenters/evidence.js';
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
      const rows = await transferabilityTable(ctx.store, {
        ...(target ? { target } : {}),
        ...(architecture ? { architecture } : {}),
      });
      sendRead(req, res, {
        items: rows.map(({ id, source, target: t, architecture: a, protocol, ...rest }) => ({
          result_id: id,
          source: source!,
          target: t,
          architecture: a,
          protocol,
          ...('transferability' in rest
            ? { transferability: rest.transferability }
            : { transferability_unavailable: rest.transferability_unavailable }),
        })),
      });
    },
  },
  {
    method: 'get',
    path: '/v1/analysis/correlations',
    async handle(ctx, req, res) {
      const architecture = stringParam(req, 'architecture');
      const analysis = await correlationAnalysis(ctx.store, {
        proxy: proxyParam(req),
        ...(architecture ? { architecture } : {}),
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

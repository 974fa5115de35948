import {
  importPairSignals,
  importStudy,
  signalsForTarget,
  studyDetail,
  studySummaries,
  type SignalSubjectKind,
} from '../../services/index.js';
import type { StudyFolder } from '../../studies/index.js';
import { sendRead } from '../conditional.js';
import { stringParam } from '../query.js';
import { callerOf } from '../access.js';
import type { Route } from '../route.js';
import type { components } from '../schema.js';
import { definedOnly } from '../../defaults.js';

type Schemas = components['schemas'];

function folderOf(body: Schemas['StudyUpload']): StudyFolder {
  const files = new Map<string, Uint8Array>();
  for (const f of body.files)
    files.set(f.path, f.encoding === 'base64' ? Buffer.from(f.content, 'base64') : new TextEncoder().encode(f.content));
  return { name: body.name ?? 'study', files };
}

export const studyRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/studies',
    async handle(ctx, req, res) {
      sendRead(req, res, { items: await studySummaries(ctx.store) });
    },
  },
  {
    method: 'get',
    path: '/v1/studies/{id}',
    async handle(ctx, req, res) {
      sendRead(req, res, await studyDetail(ctx.store, String(req.params.id)));
    },
  },
  {
    method: 'post',
    path: '/v1/studies',
    scope: 'admin',
    async handle(ctx, req, res) {
      const summary = await importStudy(ctx.store, folderOf(req.body as Schemas['StudyUpload']));
      res.location(`/v1/studies/${summary.study}`);
      res.status(201).json(summary);
    },
  },
  {
    method: 'post',
    path: '/v1/signals',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const body = req.body as Schemas['SignalImport'];
      const rows = body.signals.map((s, i) => ({ ...s, where: 'request body', field: `signals[${i}]` }));
      const caller = callerOf(res);
      // A contributor's signals are theirs by name, which keeps them out of the ranker until an admin vouches.
      const own = caller.admin ? undefined : `contributor:${caller.owner}`;
      res.json(await importPairSignals(ctx.store, rows, body.provenance ?? own, own));
    },
  },
  {
    method: 'get',
    path: '/v1/datasets/{id}/signals',
    async handle(ctx, req, res) {
      const signal = stringParam(req, 'signal');
      const subjectKind = stringParam(req, 'subject_kind') as SignalSubjectKind | undefined;
      const provenance = stringParam(req, 'provenance');
      const items = await signalsForTarget(ctx.store, String(req.params.id), {
        ...definedOnly({
          signal: signal || undefined,
          subjectKind: subjectKind || undefined,
          provenance: provenance || undefined,
        }),
      });
      sendRead(req, res, { items });
    },
  },
];

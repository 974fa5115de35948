import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';
import { startApp } from '../support/app.js';
import { NO_LIMITS } from '../support/app.js';
import { bearer, mintToken } from '../support/tokens.js';
import { refitRanker } from '../../src/services/index.js';
import type { components } from '../../src/api/schema.js';
import { datasetRegistration } from '../support/bodies.js';

type Schemas = components['schemas'];

interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
}

const folds = (...values: number[]) => values.map((value, i) => ({ fold: i + 1, value }));
const result = (source: string, target: string, values: number[], provenance: Record<string, string> = {}) => ({
  source,
  target,
  architecture: 'resnet50',
  protocol: { folds: values.length, metric: 'auc-ovr-weighted' },
  folds: folds(...values),
  provenance,
});

describeEachStore('api tokens and who may write', (kind) => {
  const env = seededApp(kind);

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${env.app.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const problemOf = async (res: Response): Promise<Problem> => {
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    return (await res.json()) as Problem;
  };
  const studyResult = async (study: string, source: string, target: string): Promise<Schemas['TransferResult']> => {
    const page = (await (await call('GET', `/v1/results?source=${source}&target=${target}&page_size=200`)).json()) as {
      items: Schemas['TransferResult'][];
    };
    const found = page.items.find((r) => r.study === study);
    assert.ok(found, `no ${study} result ${source} -> ${target}`);
    return found;
  };

  // The first test sees the tokenless store; every later one runs with tokens in it.
  test('without any token, loopback writes go in as the local owner; once one exists, writes need one', async () => {
    const local = await call('POST', '/v1/results', result('kimia', 'chest', [0.61, 0.62, 0.63]));
    assert.equal(local.status, 201, await local.clone().text());
    assert.equal(((await local.json()) as Schemas['TransferResult']).contributor, 'local');

    await mintToken(env.store, `root-${kind.name}`, 'admin');
    const anonymous = await call('POST', '/v1/results', result('kimia', 'chest', [0.64, 0.65, 0.66]));
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await problemOf(anonymous)).type, 'urn:transfer-atlas:problem:unauthorized');
    // Reads stay public by default.
    assert.equal((await call('GET', '/v1/results?page_size=1')).status, 200);
    for (const header of ['Bearer', 'Basic abc', 'Bearer ta_not-a-token', `Bearer ta_${'A'.repeat(43)}`]) {
      const res = await call('POST', '/v1/results', result('kimia', 'chest', [0.64, 0.65, 0.66]), {
        authorization: header,
      });
      assert.equal(res.status, 401, header);
    }
  });

  test('tokens: minted by an admin, shown once, stored as a hash, listed with last use, revocable', async () => {
    const admin = bearer(await mintToken(env.store, 'boss', 'admin'));
    const made = await call('POST', '/v1/tokens', { name: 'carol', scopes: ['contribute'] }, admin);
    assert.equal(made.status, 201, await made.clone().text());
    const created = (await made.json()) as Schemas['CreatedToken'];
    assert.match(created.token, /^ta_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(
      [created.owner, created.scopes, created.last_used_at, created.revoked_at],
      ['carol', ['contribute'], null, null],
    );
    const row = (await env.store.knex('api_tokens').where({ id: created.id }).first()) as Record<string, unknown>;
    assert.equal(row.token_hash, createHash('sha256').update(created.token).digest('hex'));
    assert.ok(!Object.values(row).includes(created.token), 'the token itself is not stored');

    const carol = bearer(created.token);
    const posted = await call('POST', '/v1/results', result('kimia', 'chest', [0.71, 0.72, 0.73]), carol);
    assert.equal(posted.status, 201, await posted.clone().text());
    assert.equal(((await posted.json()) as Schemas['TransferResult']).contributor, 'carol');

    const listed = (await (await call('GET', '/v1/tokens', undefined, admin)).json()) as Schemas['TokenList'];
    const carols = listed.items.find((t) => t.id === created.id)!;
    assert.ok(carols.last_used_at !== null);
    assert.ok(!JSON.stringify(listed).includes(created.token), 'a listing never shows a token');
    assert.ok(!('token' in carols));

    // Managing tokens is an admin's: a contribute token may not list or mint them.
    assert.equal((await call('GET', '/v1/tokens', undefined, carol)).status, 403);
    assert.equal((await call('POST', '/v1/tokens', { name: 'eve', scopes: ['admin'] }, carol)).status, 403);
    assert.equal((await call('GET', '/v1/tokens')).status, 401);

    const revoked = await call('DELETE', `/v1/tokens/${created.id}`, undefined, admin);
    assert.equal(revoked.status, 200);
    assert.ok(((await revoked.json()) as Schemas['Token']).revoked_at !== null);
    const after = await call('POST', '/v1/results', result('kimia', 'chest', [0.74, 0.75, 0.76]), carol);
    assert.equal(after.status, 401);
    assert.equal((await call('DELETE', '/v1/tokens/tok_0000000000000000', undefined, admin)).status, 404);
  });

  test('scopes: read cannot write, contribute cannot manage the registry; the body cannot name another contributor', async () => {
    const reader = bearer(await mintToken(env.store, 'reader', 'read'));
    const dave = bearer(await mintToken(env.store, 'dave', 'contribute'));
    const readerPost = await call('POST', '/v1/results', result('kimia', 'chest', [0.81, 0.82, 0.83]), reader);
    assert.equal(readerPost.status, 403);
    assert.match((await problemOf(readerPost)).detail, /'contribute'/);
    assert.equal((await call('POST', '/v1/ranker/refits', {}, dave)).status, 403);
    assert.equal((await call('POST', '/v1/studies', { files: [] }, dave)).status, 403);

    const impostor = await call(
      'POST',
      '/v1/results',
      result('kimia', 'chest', [0.81, 0.82, 0.83], { contributor: 'alice' }),
      dave,
    );
    assert.equal(impostor.status, 400);
    assert.equal((await problemOf(impostor)).field, 'provenance.contributor');
    const own = await call(
      'POST',
      '/v1/results',
      result('kimia', 'chest', [0.81, 0.82, 0.83], { contributor: 'dave' }),
      dave,
    );
    assert.equal(own.status, 201);
    // A contributor's signals are recorded under their own name whatever they ask for.
    const signal = {
      subject_kind: 'backbone',
      subject: 'imagenet-resnet18',
      target: 'retinamnist',
      signal: 'hscore',
      value: 2.5,
    };
    const spoofed = await call(
      'POST',
      '/v1/signals',
      { provenance: 'study:medmnist-transferability', signals: [signal] },
      dave,
    );
    assert.equal(spoofed.status, 403);
    const stored = await call('POST', '/v1/signals', { signals: [signal] }, dave);
    assert.equal(stored.status, 200, await stored.clone().text());
    const mine = await call('GET', '/v1/datasets/retinamnist/signals?provenance=contributor%3Adave');
    assert.equal(((await mine.json()) as { items: unknown[] }).items.length, 1);
  });

  test("case 1: only an admin withdraws a study's result, nobody learns an owner's name, and restore undoes it", async () => {
    await refitRanker(env.store);
    const ask = { target: 'isic', study: 'cats-scans', candidate_set: 'all' };
    const before = (await (await call('POST', '/v1/recommendations', ask)).json()) as Schemas['Recommendations'];
    assert.equal(before.items[0]!.backbone, 'imagenet-resnet50');

    const erin = bearer(await mintToken(env.store, 'erin', 'contribute'));
    const frank = bearer(await mintToken(env.store, 'frank', 'contribute'));
    const admin = bearer(await mintToken(env.store, 'curator', 'admin'));
    const study = await studyResult('cats-scans', 'imagenet', 'isic');

    const anonymous = await call('POST', `/v1/results/${study.id}/withdraw`, {});
    assert.equal(anonymous.status, 401);
    const contributor = await call('POST', `/v1/results/${study.id}/withdraw`, {}, erin);
    assert.equal(contributor.status, 403);
    const problem = JSON.stringify(await problemOf(contributor));
    assert.ok(!problem.includes(study.contributor), problem);

    const erins = (await (
      await call('POST', '/v1/results', result('kimia', 'isic', [0.55, 0.56, 0.57]), erin)
    ).json()) as Schemas['TransferResult'];
    const byFrank = await call('POST', `/v1/results/${erins.id}/withdraw`, {}, frank);
    assert.equal(byFrank.status, 403);
    assert.ok(!JSON.stringify(await problemOf(byFrank)).includes('erin'));
    assert.equal((await call('POST', `/v1/results/${erins.id}/withdraw`, {}, erin)).status, 200);
    assert.equal((await call('POST', `/v1/results/${erins.id}/restore`, {}, frank)).status, 403);
    const restoredOwn = await call('POST', `/v1/results/${erins.id}/restore`, undefined, erin);
    assert.equal(restoredOwn.status, 200);
    assert.equal(((await restoredOwn.json()) as Schemas['TransferResult']).withdrawn_at, undefined);
    assert.equal((await call('POST', `/v1/results/${erins.id}/restore`, {}, erin)).status, 409);

    assert.equal((await call('POST', `/v1/results/${study.id}/withdraw`, {}, admin)).status, 200);
    assert.equal((await call('POST', `/v1/results/${study.id}/restore`, {}, erin)).status, 403);
    await refitRanker(env.store);
    const withdrawn = (await (await call('POST', '/v1/recommendations', ask)).json()) as Schemas['Recommendations'];
    assert.notDeepEqual(withdrawn.items, before.items);

    const restored = await call('POST', `/v1/results/${study.id}/restore`, {}, admin);
    assert.equal(restored.status, 200);
    await refitRanker(env.store);
    const after = (await (await call('POST', '/v1/recommendations', ask)).json()) as Schemas['Recommendations'];
    assert.deepEqual(after.items, before.items);
  });

  test("case 1: results under a published study's DOI or URL are refused to a non-admin", async () => {
    const grace = bearer(await mintToken(env.store, 'grace', 'contribute'));
    for (const provenance of <Record<string, string>[]>[
      { doi: '10.48550/arXiv.2107.05940' },
      { doi: 'https://doi.org/10.48550/ARXIV.2107.05940' },
      { url: 'https://github.com/vcheplygina/cats-scans' },
    ]) {
      const res = await call('POST', '/v1/results', result('kimia', 'isic', [0.41, 0.42, 0.43], provenance), grace);
      assert.equal(res.status, 403, JSON.stringify(provenance));
      assert.match((await problemOf(res)).field ?? '', /^provenance\.(doi|url)$/);
    }
    const admin = bearer(await mintToken(env.store, 'registrar', 'admin'));
    const res = await call(
      'POST',
      '/v1/results',
      result('kimia', 'isic', [0.41, 0.42, 0.43], { doi: '10.48550/arXiv.2107.05940' }),
      admin,
    );
    assert.equal(res.status, 201);
  });

  test('TA_READS=token: every read needs a token; a read token may read', async () => {
    const app = await startApp(env.store, {}, NO_LIMITS, { reads: 'token', requireTokens: false });
    try {
      const reader = bearer(await mintToken(env.store, 'reader2', 'read'));
      assert.equal((await fetch(`${app.url}/v1/datasets`)).status, 401);
      assert.equal((await fetch(`${app.url}/v1/datasets`, { headers: reader })).status, 200);
      assert.equal((await fetch(`${app.url}/v1/health`, { headers: reader })).status, 200);
    } finally {
      await app.close();
    }
  });

  test("expert answers: the observer is the token's owner; another name is a 400", async () => {
    const gwen = bearer(await mintToken(env.store, 'gwen', 'contribute'));
    const answers = {
      origin: 'medical',
      colour: 'colour',
      content: 'textures',
      kind: 'skin',
      diversity: 'low',
      classes: '2',
    };
    const submit = (body: unknown, headers: Record<string, string>) =>
      call('POST', '/v1/datasets/isic/expert-answers', body, headers);

    const unnamed = await submit({ answers }, gwen);
    assert.equal(unnamed.status, 200, await unnamed.clone().text());
    assert.deepEqual(
      [(await unnamed.json()) as Schemas['ExpertAnswerReceipt']].map((r) => [r.observer, r.replaced]),
      [['gwen', false]],
    );
    const impostor = await submit({ observer: 'ann', answers }, gwen);
    assert.equal(impostor.status, 400);
    assert.equal((await problemOf(impostor)).field, 'observer');
    const named = (await (await submit({ observer: 'gwen', answers }, gwen)).json()) as Schemas['ExpertAnswerReceipt'];
    assert.deepEqual([named.observer, named.replaced], ['gwen', true]);
    // Only the owner's one answer counts: the impostor's name was never stored.
    const features = (await (await call('GET', '/v1/datasets/isic/expert-features')).json()) as {
      observers: number;
    };
    assert.equal(features.observers, 1);
    const reader = bearer(await mintToken(env.store, 'reader-experts', 'read'));
    assert.equal((await submit({ answers }, reader)).status, 403);
    assert.equal((await submit({ answers }, {})).status, 401);
  });
});

describeEachStore('api access before any token exists', (kind) => {
  const registration = (id: string) => datasetRegistration(id, `Local ${id}`, 'Registered without a token.');

  test('TA_REQUIRE_TOKENS=1 refuses tokenless loopback writes that the default lets in', async () => {
    const store = await kind.open();
    const strict = await startApp(store, {}, NO_LIMITS, { reads: 'public', requireTokens: true });
    const relaxed = await startApp(store);
    try {
      const post = (url: string, id: string) =>
        fetch(`${url}/v1/datasets`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(registration(id)),
        });
      assert.equal((await post(strict.url, 'strict-set')).status, 401);
      assert.equal((await post(relaxed.url, 'relaxed-set')).status, 201);
      assert.equal((await fetch(`${strict.url}/v1/datasets/relaxed-set`)).status, 200);
      // Without tokens an expert answer is the name given, else the local owner's.
      const answer = async (observer?: string) => {
        const res = await fetch(`${relaxed.url}/v1/datasets/relaxed-set/expert-answers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            ...(observer === undefined ? {} : { observer }),
            answers: {
              origin: 'medical',
              colour: 'grey',
              content: 'objects',
              kind: 'organs-anatomy',
              diversity: 'low',
              classes: '2',
            },
          }),
        });
        assert.equal(res.status, 200, await res.clone().text());
        return ((await res.json()) as Schemas['ExpertAnswerReceipt']).observer;
      };
      assert.deepEqual([await answer('ann'), await answer()], ['ann', 'local']);
    } finally {
      await strict.close();
      await relaxed.close();
      await store.close();
    }
  });
});

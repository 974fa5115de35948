import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { openStore } from '../../src/store/index.js';
import { callerOfToken } from '../../src/services/tokens.js';

const work = mkdtempSync(join(tmpdir(), 'ta-cli-tokens-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };

function cli(...args: string[]) {
  return runCli(args, { env });
}

function oneLineExit2(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

interface Token {
  id: string;
  owner: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  token?: string;
}

before(async () => {
  const seeded = await cli('seed');
  assert.equal(seeded.code, 0, seeded.stderr);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('tokens create prints the token once; list shows owner, scopes and use but never a token; revoke ends it', async () => {
  const made = await cli('tokens', 'create', '--name', 'alice', '--scope', 'contribute,read');
  assert.equal(made.code, 0, made.stderr);
  const token = made.stdout.trim();
  assert.match(token, /^ta_[A-Za-z0-9_-]{43}$/);
  const id = /token (tok_[0-9a-f]{16}) for alice \(read, contribute\)/.exec(made.stderr)?.[1];
  assert.ok(id, made.stderr);

  // The server takes the token the CLI minted on the same store.
  const store = await openStore({ client: 'sqlite', filename: join(work, 'atlas.sqlite') });
  try {
    const caller = await callerOfToken(store, token);
    assert.deepEqual([caller.owner, caller.scopes, caller.admin], ['alice', ['read', 'contribute'], false]);
  } finally {
    await store.close();
  }

  const listed = await cli('tokens', 'list', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(!listed.stdout.includes(token));
  const items = JSON.parse(listed.stdout) as Token[];
  assert.deepEqual(
    items.map((t) => [t.id, t.owner, t.scopes, t.revoked_at, 'token' in t]),
    [[id, 'alice', ['read', 'contribute'], null, false]],
  );
  assert.ok(items[0]!.last_used_at !== null);
  assert.match((await cli('tokens', 'list')).stdout, new RegExp(`^${id!} +alice +read,contribute `, 'm'));

  const revoked = await cli('tokens', 'revoke', id!);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, new RegExp(`^revoked ${id!} \\(alice\\) at `));
  const after = JSON.parse((await cli('tokens', 'list', '--json')).stdout) as Token[];
  assert.ok(after[0]!.revoked_at !== null);

  oneLineExit2(await cli('tokens', 'create', '--name', 'bob', '--scope', 'root'), /'root' is not a scope/);
  oneLineExit2(await cli('tokens', 'create', '--name', 'no spaces', '--scope', 'read'), /not an owner name/);
  oneLineExit2(await cli('tokens', 'revoke', 'tok_0000000000000000'), /no token with id/);
});

test("results restore: the contributor's own, a study's only with --admin", async () => {
  const csv = join(work, 'one.csv');
  writeFileSync(csv, 'source,target,fold_1,fold_2,fold_3\nkimia,isic,0.61,0.62,0.63\n');
  const imported = await cli('results', 'import', csv, '--contributor', 'jdoe', '--architecture', 'resnet50', '--json');
  assert.equal(imported.code, 0, imported.stderr);
  const id = (JSON.parse(imported.stdout) as { id: string }[])[0]!.id;
  assert.equal((await cli('results', 'withdraw', id, '--by', 'jdoe')).code, 0);
  oneLineExit2(await cli('results', 'restore', id, '--by', 'mallory'), /only its contributor or an admin/);
  const restored = await cli('results', 'restore', id, '--by', 'jdoe');
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, new RegExp(`^restored ${id} \\(kimia -> isic, contributed by jdoe\\)`));
  oneLineExit2(await cli('results', 'restore', id, '--by', 'jdoe'), /is not withdrawn/);

  const all = JSON.parse((await cli('results', 'list', '--target', 'isic', '--json')).stdout) as {
    id: string;
    study?: string;
    source: string | null;
  }[];
  const study = all.find((r) => r.study === 'cats-scans' && r.source === 'imagenet')!;
  oneLineExit2(await cli('results', 'withdraw', study.id, '--by', 'jdoe'), /belongs to a published study/);
  assert.equal((await cli('results', 'withdraw', study.id, '--by', 'curator', '--admin')).code, 0);
  assert.equal((await cli('results', 'restore', study.id, '--by', 'curator', '--admin')).code, 0);
  const back = JSON.parse((await cli('results', 'list', '--target', 'isic', '--json')).stdout) as { id: string }[];
  assert.ok(back.some((r) => r.id === study.id));
});

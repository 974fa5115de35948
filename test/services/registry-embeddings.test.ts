import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachStore } from '../support/stores.js';
import { seedRegistry } from '../../src/services/index.js';
import { NOISE_FILE, readRegistryEmbeddings } from '../../src/registry/embeddings.js';
import { listEmbeddings, type Store } from '../../src/store/index.js';

const REGISTRY = 'datasets-registry';
const PROBE_DIR = join(REGISTRY, 'embeddings', 'mobilenet_v2_0.35_224');
const shipped = readdirSync(PROBE_DIR).filter((f) => f.endsWith('.yaml') && f !== NOISE_FILE);

function registryCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ta-registry-'));
  cpSync(REGISTRY, dir, { recursive: true });
  return dir;
}

test('every shipped embedding is a non-negative float32 vector of the bundled probe with its provenance', () => {
  const all = readRegistryEmbeddings(REGISTRY);
  assert.equal(all.length, shipped.length);
  assert.ok(all.length >= 1);
  for (const e of all) {
    assert.equal(e.hessian.length, 14080, e.path);
    assert.equal(e.provenance.probe.location, 'bundled:mobilenet_v2_0.35_224');
    assert.match(e.provenance.command, /^scripts\/registry-embedding\.sh /);
    // The count is recorded on the command too, so the command regenerates the vector whatever the script's default.
    const samples = e.provenance.options.samples;
    assert.ok(samples === 2000 || samples === 10000, `${e.path}: samples ${String(samples)}`);
    assert.ok(e.provenance.command.includes(` --samples ${String(samples)} `), e.path);
  }
});

describeEachStore('registry embeddings', (kind) => {
  let store: Store;
  const copies: string[] = [];
  before(async () => {
    store = await kind.open();
  });
  after(async () => {
    await store.close();
    for (const c of copies) rmSync(c, { recursive: true, force: true });
  });

  test('seed stores them as computed embeddings carrying their provenance, once', async () => {
    await seedRegistry(store, REGISTRY);
    const computed = await listEmbeddings(store.knex, { origin: 'computed' });
    assert.equal(computed.length, shipped.length);
    for (const e of computed) {
      assert.match(String(e.options.registryFile), /^embeddings\/mobilenet_v2_0\.35_224\/[a-z0-9-]+\.yaml$/);
      assert.equal(typeof e.options.sample, 'string');
    }
    const again = await seedRegistry(store, REGISTRY);
    assert.equal(again.embeddings.added, 0);
    assert.equal((await listEmbeddings(store.knex, { origin: 'computed' })).length, shipped.length);
  });

  test('an edited vector replaces its embedding; a bad field is refused naming file and field, writing nothing', async () => {
    const dir = registryCopy();
    copies.push(dir);
    const name = shipped[0]!.replace(/\.yaml$/, '');
    const npy = join(dir, 'embeddings', 'mobilenet_v2_0.35_224', `${name}.npy`);
    const bytes = readFileSync(npy);
    bytes.writeFloatLE(bytes.readFloatLE(bytes.length - 4) + 1, bytes.length - 4);
    writeFileSync(npy, bytes);
    const summary = await seedRegistry(store, dir);
    assert.equal(summary.embeddings.added, 1);
    const mine = (await listEmbeddings(store.knex, { datasetId: name, origin: 'computed' })).filter((e) =>
      String(e.options.registryFile).endsWith(`/${name}.yaml`),
    );
    assert.equal(mine.length, 1);

    const yaml = join(dir, 'embeddings', 'mobilenet_v2_0.35_224', `${name}.yaml`);
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/^classes: .*$/m, 'classes: 1'));
    const count = (await listEmbeddings(store.knex)).length;
    await assert.rejects(seedRegistry(store, dir), (e: Error) => /\.yaml: field 'classes'/.test(e.message));
    assert.equal((await listEmbeddings(store.knex)).length, count);
    await seedRegistry(store, REGISTRY);
  });
});

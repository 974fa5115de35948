import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { defaultProbeFolder } from '../../src/probes/index.js';
import { probeRecordOfFolder } from '../../src/services/probes.js';
import { AppError } from '../../src/errors.js';

/** A copy of the bundled probe whose model.json names `paths` as its weight shards. */
async function probeNaming(root: string, name: string, paths: string[]): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const model = JSON.parse(await readFile(join(defaultProbeFolder(), 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[] }[];
  };
  model.weightsManifest[0]!.paths = paths;
  await writeFile(join(dir, 'model.json'), JSON.stringify(model));
  await copyFile(join(defaultProbeFolder(), 'probe.json'), join(dir, 'probe.json'));
  return dir;
}

async function refusal(folder: string): Promise<string> {
  try {
    await probeRecordOfFolder(folder);
  } catch (e) {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, 'invalid-request');
    return e.message.replace(folder, '<folder>');
  }
  assert.fail(`${folder} was accepted`);
}

test('weight files named by model.json must lie inside the probe folder; refusals never tell whether an outside file exists', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ta-manifest-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const outside = join(root, 'outside.bin');
  await copyFile(join(defaultProbeFolder(), 'weights.bin'), outside);

  const climbing = await refusal(await probeNaming(root, 'climbs', ['../outside.bin']));
  const missing = await refusal(await probeNaming(root, 'climbs-missing', ['../nothing-here.bin']));
  assert.equal(climbing.replace('outside.bin', 'X'), missing.replace('nothing-here.bin', 'X'));
  assert.doesNotMatch(climbing, /ENOENT|no such file|exist/i);

  const passwd = await refusal(await probeNaming(root, 'etc', [relative(join(root, 'etc'), '/etc/passwd')]));
  const absent = await refusal(
    await probeNaming(root, 'etc-missing', [relative(join(root, 'etc-missing'), '/etc/no-such-file-here')]),
  );
  assert.match(passwd, /not a file inside the probe folder/);
  assert.match(absent, /not a file inside the probe folder/);
  assert.match(
    await refusal(await probeNaming(root, 'absolute', ['/etc/passwd'])),
    /not a file inside the probe folder/,
  );

  const linked = await probeNaming(root, 'linked', ['weights.bin']);
  await symlink(outside, join(linked, 'weights.bin'));
  const dangling = await probeNaming(root, 'dangling', ['weights.bin']);
  await symlink(join(root, 'gone.bin'), join(dangling, 'weights.bin'));
  assert.equal(await refusal(linked), await refusal(dangling));

  const good = await probeNaming(root, 'good', ['weights.bin']);
  await copyFile(join(defaultProbeFolder(), 'weights.bin'), join(good, 'weights.bin'));
  assert.equal((await probeRecordOfFolder(good)).input_size, 224);
});

test("an input size below the probes' minimum is one line naming the field", async () => {
  await assert.rejects(probeRecordOfFolder(defaultProbeFolder(), { inputSize: 16 }), (e: unknown) => {
    assert.ok(e instanceof AppError);
    assert.equal(e.fields[0]?.field, 'input_size');
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
});

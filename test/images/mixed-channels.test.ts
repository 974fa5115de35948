/**
 * A chest X-ray folder as people have it: grey PNGs with a few RGB JPEG figures among them. Built
 * from the real Kermany chest X-rays and HAM10000 dermoscopy images in ../shared/datasets/sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestDataset, IngestionError, listForMessage, StoredDataset } from '../../src/images/index.js';
import { tempDir } from './helpers/fixtures.js';
import { chestFolder } from '../support/mixed-chest.js';

test('a grey folder with a few RGB JPEGs is stored grey, with a warning naming them and the choice recorded', async (t) => {
  const root = await tempDir(t);
  const figures = await chestFolder(root, 20, 2);
  const staged = await tempDir(t, 'mixed-staged-');
  const result = await ingestDataset({ path: root, size: 32 }, { stagingDir: staged });
  assert.equal(result.channels, 1);
  assert.equal(result.imageCount, 42);
  assert.deepEqual(result.profile.channels, { '1': 40, '3': 2 });
  assert.equal(result.profile.normalised.channelsChoice, 'majority');
  const warning = result.profile.warnings.find((w) => w.code === 'CONVERTED_CHANNELS');
  assert.ok(warning, JSON.stringify(result.profile.warnings));
  assert.equal(
    warning.message,
    `2 of 42 images were colour and were converted to greyscale like the rest: ${figures.join(', ')}; give channels 3 to keep colour instead`,
  );

  // The minority is converted exactly as asking for one channel converts it.
  const asked = await tempDir(t, 'mixed-asked-');
  const explicit = await ingestDataset({ path: root, size: 32, channels: 1 }, { stagingDir: asked });
  assert.equal(explicit.profile.normalised.channelsChoice, 'option');
  assert.equal(
    explicit.profile.warnings.find((w) => w.code === 'CONVERTED_CHANNELS'),
    undefined,
    'no warning when the user chose',
  );
  const a = await StoredDataset.open(staged);
  const b = await StoredDataset.open(asked);
  try {
    for (const figure of figures) {
      const [x, y] = await Promise.all([
        a.readBatch([a.manifest.refs.indexOf(figure)]),
        b.readBatch([b.manifest.refs.indexOf(figure)]),
      ]);
      assert.deepEqual(x.shape, [1, 32, 32, 1]);
      assert.deepEqual(x.images, y.images, figure);
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test("an even mix is refused with the counts, the first few names and the fix in the caller's spelling", async (t) => {
  const root = await tempDir(t);
  const figures = await chestFolder(root, 5, 6);
  await assert.rejects(
    ingestDataset({ path: root, size: 32, optionStyle: 'flag' }, { stagingDir: await tempDir(t, 'mixed-staged-') }),
    (e: unknown) => {
      assert.ok(e instanceof IngestionError, String(e));
      assert.equal(e.code, 'MIXED_CHANNELS');
      assert.equal(
        e.message,
        `10 greyscale and 6 colour images, too even a mix to pick one (the 6 colour: ${figures.slice(0, 3).join(', ')} and 3 more); give --channels 1 (greyscale) or --channels 3 (colour) to convert them all`,
      );
      assert.deepEqual(
        e.details.map((d) => d.file),
        figures,
        'the details keep every file',
      );
      return true;
    },
  );
});

test('a one-line list names the first three and counts the rest', () => {
  assert.equal(listForMessage(['a', 'b']), 'a, b');
  assert.equal(listForMessage(['a', 'b', 'c']), 'a, b, c');
  assert.equal(listForMessage(['a', 'b', 'c', 'd', 'e']), 'a, b, c and 2 more');
});

/**
 * The layering is enforced by the linter; these cases lint one import from a file placed in each layer
 * (the file need not exist, its path decides the rules) so that a rule that stops matching fails here
 * instead of letting violations through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

/** Rule ids reported for `import` of `from` in a module at `at` (a path from the repository root). */
async function reported(at: string, from: string): Promise<string[]> {
  const code = `import * as imported from '${from}';\nexport const kept = imported;\n`;
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, at) });
  return result!.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

const ZONE = 'import-x/no-restricted-paths';
const DRIVER = 'no-restricted-imports';

const refused: [string, string, string, string][] = [
  ['a domain never imports the store', 'src/ranking/new.ts', '../store/index.js', ZONE],
  ['a domain never imports the API', 'src/task2vec/new.ts', '../api/index.js', ZONE],
  ['a domain never imports the CLI', 'src/images/new.ts', '../cli/main.js', ZONE],
  ['a new folder is a domain from its first file', 'src/atlas-jobs/new.ts', '../store/index.js', ZONE],
  ['a shared leaf never imports the store', 'src/new.ts', './store/index.js', ZONE],
  ['compute imports no other domain', 'src/compute/new.ts', '../probes/index.js', ZONE],
  ['images never import task2vec', 'src/images/new.ts', '../task2vec/index.js', ZONE],
  ['the store never imports the API', 'src/store/new.ts', '../api/index.js', ZONE],
  ['the store never imports the CLI', 'src/store/new.ts', '../cli/main.js', ZONE],
  ['the API never imports the store', 'src/api/routes/new.ts', '../../store/index.js', ZONE],
  ['the CLI never imports the store', 'src/cli/commands/new.ts', '../../store/index.js', ZONE],
  ['the CLI never reaches into the API', 'src/cli/commands/new.ts', '../../api/app.js', ZONE],
  ['the API never imports the CLI', 'src/api/new.ts', '../cli/main.js', ZONE],
  ['a domain never imports knex', 'src/experts/new.ts', 'knex', DRIVER],
  ['the API never imports pg', 'src/api/new.ts', 'pg', DRIVER],
  ['the CLI never imports better-sqlite3', 'src/cli/new.ts', 'better-sqlite3', DRIVER],
  ['the store never imports services', 'src/store/new.ts', '../services/index.js', ZONE],
  ['services never import the API', 'src/services/new.ts', '../api/index.js', ZONE],
  ['a domain never imports services', 'src/transfer/new.ts', '../services/index.js', ZONE],
  ['presenters never query', 'src/presenters/new.ts', '../store/index.js', ZONE],
  ['presenters never import the API', 'src/presenters/new.ts', '../api/app.js', ZONE],
];

for (const [title, at, from, rule] of refused) {
  test(`${title}: ${at} importing ${from} fails the lint`, async () => {
    assert.deepEqual(await reported(at, from), [rule]);
  });
}

const allowed: [string, string, string][] = [
  ['a domain imports a lower domain', 'src/task2vec/new.ts', '../probes/index.js'],
  ['the CLI starts the API through its index', 'src/cli/commands/new.ts', '../../api/index.js'],
  ['the CLI reads the wire types', 'src/cli/commands/new.ts', '../../api/schema.js'],
  ['the store imports knex', 'src/store/new.ts', 'knex'],
  ['services hold the database handle', 'src/services/new.ts', 'knex'],
  ['the API calls services', 'src/api/routes/new.ts', '../../services/index.js'],
  ['the CLI calls services', 'src/cli/commands/new.ts', '../../services/index.js'],
  ['the CLI formats with presenters', 'src/cli/commands/new.ts', '../../presenters/evidence.js'],
  ['presenters shape the wire types', 'src/presenters/new.ts', '../api/schema.js'],
  ['tests import anything', 'test/new.test.ts', '../src/store/index.js'],
];

for (const [title, at, from] of allowed) {
  test(`${title}: ${at} importing ${from} passes the lint`, async () => {
    assert.deepEqual(await reported(at, from), []);
  });
}

test('an import that does not resolve fails the lint, so no boundary passes by not being resolved', async () => {
  assert.deepEqual(await reported('src/ranking/new.ts', '../store/nowhere.js'), ['import-x/no-unresolved']);
});

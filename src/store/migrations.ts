import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Knex } from 'knex';

// Resolves to <root>/migrations from src/store (tsx) and to <root>/dist/migrations from dist/src/store (compiled).
const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Lists migrations by name so that knex records the same names whether they ran as .ts or compiled .js. */
class FolderMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return readdirSync(MIGRATIONS_DIR)
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .map((f) => f.replace(/\.(ts|js)$/, ''))
      .sort();
  }

  getMigrationName(name: string): string {
    return name;
  }

  async getMigration(name: string): Promise<Migration> {
    const file = readdirSync(MIGRATIONS_DIR).find((f) => f === `${name}.ts` || f === `${name}.js`);
    if (!file) throw new Error(`migration ${name} not found in ${MIGRATIONS_DIR}`);
    return (await import(pathToFileURL(join(MIGRATIONS_DIR, file)).href)) as Migration;
  }
}

export async function migrateToLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource: new FolderMigrationSource() })) as [
    number,
    string[],
  ];
  return applied;
}

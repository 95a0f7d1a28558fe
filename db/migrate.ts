// Applies the numbered, forward-only SQL files in db/migrations, in order, exactly once each.
// Everything runs in one transaction behind an advisory lock, so two processes starting together
// cannot both apply a migration, and a failing migration leaves the database as it was.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Sql } from './client.ts';

const migrationsDirectory = fileURLToPath(new URL('./migrations/', import.meta.url));
const migrationFilePattern = /^(\d{4})_[a-z0-9_]+\.sql$/;
/** An arbitrary constant that names this lock among the database's advisory locks. */
const migrationLockId = 724_130_001;

export interface Migration {
  version: number;
  name: string;
  text: string;
}

/** Reads the migration files in version order; refuses gaps and duplicates in the numbering. */
export async function readMigrations(directory = migrationsDirectory): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const match = migrationFilePattern.exec(name);
    if (match === null) throw new Error(`migration file name ${name} must look like 0001_short_name.sql`);
    const version = Number(match[1]);
    if (version !== migrations.length + 1) throw new Error(`migration ${name} is out of sequence`);
    migrations.push({ version, name, text: await readFile(path.join(directory, name), 'utf8') });
  }
  return migrations;
}

export interface MigrateResult {
  applied: string[];
}

/** Brings the database schema up to date; a no-op when it already is. */
export async function migrate(sql: Sql): Promise<MigrateResult> {
  const migrations = await readMigrations();
  const applied: string[] = [];
  await sql.begin(async (transaction) => {
    await transaction`select pg_advisory_xact_lock(${migrationLockId})`;
    await transaction`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const rows = await transaction<{ version: number }[]>`select version from schema_migrations`;
    const done = new Set(rows.map((row) => row.version));
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      // Migration files are part of the code base, never user input, so running them as text is safe.
      await transaction.unsafe(migration.text);
      await transaction`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`;
      applied.push(migration.name);
    }
  });
  return { applied };
}

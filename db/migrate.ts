// Applies the numbered, forward-only SQL files in db/migrations, in order, exactly once each.
// Everything runs in one transaction behind an advisory lock, so two processes starting together
// cannot both apply a migration, and a failing migration leaves the database as it was.
//
// A migration is history: once applied somewhere, its file must never change, because the databases
// that ran the earlier text would silently keep it. So each applied migration is recorded with the
// SHA-256 of its file, and the migrator refuses to start on a database whose record does not match
// the files, or that has applied migrations the files do not have (a database ahead of this code).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Sql, TransactionSql } from './client.ts';

const migrationsDirectory = fileURLToPath(new URL('./migrations/', import.meta.url));
const migrationFilePattern = /^(\d{4})_[a-z0-9_]+\.sql$/;
/** An arbitrary constant that names this lock among the database's advisory locks. */
const migrationLockId = 724_130_001;
/** How many hex digits of a checksum a refusal shows: enough to tell two files apart at a glance. */
const shownChecksumLength = 12;

export interface Migration {
  version: number;
  name: string;
  text: string;
  /** The SHA-256 of the file's bytes, in hex. */
  checksum: string;
}

/** The one-line reason the migrator would not touch a database; callers print its message alone. */
export class MigrationRefused extends Error {
  override name = 'MigrationRefused';
}

/** The SHA-256 of some bytes, in lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
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
    const bytes = await readFile(path.join(directory, name));
    migrations.push({ version, name, text: bytes.toString('utf8'), checksum: sha256Hex(bytes) });
  }
  return migrations;
}

export interface MigrateResult {
  applied: string[];
}

/**
 * Brings the database schema up to date; a no-op when it already is. Throws MigrationRefused, having
 * changed nothing, when the database's record does not match the files in `directory`.
 */
export async function migrate(sql: Sql, directory = migrationsDirectory): Promise<MigrateResult> {
  const migrations = await readMigrations(directory);
  const applied: string[] = [];
  await sql.begin(async (transaction) => {
    await transaction`select pg_advisory_xact_lock(${migrationLockId})`;
    const recorded = await readRecordedMigrations(transaction);
    refuseUnknownMigrations(recorded, migrations);
    refuseChangedMigrations(recorded, migrations);
    await recordMissingChecksums(transaction, recorded, migrations);
    const done = new Set(recorded.map((row) => row.version));
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      // Migration files are part of the code base, never user input, so running them as text is safe.
      await transaction.unsafe(migration.text);
      await transaction`
        insert into schema_migrations (version, name, checksum)
        values (${migration.version}, ${migration.name}, ${migration.checksum})`;
      applied.push(migration.name);
    }
  });
  return { applied };
}

interface RecordedMigration {
  version: number;
  name: string;
  /** Null on rows written before checksums were recorded. */
  checksum: string | null;
}

/** Creates or upgrades the migrator's own table, then reads what it says was applied. */
async function readRecordedMigrations(transaction: TransactionSql): Promise<RecordedMigration[]> {
  await transaction`
    create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now(),
      checksum text check (checksum ~ '^[0-9a-f]{64}$')
    )`;
  // Tables created before checksums were recorded lack the column. It comes last in both cases, so an
  // upgraded table and a new one look the same. It stays nullable only because those older rows
  // have no checksum until recordMissingChecksums fills it in, in this same transaction.
  await transaction`alter table schema_migrations add column if not exists checksum text check (checksum ~ '^[0-9a-f]{64}$')`;
  return transaction<RecordedMigration[]>`select version, name, checksum from schema_migrations order by version`;
}

/** Refuses a database that has applied migrations these files do not have: it is ahead of this code. */
function refuseUnknownMigrations(recorded: RecordedMigration[], migrations: Migration[]): void {
  const known = new Set(migrations.map((migration) => migration.version));
  const unknown = recorded.filter((row) => !known.has(row.version));
  if (unknown.length === 0) return;
  const names = unknown.map((row) => `${row.name} (version ${row.version})`).join(', ');
  const newest = migrations.at(-1)?.name ?? 'none';
  throw new MigrationRefused(
    `the database is ahead of this code: it has applied ${names}, which db/migrations does not have (its newest is ${newest}); run the code that added them`,
  );
}

/** Refuses a database on which a migration was applied whose file has changed since. */
function refuseChangedMigrations(recorded: RecordedMigration[], migrations: Migration[]): void {
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const changed = recorded.filter((row) => row.checksum !== null && row.checksum !== byVersion.get(row.version)?.checksum);
  const first = changed[0];
  if (first === undefined) return;
  const file = byVersion.get(first.version)!;
  const others = changed.slice(1).map((row) => byVersion.get(row.version)!.name);
  const alsoChanged = others.length === 0 ? '' : `; also changed: ${others.join(', ')}`;
  throw new MigrationRefused(
    `migration ${file.name} was changed after it was applied (recorded sha256 ${shortChecksum(first.checksum!)}, ` +
      `file ${shortChecksum(file.checksum)})${alsoChanged}; schema changes go in a new numbered file`,
  );
}

function shortChecksum(checksum: string): string {
  return `${checksum.slice(0, shownChecksumLength)}…`;
}

/** Records the checksum of every migration applied before checksums were recorded. */
async function recordMissingChecksums(
  transaction: TransactionSql,
  recorded: RecordedMigration[],
  migrations: Migration[],
): Promise<void> {
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  for (const row of recorded) {
    if (row.checksum !== null) continue;
    // What text such a database ran is not known, so the current file's checksum is recorded: from
    // here on, a change to the file is noticed. The files edited after landing (0001 and 0004) are
    // restated by 0005, so a database that ran their earlier text still ends at the current schema.
    await transaction`
      update schema_migrations set checksum = ${byVersion.get(row.version)!.checksum}
      where version = ${row.version} and checksum is null`;
  }
}

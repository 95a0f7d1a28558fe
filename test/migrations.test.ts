// Migrations are history: the migrator records each file's SHA-256 when it applies it, refuses a
// database whose record does not match the files or that is ahead of them, and a database built by
// any earlier commit of main ends, once migrated, with the schema of a new database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { migrate, MigrationRefused, readMigrations, sha256Hex, type Migration } from '../db/migrate.ts';
import { repositoryRoot } from '../dev/tools.ts';
import { createEmptyTestDatabase, createTestDatabase, type TestDatabase } from './support/database.ts';
import { nodeArgumentsFor } from './support/environment.ts';
import {
  describeSchema,
  migrateAsBeforeChecksums,
  readLandedStates,
  recordedMigrations,
  type LandedState,
} from './support/migrations.ts';

/** The databases a test made; all are closed at the end. */
const databases: TestDatabase[] = [];
let currentMigrations: Migration[];
let states: LandedState[];
let freshSchema: string[];

async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createEmptyTestDatabase(2);
  databases.push(database);
  return database;
}

async function migratedDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase(2);
  databases.push(database);
  return database;
}

/** A database that the migrator of the time migrated at each of `history`'s commits, in order. */
async function databaseMigratedAt(history: LandedState[]): Promise<TestDatabase> {
  const database = await emptyDatabase();
  for (const state of history) await migrateAsBeforeChecksums(database.sql, state.migrations);
  return database;
}

function landedState(commit: string): LandedState {
  const state = states.find((candidate) => candidate.commit === commit);
  assert.ok(state, `no landed state ${commit} in states.json`);
  return state;
}

/** Every ordered choice of the states a database could have been migrated at: each subset, oldest first. */
function histories(all: LandedState[]): LandedState[][] {
  const chosen: LandedState[][] = [];
  for (let mask = 1; mask < 1 << all.length; mask++) chosen.push(all.filter((_, index) => (mask & (1 << index)) !== 0));
  return chosen;
}

before(async () => {
  currentMigrations = await readMigrations();
  states = await readLandedStates();
  freshSchema = await describeSchema((await migratedDatabase()).sql);
});
after(async () => {
  for (const database of databases) await database.close();
});

test('a new database gets every migration with its checksum, and a second run applies nothing', async () => {
  const database = await emptyDatabase();
  const first = await migrate(database.sql);
  assert.deepEqual(first.applied, currentMigrations.map((migration) => migration.name));
  const second = await migrate(database.sql);
  assert.deepEqual(second.applied, []);
  // Each checksum is the SHA-256 of the file's bytes, computed here independently of the migrator.
  const expected = [];
  for (const { version, name } of currentMigrations) {
    const bytes = await readFile(path.join(repositoryRoot, 'db/migrations', name));
    expected.push({ version, name, checksum: createHash('sha256').update(bytes).digest('hex') });
  }
  assert.deepEqual(await recordedMigrations(database.sql), expected);
});

test('a database on which a migration was applied with other content is refused, naming the file, and nothing changes', async () => {
  // Built at 686c82c, so 0005 is pending and no checksum is recorded yet; then 0003 is marked as
  // applied with other content. The refusal must come before 0005 runs or any checksum is filled in.
  const database = await databaseMigratedAt([landedState('686c82c')]);
  await database.sql`alter table schema_migrations add column checksum text`;
  const otherChecksum = sha256Hex(Buffer.from('-- 0003 as someone once edited it\n'));
  await database.sql`update schema_migrations set checksum = ${otherChecksum} where version = 3`;
  const schemaBefore = await describeSchema(database.sql);
  const recordedBefore = await recordedMigrations(database.sql);

  const invoices = currentMigrations.find((migration) => migration.version === 3)!;
  await assert.rejects(migrate(database.sql), (error: unknown) => {
    assert.ok(error instanceof MigrationRefused, `not a MigrationRefused: ${String(error)}`);
    assert.equal(
      error.message,
      `migration 0003_invoices.sql was changed after it was applied (recorded sha256 ${otherChecksum.slice(0, 12)}…, ` +
        `file ${invoices.checksum.slice(0, 12)}…); schema changes go in a new numbered file`,
    );
    return true;
  });
  assert.deepEqual(await describeSchema(database.sql), schemaBefore);
  assert.deepEqual(await recordedMigrations(database.sql), recordedBefore);
});

test('a database that has applied a migration this code does not have is refused as ahead of the code', async () => {
  const database = await migratedDatabase();
  await database.sql`
    insert into schema_migrations (version, name, checksum)
    values (9999, '9999_from_newer_code.sql', ${sha256Hex(Buffer.from('newer'))})`;
  const newest = currentMigrations.at(-1)!.name;
  await assert.rejects(migrate(database.sql), (error: unknown) => {
    assert.ok(error instanceof MigrationRefused, `not a MigrationRefused: ${String(error)}`);
    assert.equal(
      error.message,
      `the database is ahead of this code: it has applied 9999_from_newer_code.sql (version 9999), ` +
        `which db/migrations does not have (its newest is ${newest}); run the code that added them`,
    );
    return true;
  });
});

test("a migration recorded before checksums existed gets the current file's checksum and is not refused", async () => {
  const database = await migratedDatabase();
  await database.sql`update schema_migrations set checksum = null where version = 2`;
  assert.deepEqual((await migrate(database.sql)).applied, []);
  const row = (await recordedMigrations(database.sql)).find((recorded) => recorded.version === 2);
  assert.equal(row?.checksum, currentMigrations[1]!.checksum);
});

test('the newest landed state is db/migrations 0001-0004 byte for byte, so the fixtures are the real history', async () => {
  const newest = states.at(-1)!;
  assert.deepEqual(
    newest.migrations.map((migration) => migration.name),
    currentMigrations.slice(0, newest.migrations.length).map((migration) => migration.name),
  );
  for (const migration of newest.migrations) {
    const current = currentMigrations[migration.version - 1]!;
    assert.equal(migration.text, current.text, `${migration.name} differs from the fixture of ${newest.commit}`);
  }
});

test('whichever commits of main migrated a database, in order, the current migrations bring it to the schema of a new database', async (context) => {
  for (const history of histories(states)) {
    const commits = history.map((state) => state.commit).join(' → ');
    await context.test(`migrated at ${commits}`, async () => {
      const database = await databaseMigratedAt(history);
      const result = await migrate(database.sql);
      const recordedBefore = new Set(history.flatMap((state) => state.migrations.map((migration) => migration.name)));
      assert.deepEqual(
        result.applied,
        currentMigrations.map((migration) => migration.name).filter((name) => !recordedBefore.has(name)),
      );
      assert.deepEqual(await describeSchema(database.sql), freshSchema);
      assert.deepEqual(
        await recordedMigrations(database.sql),
        currentMigrations.map(({ version, name, checksum }) => ({ version, name, checksum })),
      );
    });
  }
});

test('0005 changes nothing on a database built from the current 0001-0004: it restates them exactly', async () => {
  // A new database also runs 0005, so comparing with one would not notice 0005 redefining something
  // differently from 0001 or 0004; comparing a database that ran 0001-0004 with one that ran 0001-0005
  // does. Each is built from a directory of just those files, so later migrations stay out of it.
  const withoutRestatement = await databaseMigratedFrom(currentMigrations.filter((migration) => migration.version <= 4));
  const withRestatement = await databaseMigratedFrom(currentMigrations.filter((migration) => migration.version <= 5));
  assert.deepEqual(await describeSchema(withRestatement.sql), await describeSchema(withoutRestatement.sql));
});

/** A new database migrated by the current migrator from a directory holding only `migrations`. */
async function databaseMigratedFrom(migrations: Migration[]): Promise<TestDatabase> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'refill-migrations-'));
  try {
    for (const migration of migrations) await writeFile(path.join(directory, migration.name), migration.text);
    const database = await emptyDatabase();
    await migrate(database.sql, directory);
    return database;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the repository's entry points to its end, with only `environment` (and PATH, HOME) set. */
function runEntryPoint(entryPoint: string, environment: Record<string, string>): Promise<CommandResult> {
  const child = spawn(process.execPath, nodeArgumentsFor(entryPoint), {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

test('npm run migrate migrates DATABASE_URL alone, then finds it up to date', async () => {
  const database = await emptyDatabase();
  const first = await runEntryPoint('scripts/migrate.ts', { DATABASE_URL: database.url });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, `applied ${currentMigrations.map((migration) => migration.name).join(', ')}\n`);
  const second = await runEntryPoint('scripts/migrate.ts', { DATABASE_URL: database.url });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'schema is up to date\n');
});

test('npm run migrate prints a refusal as its one line and exits with code 1', async () => {
  const database = await migratedDatabase();
  const file = currentMigrations[0]!;
  await database.sql`update schema_migrations set checksum = ${sha256Hex(Buffer.from('other'))} where version = 1`;
  const result = await runEntryPoint('scripts/migrate.ts', { DATABASE_URL: database.url });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, new RegExp(`^migration ${file.name} was changed after it was applied \\(.*\\n$`));
});

test('npm run migrate without DATABASE_URL says so in one line', async () => {
  const result = await runEntryPoint('scripts/migrate.ts', {});
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'Invalid configuration: DATABASE_URL must be set\n');
});

test('the API process stops on a refused database with the refusal as its one line and exit code 1', async () => {
  const database = await migratedDatabase();
  await database.sql`insert into schema_migrations (version, name, checksum) values (9999, '9999_from_newer_code.sql', null)`;
  const result = await runEntryPoint('api/main.ts', {
    DATABASE_URL: database.url,
    ADMIN_TOKEN: 'migrations-test-admin-token',
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^the database is ahead of this code: it has applied 9999_from_newer_code\.sql \(version 9999\), [^\n]*\n$/);
});

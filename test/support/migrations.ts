// For the migration tests: the states db/migrations has been in on main (from the fixtures, not from
// git, which a fresh clone in CI may not have in full), the migrator as it was before checksums, and a
// description of a database's schema that two databases can be compared by.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Sql } from '../../db/client.ts';

const landedDirectory = fileURLToPath(new URL('../fixtures/migrations-first-landed/', import.meta.url));
/** The advisory lock id the migrator has always used. */
const migrationLockId = 724_130_001;

export interface LandedMigration {
  version: number;
  name: string;
  text: string;
}

/** The migration files of db/migrations as they were at one commit of main. */
export interface LandedState {
  commit: string;
  migrations: LandedMigration[];
}

interface StatesFile {
  states: { commit: string; files: string[] }[];
}

/** Every state db/migrations was in on main before checksums were recorded, oldest first. */
export async function readLandedStates(): Promise<LandedState[]> {
  const manifest = JSON.parse(await readFile(path.join(landedDirectory, 'states.json'), 'utf8')) as StatesFile;
  const states: LandedState[] = [];
  for (const state of manifest.states) {
    const migrations: LandedMigration[] = [];
    for (const file of state.files) {
      const name = path.basename(file);
      const text = await readFile(path.join(landedDirectory, file), 'utf8');
      migrations.push({ version: Number(name.slice(0, 4)), name, text });
    }
    states.push({ commit: state.commit, migrations });
  }
  return states;
}

/**
 * Migrates the way db/migrate.ts did from 9b0e556 until checksums were recorded: a table of version
 * numbers and names, and each file whose version is not in it applied once, as it was at the time.
 */
export async function migrateAsBeforeChecksums(sql: Sql, migrations: LandedMigration[]): Promise<void> {
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
      await transaction.unsafe(migration.text);
      await transaction`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`;
    }
  });
}

export interface RecordedMigration {
  version: number;
  name: string;
  checksum: string | null;
}

/** What schema_migrations says was applied, by version. */
export async function recordedMigrations(sql: Sql): Promise<RecordedMigration[]> {
  const rows = await sql<RecordedMigration[]>`select version, name, checksum from schema_migrations order by version`;
  return rows.map(({ version, name, checksum }) => ({ version, name, checksum }));
}

/**
 * The public schema as sorted lines, one per object with its full definition: relations, columns
 * (position, type, default, nullability, identity), constraints, indexes, functions, triggers,
 * sequences, types and comments. Two databases with equal descriptions have the same schema.
 */
export async function describeSchema(sql: Sql): Promise<string[]> {
  const parts = await Promise.all([
    describeRelations(sql),
    describeColumns(sql),
    describeConstraints(sql),
    describeIndexes(sql),
    describeFunctions(sql),
    describeTriggers(sql),
    describeSequences(sql),
    describeTypes(sql),
  ]);
  return parts.flat().sort();
}

type Lines = { line: string }[];

async function describeRelations(sql: Sql): Promise<string[]> {
  const rows = await sql<Lines>`
    select format('relation %s kind %s persistence %s row security %s%s%s', c.relname, c.relkind, c.relpersistence,
                  c.relrowsecurity, coalesce(' view ' || pg_get_viewdef(c.oid), ''),
                  coalesce(' comment ' || obj_description(c.oid, 'pg_class'), '')) as line
    from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')`;
  return rows.map((row) => row.line);
}

async function describeColumns(sql: Sql): Promise<string[]> {
  const rows = await sql<Lines>`
    select format('column %s.%s position %s type %s%s%s%s%s%s', c.relname, a.attname,
                  row_number() over (partition by c.oid order by a.attnum), format_type(a.atttypid, a.atttypmod),
                  case when a.attnotnull then ' not null' else '' end,
                  coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''),
                  case when a.attidentity <> '' then ' identity ' || a.attidentity::text else '' end,
                  case when a.attgenerated <> '' then ' generated ' || a.attgenerated::text else '' end,
                  coalesce(' comment ' || col_description(c.oid, a.attnum), '')) as line
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
      and a.attnum > 0 and not a.attisdropped`;
  return rows.map((row) => row.line);
}

async function describeConstraints(sql: Sql): Promise<string[]> {
  const rows = await sql<Lines>`
    select format('constraint %s.%s %s validated %s%s', con.conrelid::regclass, con.conname,
                  pg_get_constraintdef(con.oid), con.convalidated,
                  coalesce(' comment ' || obj_description(con.oid, 'pg_constraint'), '')) as line
    from pg_constraint con
    where con.connamespace = 'public'::regnamespace`;
  return rows.map((row) => row.line);
}

async function describeIndexes(sql: Sql): Promise<string[]> {
  const rows = await sql<Lines>`
    select format('index %s', indexdef) as line from pg_indexes where schemaname = 'public'`;
  return rows.map((row) => row.line);
}

async function describeFunctions(sql: Sql): Promise<string[]> {
  const rows = await sql<Lines>`
    select format('function %s(%s) %s acl %s%s', p.proname, pg_get_function_identity_arguments(p.oid),
                  case when p.prokind = 'a' then 'aggregate' else pg_get_functiondef(p.oid) end,
                  coalesce(p.proacl::text, 'default'),
                  coalesce(' comment ' || obj_description(p.oid, 'pg_proc'), '')) as line
    from pg_proc p
    where p.pronamespace = 'public'::regnamespace`;
  return rows.map((row) => row.line);
}

async function describeTriggers(sql: Sql): Promise<string[]> {
  const rows = await sql<Lines>`
    select format('trigger %s enabled %s', pg_get_triggerdef(t.oid), t.tgenabled) as line
    from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    where c.relnamespace = 'public'::regnamespace and not t.tgisinternal`;
  return rows.map((row) => row.line);
}

async function describeSequences(sql: Sql): Promise<string[]> {
  const rows = await sql<Lines>`
    select format('sequence %s type %s start %s minimum %s maximum %s increment %s cycle %s cache %s owned by %s',
                  s.sequencename, s.data_type, s.start_value, s.min_value, s.max_value, s.increment_by, s.cycle,
                  s.cache_size, coalesce(owner.column_name, 'nothing')) as line
    from pg_sequences s
    left join lateral (
      select d.refobjid::regclass || '.' || a.attname as column_name
      from pg_depend d
      join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
      where d.classid = 'pg_class'::regclass and d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
        and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
    ) as owner on true
    where s.schemaname = 'public'`;
  return rows.map((row) => row.line);
}

async function describeTypes(sql: Sql): Promise<string[]> {
  // Enums, domains and free-standing composite types; a table's row type is described by its columns.
  const rows = await sql<Lines>`
    select format('type %s kind %s %s', t.typname, t.typtype,
                  case t.typtype
                    when 'e' then (select string_agg(e.enumlabel, ', ' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid)
                    when 'd' then format_type(t.typbasetype, t.typtypmod)
                    else ''
                  end) as line
    from pg_type t
    left join pg_class c on c.oid = t.typrelid
    where t.typnamespace = 'public'::regnamespace and (t.typtype in ('e', 'd') or (t.typtype = 'c' and c.relkind = 'c'))`;
  return rows.map((row) => row.line);
}

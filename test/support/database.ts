// A fresh, migrated database per test file, on the throwaway server scripts/test.ts started, copied
// from the migrated template database it made.
import postgres from 'postgres';
import { randomToken } from '../../ids/ids.ts';
import { closeSql, createSql, type Sql } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';
import { testDatabaseUrl, testTemplateDatabase } from './environment.ts';

export interface TestDatabase {
  url: string;
  sql: Sql;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database: a copy of the one scripts/test.ts migrated for the run (the same
 * migrate(), once instead of once a database), or migrated here when a file runs without it.
 */
export async function createTestDatabase(poolSize = 10): Promise<TestDatabase> {
  const template = testTemplateDatabase();
  if (template !== undefined) return createDatabase(poolSize, template);
  const database = await createDatabase(poolSize, null);
  await migrate(database.sql);
  return database;
}

/** A fresh database with nothing in it, for tests that build a schema their own way. */
export function createEmptyTestDatabase(poolSize = 10): Promise<TestDatabase> {
  return createDatabase(poolSize, null);
}

/** A new database on the test server, empty or a copy of `template` (a database nobody is connected to). */
async function createDatabase(poolSize: number, template: string | null): Promise<TestDatabase> {
  const name = `refill_test_${randomToken(12)}`;
  const administrator = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
  await administrator.unsafe(template === null ? `create database ${name}` : `create database ${name} template ${template}`);
  await administrator.end();
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  const sql = createSql({ url: url.toString(), poolSize, applicationName: 'refill-test' });
  return { url: url.toString(), sql, close: () => closeSql(sql) };
}

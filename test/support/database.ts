// A fresh, migrated database per test file, on the throwaway server scripts/test.ts started.
import postgres from 'postgres';
import { randomToken } from '../../ids/ids.ts';
import { closeSql, createSql, type Sql } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';
import { testDatabaseUrl } from './environment.ts';

export interface TestDatabase {
  url: string;
  sql: Sql;
  close(): Promise<void>;
}

/** A fresh, migrated database. */
export async function createTestDatabase(poolSize = 10): Promise<TestDatabase> {
  const database = await createEmptyTestDatabase(poolSize);
  await migrate(database.sql);
  return database;
}

/** A fresh database with nothing in it, for tests that build a schema their own way. */
export async function createEmptyTestDatabase(poolSize = 10): Promise<TestDatabase> {
  const name = `refill_test_${randomToken(12)}`;
  const administrator = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
  await administrator.unsafe(`create database ${name}`);
  await administrator.end();
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  const sql = createSql({ url: url.toString(), poolSize, applicationName: 'refill-test' });
  return { url: url.toString(), sql, close: () => closeSql(sql) };
}

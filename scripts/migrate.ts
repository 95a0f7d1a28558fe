// `npm run migrate`: applies pending migrations to DATABASE_URL and exits. It needs nothing but
// DATABASE_URL, so it runs before the rest of the configuration exists (the compose `migrate` job).
// A database the migrator refuses (an edited migration, or a database ahead of this code) ends it
// with that one line and exit code 1.
import { closeSql, createSql } from '../db/client.ts';
import { migrate, MigrationRefused } from '../db/migrate.ts';

async function main(databaseUrl: string | undefined): Promise<number> {
  if (databaseUrl === undefined || databaseUrl === '') {
    console.error('Invalid configuration: DATABASE_URL must be set');
    return 2;
  }
  const sql = createSql({ url: databaseUrl, poolSize: 1, applicationName: 'refill-migrate' });
  try {
    const result = await migrate(sql);
    console.log(result.applied.length === 0 ? 'schema is up to date' : `applied ${result.applied.join(', ')}`);
    return 0;
  } catch (error) {
    if (!(error instanceof MigrationRefused)) throw error;
    console.error(error.message);
    return 1;
  } finally {
    await closeSql(sql);
  }
}

process.exitCode = await main(process.env.DATABASE_URL);

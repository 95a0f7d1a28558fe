// `npm run migrate`: applies pending migrations to DATABASE_URL and exits.
import { loadConfig } from '../config/config.ts';
import { closeSql, createSql } from './client.ts';
import { migrate } from './migrate.ts';

const config = loadConfig({ ADMIN_TOKEN: 'unused-by-migrations', ...process.env });
const sql = createSql({ url: config.database.url, poolSize: 1, applicationName: 'refill-migrate' });
try {
  const result = await migrate(sql);
  console.log(result.applied.length === 0 ? 'schema is up to date' : `applied ${result.applied.join(', ')}`);
} finally {
  await closeSql(sql);
}

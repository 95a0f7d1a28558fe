// What both processes do first: read the configuration (a bad one ends the process with one line
// naming the variable) and bring the database schema up to date.
import { closeSql, createSql, type Sql } from '../db/client.ts';
import { migrate, MigrationRefused } from '../db/migrate.ts';
import { PricingConfigError } from '../domain/pricing.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';

/** Runs `read` (which loads configuration); on a configuration error, prints its one line and exits with code 2. */
export function readConfigurationOrExit<Value>(read: () => Value): Value {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PricingConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

export interface ProcessFoundation {
  config: Config;
  logger: Logger;
  sql: Sql;
}

/** The configuration from the environment, a logger, and a migrated database pool, for a process called `name`. */
export async function startProcessFoundation(name: string): Promise<ProcessFoundation> {
  const config = readConfigurationOrExit(() => loadConfig(process.env));
  const logger = createLogger(name, config.logLevel);
  const sql = createSql({ url: config.database.url, poolSize: config.database.poolSize, applicationName: name });
  try {
    const migration = await migrate(sql);
    if (migration.applied.length > 0) logger.info({ applied: migration.applied }, 'database migrated');
  } catch (error) {
    await closeSql(sql);
    // A refused database (an edited migration, or one ahead of this code) is for an operator to fix:
    // its one line says what, and a stack trace would only bury it.
    if (error instanceof MigrationRefused) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  return { config, logger, sql };
}

// What both processes do first: read the configuration (a bad one ends the process with one line
// naming the variable), wait for PostgreSQL with bounded backoff (saying so), and bring the database
// schema up to date.
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

/** The first wait between tries, doubling up to the longest: a dependency that is starting is found within a second or two. */
const firstRetryDelayMilliseconds = 250;
const longestRetryDelayMilliseconds = 5_000;

/** Thrown by waitForDependency when its deadline passed; its message is the one line an operator reads. */
export class DependencyUnavailable extends Error {
  override name = 'DependencyUnavailable';
}

export interface WaitOptions {
  /** What is waited for, as an operator would name it: "PostgreSQL at db:5432". */
  description: string;
  timeoutSeconds: number;
  logger: Logger;
  /** Errors that waiting cannot mend (a wrong password): thrown at once. */
  isPermanent?: (error: unknown) => boolean;
}

/** A short, secret-free description of why a try failed. */
function describeError(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message.split('\n')[0]!.slice(0, 300) : String(error);
  return typeof code === 'string' || typeof code === 'number' ? `${code}: ${text}` : text;
}

/**
 * Tries `attempt` until it succeeds, waiting between tries with bounded exponential backoff and saying
 * what it waits for; throws DependencyUnavailable (one line) once `timeoutSeconds` have passed.
 */
export async function waitForDependency<Result>(attempt: () => Promise<Result>, options: WaitOptions): Promise<Result> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let delay = firstRetryDelayMilliseconds;
  for (let tries = 1; ; tries += 1) {
    try {
      const result = await attempt();
      if (tries > 1) options.logger.info({ dependency: options.description, tries }, `${options.description} is available`);
      return result;
    } catch (error) {
      if (options.isPermanent?.(error) === true) throw error;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new DependencyUnavailable(
          `${options.description} did not become available within ${options.timeoutSeconds} s (STARTUP_TIMEOUT_SECONDS); last error: ${describeError(error)}`,
        );
      }
      const wait = Math.min(delay, remaining);
      options.logger.warn({ dependency: options.description, tries, retryInMilliseconds: wait, reason: describeError(error) }, `waiting for ${options.description}`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      delay = Math.min(delay * 2, longestRetryDelayMilliseconds);
    }
  }
}

/** Runs a start-up wait; when it gives up, prints its one line and exits with code 1. */
export async function waitForDependencyOrExit<Result>(attempt: () => Promise<Result>, options: WaitOptions): Promise<Result> {
  try {
    return await waitForDependency(attempt, options);
  } catch (error) {
    if (!(error instanceof DependencyUnavailable)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

/** SQLSTATE classes waiting cannot mend: 28 invalid authorization (a wrong password), 3D no such database. */
function isPermanentConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

/** Where the database is, for log lines: host and port only, never the credentials. */
function databaseLocation(url: string): string {
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}`;
  } catch {
    return 'PostgreSQL';
  }
}

/**
 * Waits until PostgreSQL answers a query: it may still be starting (SQLSTATE 57P03, or refusing
 * connections), as it is when a whole deployment starts at once. A wrong password or database name
 * is reported at once, with its one line.
 */
export async function waitForPostgres(sql: Sql, url: string, timeoutSeconds: number, logger: Logger): Promise<void> {
  const description = databaseLocation(url);
  try {
    await waitForDependencyOrExit(() => sql`select 1`, { description, timeoutSeconds, logger, isPermanent: isPermanentConnectionError });
  } catch (error) {
    if (!isPermanentConnectionError(error)) throw error;
    console.error(`${description} refused the connection: ${describeError(error)}`);
    process.exit(1);
  }
}

/** The configuration from the environment, a logger, and a migrated database pool, for a process called `name`. */
export async function startProcessFoundation(name: string): Promise<ProcessFoundation> {
  const config = readConfigurationOrExit(() => loadConfig(process.env));
  const logger = createLogger(name, config.logLevel);
  const sql = createSql({ url: config.database.url, poolSize: config.database.poolSize, applicationName: name });
  await waitForPostgres(sql, config.database.url, config.startup.timeoutSeconds, logger);
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

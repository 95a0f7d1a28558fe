// The one way the processes connect to Postgres: a postgres.js pool with bigint columns read as bigint.
import postgres from 'postgres';

export type Sql = postgres.Sql<{ bigint: bigint }>;
export type TransactionSql = postgres.TransactionSql<{ bigint: bigint }>;

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  applicationName: string;
}

/** Opens a connection pool; money columns are bigint and stay bigint (never a lossy JS number). */
export function createSql(options: DatabaseOptions): Sql {
  return postgres(options.url, {
    max: options.poolSize,
    types: { bigint: postgres.BigInt },
    // A server that does not answer within this time is reported as down instead of hanging a request;
    // below the database activities' 10 s start-to-close timeout, so an attempt fails with this error.
    connect_timeout: 5,
    idle_timeout: 60,
    connection: { application_name: options.applicationName },
    onnotice: () => {},
  }) as Sql;
}

/** Closes the pool, giving running queries a bounded time to finish. */
export async function closeSql(sql: Sql, timeoutSeconds = 5): Promise<void> {
  await sql.end({ timeout: timeoutSeconds });
}

/** Either the pool or an open transaction: operations that take it can join a caller's transaction. */
export type Queryable = Sql | TransactionSql;

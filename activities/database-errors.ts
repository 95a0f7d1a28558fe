// The one place that decides which PostgreSQL errors an activity retries. An error a retry cannot
// change (a value PostgreSQL refuses, a constraint, a statement that does not fit the schema) becomes
// a named, non-retryable failure at once, so the workflow records the reason and a person is told,
// instead of the activity retrying for an hour. Everything else (connections lost or refused, the
// server starting or shutting down, deadlocks and serialization failures, a full disk) stays
// retryable: it ends when PostgreSQL comes back.
import postgres from 'postgres';
import { failure } from '../domain/failures.ts';

/**
 * SQLSTATE classes (the first two characters) that no retry of the same statement can pass:
 * 21 cardinality violation, 22 data exception (22021 invalid byte sequence such as a NUL, 22P05
 * untranslatable character, 22001 string too long, 2201x invalid values), 23 integrity constraint
 * violation, 42 syntax error, undefined object or missing privilege, 0A feature not supported,
 * 44 WITH CHECK OPTION violation.
 */
const permanentSqlStateClasses: ReadonlySet<string> = new Set(['0A', '21', '22', '23', '42', '44']);

/** Refill's own codes raised by triggers that guard immutable rows (RF9xx): a bug, never transient. */
const permanentRefillSqlStatePrefix = 'RF9';

/** Whether an error is PostgreSQL refusing a statement for good. */
export function isPermanentDatabaseError(error: unknown): error is postgres.PostgresError {
  if (!(error instanceof postgres.PostgresError) || typeof error.code !== 'string') return false;
  return permanentSqlStateClasses.has(error.code.slice(0, 2)) || error.code.startsWith(permanentRefillSqlStatePrefix);
}

/**
 * The named failure of a permanent database error, or the error itself. The message carries the
 * SQLSTATE and PostgreSQL's message, never its detail line (which can hold the row's values).
 */
export function classifyDatabaseError(error: unknown): unknown {
  if (!isPermanentDatabaseError(error)) return error;
  const type = error.code.startsWith('22') ? 'invalid_data' : 'database_refused';
  return failure(type, `PostgreSQL refused the statement (SQLSTATE ${error.code}): ${error.message}`, error);
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

/** Wraps every activity of a set so that its permanent database errors are thrown as named failures. */
export function withDatabaseErrorsClassified<Activities extends Record<string, AnyActivity>>(activities: Activities): Activities {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw classifyDatabaseError(error);
      }
    };
  }
  return wrapped as Activities;
}

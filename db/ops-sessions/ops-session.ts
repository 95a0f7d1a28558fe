// An ops console session as the console reads it (table ops_sessions, migration 0019).

export interface OpsSession {
  /** Hex SHA-256 of the session secret. */
  id: string;
  operator: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

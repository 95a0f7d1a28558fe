-- Sessions of the ops console (/ops): an operator signs in with their admin token and gets a random
-- session secret in a cookie; only the secret's SHA-256 is stored, so a copy of this table cannot be
-- used to sign in. Written only by the API's ops console (api/ops/ops-sessions.ts, through
-- db/ops-sessions/): a row is created at sign-in and changed once, at sign-out. An expired or signed-out
-- session is refused; rows are kept as a record of who was signed in when.
create table ops_sessions (
  -- Hex SHA-256 of the session secret the cookie carries.
  id text primary key check (id ~ '^[0-9a-f]{64}$'),
  operator text not null check (length(operator) between 1 and 64),
  -- The synchronizer token every form of the session carries; compared in constant time.
  csrf_token text not null check (length(csrf_token) between 32 and 128),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  signed_out_at timestamptz,
  check (expires_at > created_at),
  check (signed_out_at is null or signed_out_at >= created_at)
);
create index ops_sessions_operator on ops_sessions (operator, created_at);

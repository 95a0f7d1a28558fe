#!/usr/bin/env bash
# Creates the application's role and database beside Temporal's, so that a leak of the
# application's credentials exposes the ledger but never Temporal's history, and the reverse.
#
# The postgres image runs this once, on the first start of an empty data volume (it is mounted
# into /docker-entrypoint-initdb.d). On a volume that already holds a cluster, create the role and
# database by hand with the same statements.
set -e

: "${REFILL_DATABASE_PASSWORD:?must be set to the password of the refill role}"

# The password travels as a psql variable and is quoted by psql (:'password'), so no character in
# it can change the statement.
psql --no-psqlrc --set=ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname=postgres \
  --set=password="$REFILL_DATABASE_PASSWORD" <<'SQL'
CREATE ROLE refill LOGIN PASSWORD :'password';
CREATE DATABASE refill OWNER refill;
-- Only the owner (and the superuser) may connect.
REVOKE ALL ON DATABASE refill FROM PUBLIC;
SQL

#!/bin/sh
# Creates Temporal's two databases when missing and updates their schemas to the version shipped
# in this admin-tools image. Every step is idempotent: `create` ignores an existing database,
# `setup-schema` keeps a version already above 0.0, and `update-schema` applies only what is new.
#
# Connection settings come from the environment (SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER,
# SQL_PASSWORD), so the password never appears on a command line.
set -eu

schema_root=/etc/temporal/schema/postgresql/v12

prepare_database() {
  database=$1
  schema_directory=$2
  echo "preparing database ${database}"
  temporal-sql-tool --db "$database" create
  temporal-sql-tool --db "$database" setup-schema -v 0.0
  temporal-sql-tool --db "$database" update-schema -d "${schema_root}/${schema_directory}/versioned"
}

prepare_database temporal temporal
prepare_database temporal_visibility visibility
echo "temporal schemas are up to date"

#!/bin/sh
# Registers the namespace Refill runs in, unless it exists already. Runs after the server's port is
# open, but the frontend may still be joining its cluster, so health is polled for a bounded time.
set -eu

: "${TEMPORAL_ADDRESS:?must be host:port of the Temporal frontend}"
: "${NAMESPACE:?must name the namespace to create}"
: "${NAMESPACE_RETENTION:?must be a duration such as 168h}"

health_attempts_maximum=60
health_interval_seconds=2

# The CLI is given the server's IPv4 address rather than its compose name: name resolution inside
# the CLI has been seen to time out on compose networks where the address works.
host=${TEMPORAL_ADDRESS%:*}
port=${TEMPORAL_ADDRESS##*:}
ip=$(getent ahosts "$host" | awk '$1 ~ /^[0-9.]+$/ { print $1; exit }')
address="${ip:-$host}:${port}"

attempt=1
until temporal operator cluster health --address "$address"; do
  if [ "$attempt" -ge "$health_attempts_maximum" ]; then
    echo "temporal at ${address} did not report healthy after ${health_attempts_maximum} attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep "$health_interval_seconds"
done

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$address" >/dev/null 2>&1; then
  echo "namespace ${NAMESPACE} exists"
  exit 0
fi
temporal operator namespace create --namespace "$NAMESPACE" --retention "$NAMESPACE_RETENTION" --address "$address"
echo "namespace ${NAMESPACE} created"

#!/usr/bin/env bash
# Two instances of the demo, on ports 3001 and 3002, over one PostgreSQL and (unless --no-redis)
# one Redis, so that what one writes the other sees (the invalidation bus) and the rate limit is
# shared. With --no-redis they share PostgreSQL alone: the namespaces live in memory in front of
# the cache table, and the bus over LISTEN/NOTIFY keeps the two memories coherent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--no-redis" ]; then
  export REDIS_URL=""
else
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
fi
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
echo "REDIS_URL=${REDIS_URL:-(none)} DATABASE_URL=$DATABASE_URL"
trap 'kill 0' INT TERM
for port in 3001 3002; do
  PORT=$port INSTANCE_NAME="demo-$port" node -r ts-node/register/transpile-only \
    -r tsconfig-paths/register apps/demo/src/main.ts &
done
wait

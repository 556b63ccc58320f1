#!/usr/bin/env bash
# npm run bench[:<name>] -- [options]: runs infra/bench/<script>.ts after the usual set-up.
# The end-to-end bench gets a private Kafka and PostgreSQL for the run (as the tests do), on
# ports of its own, so it can run beside `npm start`.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
script=$1; shift
"$TIDINGS_ROOT/infra/scripts/setup.sh"

if [ "$script" = end-to-end ]; then
  run_dir="$TIDINGS_LOCAL/bench"
  kafka_port=${TIDINGS_BENCH_KAFKA_PORT:-29092}
  pg_port=${TIDINGS_BENCH_POSTGRES_PORT:-25432}
  cleanup() {
    "$TIDINGS_ROOT/infra/kafka/stop.sh" --dir "$run_dir/kafka" || true
    "$TIDINGS_ROOT/infra/postgres/stop.sh" --dir "$run_dir/postgres" || true
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  log "starting Kafka (:$kafka_port) and PostgreSQL (:$pg_port) for the benchmark"
  "$TIDINGS_ROOT/infra/kafka/start.sh" --port "$kafka_port" --controller-port $((kafka_port + 1)) --dir "$run_dir/kafka" --fresh >/dev/null
  TIDINGS_TEST_DATABASE_URL=$("$TIDINGS_ROOT/infra/postgres/start.sh" --port "$pg_port" --dir "$run_dir/postgres" --fresh | tail -1)
  export TIDINGS_TEST_DATABASE_URL TIDINGS_TEST_KAFKA_BROKERS="localhost:$kafka_port"
  # The bench reports each process' CPU time per scenario, the broker's and the database's too.
  export TIDINGS_BENCH_KAFKA_PIDFILE="$run_dir/kafka/kafka.pid" TIDINGS_BENCH_POSTGRES_PIDFILE="$run_dir/postgres/data/postmaster.pid"
  "$TIDINGS_NODE" --enable-source-maps --disable-warning=TimeoutNegativeWarning "$TIDINGS_ROOT/dist/infra/bench/$script.js" "$@"
  exit $?
fi
exec "$TIDINGS_NODE" --enable-source-maps --disable-warning=TimeoutNegativeWarning "$TIDINGS_ROOT/dist/infra/bench/$script.js" "$@"

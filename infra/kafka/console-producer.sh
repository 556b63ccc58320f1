#!/usr/bin/env bash
# Kafka's console producer (what a Kafka distribution calls kafka-console-producer.sh), run
# from the jars infra/kafka/fetch.sh fetched: for producing a domain event by hand.
#
#   echo 'key|value' | infra/kafka/console-producer.sh --bootstrap-server HOST:PORT --topic T \
#     --property parse.key=true --property key.separator='|'
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
"$TIDINGS_ROOT/infra/kafka/fetch.sh"
exec java -Xmx256m "-Dlog4j2.configurationFile=$TIDINGS_ROOT/infra/kafka/log4j2.properties" \
  -cp "$TIDINGS_LOCAL/kafka/libs/*" org.apache.kafka.tools.ConsoleProducer "$@"

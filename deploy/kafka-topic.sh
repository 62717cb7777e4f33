#!/usr/bin/env bash
# Topic admin for the test broker of deploy/services.sh, with Kafka's own tool.
# Usage: deploy/kafka-topic.sh create NAME PARTITIONS   (no-op if it exists)
#        deploy/kafka-topic.sh delete NAME              (no-op if it is absent)
#        deploy/kafka-topic.sh add-partitions NAME PARTITIONS   (grow it to PARTITIONS)
#        deploy/kafka-topic.sh list | describe NAME
#        deploy/kafka-topic.sh delete-records NAME PARTITION OFFSET   (what retention does:
#          the partition's records before OFFSET are deleted)
# create and delete return once the broker's metadata shows the change, so a
# test can use (or re-create) the topic right away.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BROKER="$WEIR_SERVICES_HOST:$WEIR_KAFKA_PORT"

topic_cmd() {
  [[ -d $KAFKA_HOME/libs ]] || die "no Kafka jars in $KAFKA_HOME: run deploy/services.sh up kafka"
  # Keep the admin client's INFO chatter out of the output.
  java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$KAFKA_HOME/libs/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$BROKER" "$@"
}

# partitions_of NAME: partition count in the broker's metadata (0 if absent).
partitions_of() {
  kcat -b "$BROKER" -L -t "$1" -m 5 2>/dev/null |
    sed -n "s/^ *topic \"$1\" with \([0-9]*\) partitions:.*/\1/p" | grep . || echo 0
}

# await NAME TEST-ON-COUNT: poll the metadata for up to 30 s.
await() {
  local name=$1 want=$2 deadline=$((SECONDS + 30)) n
  until n=$(partitions_of "$name"); [[ $want == gone && $n == 0 || $want == present && $n != 0 ]]; do
    ((SECONDS < deadline)) || die "topic $name not $want after 30s"
    sleep 0.2
  done
}

usage() { sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

case ${1:-} in
  create)
    (($# == 3)) || usage
    topic_cmd --create --if-not-exists --topic "$2" --partitions "$3" --replication-factor 1
    await "$2" present ;;
  delete)
    (($# == 2)) || usage
    topic_cmd --delete --if-exists --topic "$2"
    await "$2" gone ;;
  list) topic_cmd --list ;;
  add-partitions)
    (($# == 3)) || usage
    topic_cmd --alter --topic "$2" --partitions "$3"
    deadline=$((SECONDS + 30))
    until [[ $(partitions_of "$2") == "$3" ]]; do
      ((SECONDS < deadline)) || die "topic $2 does not show $3 partitions after 30s"
      sleep 0.2
    done ;;
  delete-records)
    (($# == 4)) || usage
    spec=$(mktemp)
    printf '{"version":1,"partitions":[{"topic":"%s","partition":%d,"offset":%d}]}\n' "$2" "$3" "$4" >"$spec"
    java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$KAFKA_HOME/libs/*" \
      org.apache.kafka.tools.DeleteRecordsCommand --bootstrap-server "$BROKER" \
      --offset-json-file "$spec"
    rm -f "$spec" ;;
  describe)
    (($# == 2)) || usage
    topic_cmd --describe --topic "$2" ;;
  *) usage ;;
esac

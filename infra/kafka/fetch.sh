#!/usr/bin/env bash
# Fetches the Kafka broker jars (the version pinned in pom.xml) from Maven Central
# into .local/kafka/libs. Idempotent: does nothing when that version is already there.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

here="$TIDINGS_ROOT/infra/kafka"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
dest="$TIDINGS_LOCAL/kafka/libs"
# The manifest's hash, so a dependency added to pom.xml is fetched on the next run.
marker="$dest/.fetched-$version-$(sha256sum "$here/pom.xml" | cut -c1-12)"

[ -f "$marker" ] && exit 0

command -v java >/dev/null || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null || apt_install maven

log "fetching Apache Kafka $version from Maven Central"
rm -rf "$dest"
mkdir -p "$dest"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$dest"
touch "$marker"
log "Kafka $version: $(ls "$dest" | wc -l) jars in $dest"

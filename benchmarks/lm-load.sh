#!/usr/bin/env bash
# Load run of OpenAiCompatibleLm.call against a raw Reactor Netty POST of the same bytes (issue 3).
# The MockLmServer runs in its own JVM. Usage: benchmarks/lm-load.sh [seconds-per-phase=20] [concurrency=64]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -pl benchmarks -am package -DskipTests
JAR=benchmarks/target/benchmarks.jar
OUT=$(mktemp)
java -Xmx1g -cp "$JAR" io.dspex.bench.LmLoadRun server >"$OUT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 100); do [ -s "$OUT" ] && break; sleep 0.1; done
URL=$(head -1 "$OUT")
java -Xmx1g -cp "$JAR" io.dspex.bench.LmLoadRun client "$URL" "${1:-20}" "${2:-64}"

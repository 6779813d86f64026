#!/usr/bin/env bash
# Throughput of a program on Flink (dspex-flink's BatchJob pipeline on an embedded MiniCluster) against
# Program.batch on one JVM, at 50 ms server latency. About 3 minutes on 2 cores (--quick: about 1 minute).
#   benchmarks/flink.sh [--quick] [--latency-ms N] [--iterations N] [--skip-build]
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
build=1
for a in "$@"; do
  if [[ "$a" == "--skip-build" ]]; then build=0; else args+=("$a"); fi
done
if [[ $build == 1 ]]; then
  echo "building benchmarks (classes and target/flink-classpath.txt)"
  mvn -B -ntp -q -DskipTests package -pl benchmarks -am
fi
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec java -Xmx2g -cp "benchmarks/target/classes:$(cat benchmarks/target/flink-classpath.txt)" \
  io.dspex.benchmarks.FlinkThroughput ${args[@]+"${args[@]}"}

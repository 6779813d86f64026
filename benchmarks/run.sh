#!/usr/bin/env bash
# Side-by-side benchmarks: DSPEx against a bare Reactor Netty client, LangChain4j and the OpenAI Java SDK.
#   benchmarks/run.sh           full run (under 20 minutes on 2 cores)
#   benchmarks/run.sh --quick   smoke run with reduced loads (under 3 minutes)
# Other options go to the harness: --scenarios a,b  --systems a,b  --iterations N  --no-jmh  --jfr DIR
# (record each client fork with JFR)  --skip-build (use the jar as built)
# Writes benchmarks/target/benchmark-results.json and regenerates BENCHMARKS.md at the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
build=1
for a in "$@"; do
  if [[ "$a" == "--skip-build" ]]; then build=0; else args+=("$a"); fi
done

if [[ $build == 1 ]]; then
  echo "building benchmarks/target/benchmarks.jar"
  mvn -B -ntp -q -DskipTests package -pl benchmarks -am
fi

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec java -Xmx512m -cp benchmarks/target/benchmarks.jar io.dspex.benchmarks.Harness \
  --json benchmarks/target/benchmark-results.json --markdown BENCHMARKS.md ${args[@]+"${args[@]}"}

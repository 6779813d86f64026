#!/usr/bin/env bash
# Side-by-side benchmarks: DSPEx against a bare Reactor Netty client, LangChain4j and the OpenAI Java SDK, plus
# ReAct against a LangChain4j agent, BootstrapFewShot, the Flink job and the JMH adapter benchmarks.
#   benchmarks/run.sh           full run (about 40 minutes on 2 cores): writes benchmarks/results/<date>-<commit>.json
#                               and regenerates BENCHMARKS.md from it; commit both together
#   benchmarks/run.sh --quick   smoke run with reduced loads (about 6 minutes): writes benchmarks/target/
#                               benchmark-results-quick.json and benchmarks/target/BENCHMARKS-quick.md only
# Other options go to the harness: --scenarios a,b  --systems a,b  --iterations N  --no-jmh  --jfr DIR (record each
# client fork with JFR). Any of them makes a partial run, written to benchmarks/target/ like a quick one: only a full
# run writes BENCHMARKS.md.
#   --skip-build      use the jars as built
#   --compare REF     also run dspex-predict (zero-latency-c64) from a jar built from REF (a commit, tag or branch),
#                     as system dspex-predict@<short commit>, in the same run; repeatable. The jar is built from that
#                     commit's files (git archive) in ${TMPDIR:-/tmp}/dspex-bench-<commit> with
#                     mvn -q -o package -pl benchmarks -am -DskipTests (never install), once; delete the directory to
#                     rebuild. Issue 24's before/after: --compare 921d422^ --compare 921d422 (onErrorResume, retryWhen).
#                     With --systems, name the compared systems too (dspex-predict@<short commit>).
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
build=1
compare=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip-build) build=0 ;;
    --compare) compare+=("$2"); shift ;;
    *) args+=("$1") ;;
  esac
  shift
done

if [[ $build == 1 ]]; then
  echo "building benchmarks/target/benchmarks.jar"
  mvn -B -ntp -q -DskipTests package -pl benchmarks -am
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=()
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then dirty=(--dirty); fi

variants=""
for ref in ${compare[@]+"${compare[@]}"}; do
  sha=$(git rev-parse --short "$ref^{commit}")
  subject=$(git log -1 --format=%s "$sha" | tr ';=' ',:')
  dir="${TMPDIR:-/tmp}/dspex-bench-$sha"
  if [[ ! -f "$dir/benchmarks/target/benchmarks.jar" ]]; then
    echo "building dspex-predict@$sha in $dir"
    mkdir -p "$dir"
    git archive "$sha" | tar -x -C "$dir"
    (cd "$dir" && mvn -B -ntp -q -o -DskipTests package -pl benchmarks -am)
  fi
  variants+="${variants:+;}dspex-predict@$sha=$dir/benchmarks/target/benchmarks.jar=$sha=$subject"
done
if [[ -n "$variants" ]]; then args+=(--variants "$variants"); fi

# The class path Maven resolves (test scope: Flink, provided, included; the embedding model and ONNX Runtime, which
# the shaded jar leaves out): the flink, embed-local and search-100k scenarios fork with it.
full=()
if [[ -f benchmarks/target/flink-classpath.txt ]]; then
  full=(--full-classpath "benchmarks/target/classes:$(cat benchmarks/target/flink-classpath.txt)")
fi

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec java -Xmx512m -cp benchmarks/target/benchmarks.jar io.dspex.benchmarks.Harness \
  --commit "$commit" ${dirty[@]+"${dirty[@]}"} ${full[@]+"${full[@]}"} ${args[@]+"${args[@]}"}

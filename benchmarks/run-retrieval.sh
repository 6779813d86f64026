#!/usr/bin/env bash
# Retrieval benchmarks, side by side in one JVM: the local embedder against LangChain4j's in-process
# all-MiniLM-L6-v2 (throughput), exact search over 100,000 x 384 vectors, Lucene HNSW over 1,000,000 x 384.
#   benchmarks/run-retrieval.sh            full run (about 15 minutes on 2 idle cores; the HNSW build dominates)
#   benchmarks/run-retrieval.sh --quick    the HNSW part at 100,000 vectors
# Other options: --only embed,exact,hnsw,random  --hnsw-size N  --exact-size N  --json FILE  --skip-build
# Writes benchmarks/target/retrieval-results.json. Runs from the class path Maven resolves (benchmarks/pom.xml):
# the shaded benchmarks jar leaves the model and the native runtimes out.
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
build=1
for a in "$@"; do
  if [[ "$a" == "--skip-build" ]]; then build=0; else args+=("$a"); fi
done

if [[ $build == 1 ]]; then
  echo "building benchmarks (and the class path file)"
  mvn -B -ntp -q -DskipTests package -pl benchmarks -am
fi

# 1,000,000 x 384 floats are 1.5 GB, held by the exact matrix, by Lucene while it builds and by the ground truth.
exec java -Xmx12g -XX:+UseG1GC -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  io.dspex.benchmarks.RetrievalBench ${args[@]+"${args[@]}"}

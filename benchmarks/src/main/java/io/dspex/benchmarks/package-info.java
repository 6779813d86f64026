/**
 * Side-by-side benchmarks of DSPEx against a bare Reactor Netty client, LangChain4j and the official OpenAI Java
 * SDK, all calling the same {@link io.dspex.test.MockLmServer} in its own JVM. Run them with
 * {@code benchmarks/run.sh [--quick]}: {@link io.dspex.benchmarks.Harness} starts the server per scenario, forks a
 * fresh client JVM ({@link io.dspex.benchmarks.ClientMain}) per system and iteration, keeps the median, and writes
 * {@code benchmarks/target/benchmark-results.json} and {@code BENCHMARKS.md}. The JMH adapter benchmarks run from
 * the same jar when present.
 */
package io.dspex.benchmarks;

/**
 * Running DSPEx programs on Apache Flink: the same saved program, retry policy and error handling as
 * {@link io.dspex.Program#batch}, scaled out over Flink's subtasks, with Flink's checkpoints making the output exact.
 *
 * <ul>
 *   <li>{@link io.dspex.flink.ProgramAsyncFunction}: Flink's async I/O function over a program; each subtask builds
 *       the program and its LM client in {@code open()}, keeps at most {@code concurrency} inputs in flight and turns
 *       every failure into an error result (unless asked to fail fast).</li>
 *   <li>{@link io.dspex.flink.ProgramInput} and {@link io.dspex.flink.ProgramResult}: the records that flow, with
 *       their own Flink serializers (JSON), so no Kryo is involved.</li>
 *   <li>{@link io.dspex.flink.LmConfig}: the serialisable description of an OpenAI-compatible LM; its key is read
 *       from an environment variable on each task manager and never enters the job graph.</li>
 *   <li>{@link io.dspex.flink.BatchJob}: the command-line job, JSONL in, JSONL part files out, exactly once, in run
 *       or evaluation mode.</li>
 * </ul>
 *
 * <pre>{@code
 * ProgramAsyncFunction fn = ProgramAsyncFunction.builder()
 *         .program(() -> ChainOfThought.of("question -> answer"))
 *         .state(Files.readString(Path.of("program.json")))
 *         .lm(LmConfig.of("http://localhost:11434/v1", "llama3.2"))
 *         .concurrency(32)
 *         .build();
 * DataStream<ProgramResult> results = fn.unorderedWait(inputs);
 * }</pre>
 */
@NullMarked
package io.dspex.flink;

import org.jspecify.annotations.NullMarked;

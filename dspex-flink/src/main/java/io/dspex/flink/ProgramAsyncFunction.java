package io.dspex.flink;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.evaluate.Metric;
import io.dspex.flink.internal.Rows;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.RetryPolicy;
import io.dspex.predict.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.util.function.SerializableSupplier;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.HttpResources;
import reactor.util.context.Context;

/**
 * Runs a DSPEx program inside Flink's async I/O operator: each input's {@code forward} is subscribed in
 * {@link #asyncInvoke} and completes Flink's {@link ResultFuture} from its signal, so a subtask keeps up to
 * {@link #concurrency()} LM calls in flight without a thread per call.
 *
 * <pre>{@code
 * ProgramAsyncFunction fn = ProgramAsyncFunction.builder()
 *         .program(() -> Predict.of("question -> answer").withRetry(RetryPolicy.defaults()))
 *         .state(Path.of("program.json"))                     // a DSPy JSON state, shipped in the job graph
 *         .lm(LmConfig.of(baseUrl, "gpt-4o-mini").withApiKeyVariable("OPENAI_API_KEY"))
 *         .concurrency(32)
 *         .build();
 * DataStream<ProgramResult> results = fn.unorderedWait(inputs);   // or fn.orderedWait(inputs)
 * }</pre>
 *
 * <ul>
 *   <li><b>Serialisable parts only</b>: a program factory (a serialisable lambda), the saved state as text, an
 *       {@link LmConfig} and a metric factory travel in the job graph. In {@code open()} each subtask builds the
 *       program, applies the state, and builds its own LM client, whose key it reads from the environment; the
 *       program, client and key are transient. The LM goes into each call's Reactor Context
 *       ({@link Settings#asContext()}), so it serves every predictor of the program; without an {@code LmConfig}
 *       the program uses the LM its factory set.</li>
 *   <li><b>Failures</b>: the program's own {@link RetryPolicy} retries what may be retried; an input that still
 *       fails, and one whose Flink timeout passes, becomes a {@link ProgramResult} with its error, never a failed
 *       job, unless {@link Builder#failFast(boolean)} asks for one.</li>
 *   <li><b>Cancellation</b>: a Flink timeout disposes that input's subscription (cancelling its HTTP exchange);
 *       {@link #close()} (job cancelled, task failed over, end of input) disposes every subscription still open and
 *       closes the client. When Reactor came in the job jar, its global threads stop when Flink releases the job's
 *       class loader.</li>
 *   <li><b>Evaluation</b>: with a {@link Builder#metric metric}, each result carries the score of its prediction
 *       against the whole example (labels included), and a failure scores 0, as {@link io.dspex.evaluate.Evaluate}
 *       scores it. The metric runs on the thread that delivered the prediction: it must not block.</li>
 * </ul>
 *
 * <p>Flink's checkpoints hold the inputs in flight: after a failure they are replayed, so an input may reach the LM
 * more than once, while a transactional sink (Flink's {@code FileSink}) still commits each result once.
 */
public final class ProgramAsyncFunction extends RichAsyncFunction<ProgramInput, ProgramResult> {

    private static final long serialVersionUID = 1L;

    /** In-flight inputs per subtask when the builder is not told otherwise. */
    public static final int DEFAULT_CONCURRENCY = 16;

    /** Flink's per-input timeout when the builder is not told otherwise: above the default policy's worst case. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    /** The score of a failed input in evaluation mode ({@code Evaluate}'s default failure score). */
    public static final double FAILURE_SCORE = 0.0;

    private final SerializableSupplier<? extends Program> program;
    private final @Nullable String state;
    private final @Nullable LmConfig lm;
    private final @Nullable SerializableSupplier<? extends Metric> metric;
    private final int concurrency;
    private final Duration timeout;
    private final boolean failFast;

    private transient @Nullable Program running;
    private transient @Nullable OpenAiCompatibleLm client;
    private transient @Nullable Function<Context, Context> settings;
    private transient @Nullable Metric scorer;
    private transient @Nullable Map<ResultFuture<ProgramResult>, Disposable> inFlight;

    private ProgramAsyncFunction(Builder b, SerializableSupplier<? extends Program> program) {
        this.program = program;
        this.state = b.state;
        this.lm = b.lm;
        this.metric = b.metric;
        this.concurrency = b.concurrency;
        this.timeout = b.timeout;
        this.failFast = b.failFast;
    }

    /** @return a builder; {@link Builder#program} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the most inputs in flight per subtask: the async operator's capacity and the LM's pool size */
    public int concurrency() {
        return concurrency;
    }

    /** @return Flink's per-input timeout */
    public Duration timeout() {
        return timeout;
    }

    /** @return whether a failed input fails the job instead of becoming an error result */
    public boolean failFast() {
        return failFast;
    }

    /** @return whether results carry a metric's score */
    public boolean evaluates() {
        return metric != null;
    }

    /** @return the LM description, or null when the program brings its own LM */
    public @Nullable LmConfig lm() {
        return lm;
    }

    /**
     * Applies this function with {@link AsyncDataStream#orderedWait}: each subtask emits its results in the order
     * its inputs arrived (a slow input holds back later results, not later calls), at most {@link #concurrency()}
     * in flight.
     *
     * @param inputs the inputs
     * @return the results
     */
    public SingleOutputStreamOperator<ProgramResult> orderedWait(DataStream<ProgramInput> inputs) {
        return AsyncDataStream.orderedWait(inputs, this, timeout.toMillis(), TimeUnit.MILLISECONDS, concurrency)
                .name("dspex program (ordered)");
    }

    /**
     * Applies this function with {@link AsyncDataStream#unorderedWait}: results leave as they complete, so a slow
     * input holds back nothing; at most {@link #concurrency()} in flight per subtask.
     *
     * @param inputs the inputs
     * @return the results
     */
    public SingleOutputStreamOperator<ProgramResult> unorderedWait(DataStream<ProgramInput> inputs) {
        return AsyncDataStream.unorderedWait(inputs, this, timeout.toMillis(), TimeUnit.MILLISECONDS, concurrency)
                .name("dspex program (unordered)");
    }

    /**
     * Builds this subtask's program (applying the saved state), its LM client (behind this subtask's share of the
     * config's rate limits) and the metric.
     *
     * @param context Flink's context
     * @throws IllegalStateException when the factory returns null, the key's variable is named but not set, or a
     *                               rate limit is smaller than the number of subtasks
     */
    @Override
    public void open(OpenContext context) {
        Program p = create(program, "program");
        this.running = state == null ? p : applyState(p, state);
        if (lm != null) {
            OpenAiCompatibleLm c = lm.build(concurrency, System::getenv);
            this.client = c;
            // The job's rate limits, divided among the subtasks (LmConfig's javadoc).
            int subtasks = hasRuntimeContext() ? getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks() : 1;
            this.settings = Settings.empty().withLm(lm.limited(c, subtasks)).asContext();
        }
        this.scorer = metric == null ? null : create(metric, "metric");
        this.inFlight = new ConcurrentHashMap<>();
        releaseReactorWithTheJob();
    }

    /**
     * When Reactor came with the job (its classes loaded by the job's own class loader, as from the job jar on a
     * session cluster), its global threads (Reactor Netty's event loops, Reactor's schedulers) belong to this job:
     * they are stopped when Flink releases the job's class loader, instead of outliving it. When Reactor is shared
     * (loaded with Flink's own classes: the embedded MiniCluster, tests, or the library in Flink's lib/), nothing is
     * registered: other users of those threads live on.
     */
    private void releaseReactorWithTheJob() {
        ClassLoader reactor = HttpResources.class.getClassLoader();
        if (reactor == RichAsyncFunction.class.getClassLoader() || !hasRuntimeContext()) {
            return;
        }
        getRuntimeContext().registerUserCodeClassLoaderReleaseHookIfAbsent("dspex-reactor-threads", () -> {
            HttpResources.disposeLoopsAndConnections();
            Schedulers.shutdownNow();
        });
    }

    /** Whether Flink set a runtime context (it does for every function it runs; a bare unit test does not). */
    private boolean hasRuntimeContext() {
        try {
            getRuntimeContext();
            return true;
        } catch (IllegalStateException notInAJob) {
            return false;
        }
    }

    @Override
    public void asyncInvoke(ProgramInput input, ResultFuture<ProgramResult> resultFuture) {
        Program p = running;
        Map<ResultFuture<ProgramResult>, Disposable> open = inFlight;
        if (p == null || open == null) {
            throw new IllegalStateException("ProgramAsyncFunction.asyncInvoke before open()");
        }
        Example inputs = input.programInputs();
        Mono<ProgramResult> run = Mono.defer(() -> p.forward(inputs))
                .switchIfEmpty(Mono.error(() -> new IllegalStateException(
                        "program completed without a prediction for input " + input.id())))
                .map(prediction -> succeeded(input, prediction))
                .onErrorResume(e -> failFast ? Mono.error(e) : Mono.just(failed(input.id(), e)));
        Function<Context, Context> s = settings;
        if (s != null) {
            run = run.contextWrite(s);
        }
        // The slot is in the map before the subscription starts, so a timeout or close() always finds it; a run
        // that completes at once removes it before it is filled, which leaves nothing behind.
        Disposable.Swap slot = Disposables.swap();
        open.put(resultFuture, slot);
        slot.update(run.doFinally(signal -> open.remove(resultFuture)).subscribe(
                result -> resultFuture.complete(List.of(result)),
                resultFuture::completeExceptionally));
    }

    /**
     * Flink's timeout for one input: disposes its subscription (cancelling the LM call in flight) and completes it
     * with an error result, or fails the job in fail-fast mode.
     */
    @Override
    public void timeout(ProgramInput input, ResultFuture<ProgramResult> resultFuture) {
        Map<ResultFuture<ProgramResult>, Disposable> open = inFlight;
        Disposable d = open == null ? null : open.remove(resultFuture);
        if (d != null) {
            d.dispose();
        }
        TimeoutException e = new TimeoutException("no result within the Flink async timeout of "
                + timeout.toMillis() + " ms");
        if (failFast) {
            resultFuture.completeExceptionally(e);
        } else {
            resultFuture.complete(List.of(failed(input.id(), e)));
        }
    }

    /** Disposes every subscription still in flight and closes the LM client. */
    @Override
    public void close() {
        Map<ResultFuture<ProgramResult>, Disposable> open = inFlight;
        if (open != null) {
            open.values().forEach(Disposable::dispose);
            open.clear();
        }
        OpenAiCompatibleLm c = client;
        if (c != null) {
            c.close();
        }
        client = null;
        settings = null;
        running = null;
    }

    private ProgramResult succeeded(ProgramInput input, Prediction prediction) {
        Map<String, @Nullable Object> outputs;
        try {
            outputs = Rows.jsonValues(prediction.toMap());
        } catch (IllegalArgumentException e) {
            return failed(input.id(), e);
        }
        Metric m = scorer;
        if (m == null) {
            return new ProgramResult(input.id(), outputs, null, null);
        }
        try {
            double score = m.score(input.example(), prediction);
            if (!Double.isFinite(score)) {
                throw new IllegalStateException("metric returned " + score + " for input " + input.id()
                        + "; scores must be finite numbers");
            }
            return new ProgramResult(input.id(), outputs, null, score);
        } catch (RuntimeException e) {
            if (failFast) {
                throw e;
            }
            return new ProgramResult(input.id(), outputs, describe(e), FAILURE_SCORE);
        }
    }

    private ProgramResult failed(@Nullable String id, Throwable e) {
        return new ProgramResult(id, Map.of(), describe(e), scorer == null ? null : FAILURE_SCORE);
    }

    /** {@code "Type: message"}, and how many attempts the retry policy made when it made more than one. */
    static String describe(Throwable e) {
        long attempts = RetryPolicy.attemptsOf(e);
        return e.getClass().getSimpleName() + ": " + e.getMessage()
                + (attempts > 1 ? " (after " + attempts + " attempts)" : "");
    }

    private static <T> T create(SerializableSupplier<? extends T> factory, String what) {
        T t = factory.get();
        if (t == null) {
            throw new IllegalStateException("the " + what + " factory of ProgramAsyncFunction returned null");
        }
        return t;
    }

    /** {@link Program#load} reads a file: the state is written to a temporary one, read, and deleted. */
    static Program applyState(Program program, String state) {
        Path file = null;
        try {
            file = Files.createTempFile("dspex-program-", ".json");
            Files.writeString(file, state, StandardCharsets.UTF_8);
            return program.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the program state in a temporary file: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file left behind holds no secret: program states never hold keys
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ProgramAsyncFunction[concurrency=" + concurrency + ", timeout=" + timeout.toMillis() + " ms"
                + (lm == null ? "" : ", " + lm) + (state == null ? "" : ", with saved state")
                + (metric == null ? "" : ", evaluating") + (failFast ? ", fail-fast" : "") + "]";
    }

    /** Configures a {@link ProgramAsyncFunction}; {@link #program} is required. */
    public static final class Builder {
        private @Nullable SerializableSupplier<? extends Program> program;
        private @Nullable String state;
        private @Nullable LmConfig lm;
        private @Nullable SerializableSupplier<? extends Metric> metric;
        private int concurrency = DEFAULT_CONCURRENCY;
        private Duration timeout = DEFAULT_TIMEOUT;
        private boolean failFast;

        private Builder() {
        }

        /**
         * @param factory builds the program in each subtask; a serialisable lambda such as
         *                {@code () -> ChainOfThought.of("question -> answer")} (it is shipped in the job graph, so
         *                it must capture only serialisable values)
         * @return this builder
         */
        public Builder program(SerializableSupplier<? extends Program> factory) {
            this.program = factory;
            return this;
        }

        /**
         * @param json a saved program state (DSPy's JSON, as {@code program.save(..)} writes it), applied to the
         *             factory's program in every subtask; null for none
         * @return this builder
         */
        public Builder state(@Nullable String json) {
            this.state = json;
            return this;
        }

        /**
         * Reads a saved program state now (blocking file I/O, at job construction) and ships its text in the job
         * graph, so task managers need not see the file.
         *
         * @param file the state file
         * @return this builder
         * @throws UncheckedIOException when it cannot be read
         */
        public Builder state(Path file) {
            try {
                this.state = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the program state " + file + ": " + e.getMessage(), e);
            }
            return this;
        }

        /**
         * @param lm the LM every subtask builds (null: the program's own LM)
         * @return this builder
         */
        public Builder lm(@Nullable LmConfig lm) {
            this.lm = lm;
            return this;
        }

        /**
         * Evaluation mode: each result carries {@code metric.score(example, prediction)}.
         *
         * @param factory builds the metric in each subtask, e.g. {@code () -> Metrics.exactMatch("answer")}
         *                (null: no evaluation)
         * @return this builder
         */
        public Builder metric(@Nullable SerializableSupplier<? extends Metric> factory) {
            this.metric = factory;
            return this;
        }

        /**
         * @param concurrency the most inputs in flight per subtask, at least 1 (the async operator's capacity)
         * @return this builder
         */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * @param timeout Flink's per-input timeout, positive: set it above the retry policy's worst case, since an
         *                input that reaches it becomes an error result
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * @param failFast true to fail the job on the first failed input (Flink's restart strategy then decides
         *                 what happens) instead of recording an error result
         * @return this builder
         */
        public Builder failFast(boolean failFast) {
            this.failFast = failFast;
            return this;
        }

        /**
         * Builds the function. The program is created once here and the state applied to it, so a state that does
         * not match the program fails now, in the client, rather than in every subtask.
         *
         * @return the function
         * @throws IllegalStateException           when no program factory was given or it returns null
         * @throws io.dspex.ProgramStateException  when the state does not fit the program
         */
        public ProgramAsyncFunction build() {
            SerializableSupplier<? extends Program> p = program;
            if (p == null) {
                throw new IllegalStateException("ProgramAsyncFunction needs a program factory: builder().program(..)");
            }
            Program probe = create(p, "program");
            if (state != null) {
                applyState(probe, state);
            }
            return new ProgramAsyncFunction(this, p);
        }
    }
}

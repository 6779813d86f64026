package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.internal.BoundedRunner;
import io.dspex.lm.Usage;
import io.dspex.observe.Instrumentation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs a program over a dev set and scores each prediction with a metric (DSPy's {@code dspy.Evaluate}).
 *
 * <pre>{@code
 * Evaluate evaluate = Evaluate.builder()
 *         .devset(devset)                         // examples with input keys marked
 *         .metric(Metrics.exactMatch("answer"))
 *         .concurrency(16)
 *         .maxErrors(5)
 *         .displayProgress(true)
 *         .build();
 * EvaluationResult result = evaluate.run(program).block();
 * result.score();                                  // e.g. 67.3 (percent)
 * }</pre>
 *
 * <p>Semantics, as in DSPy 3.3:
 * <ul>
 *   <li>Up to {@code concurrency} examples run at once; each calls {@code program.forward(example.inputs())}
 *       and then the metric. A failure of either (an error signal, an exception, an empty result, or a score
 *       that is NaN or infinite) scores the failure score (default 0) and is kept as that example's row.</li>
 *   <li>When failures reach {@code maxErrors} (default 10; {@link #UNLIMITED_ERRORS} for none), the run stops:
 *       in-flight examples are cancelled (their {@code Mono}s are disposed) and the {@code Mono} fails with an
 *       {@link EvaluationException} saying how many failed and why.</li>
 *   <li>Otherwise the result holds one row per example, in dev-set order whatever order they finished in, and
 *       {@link EvaluationResult#score()} is the mean score in percent rounded to 2 decimals.</li>
 * </ul>
 *
 * <p>Threads: the metric runs on the thread that delivered the prediction, normally a non-blocking Reactor
 * thread. A metric that blocks (file or network I/O, locks) must be given a scheduler for it:
 * {@code .metricScheduler(Schedulers.boundedElastic())}. A metric that calls an LM should be an
 * {@link AsyncMetric}. An {@code Evaluate} is immutable and may run any number of programs, also at once.
 */
public final class Evaluate {

    /** Pass to {@link Builder#maxErrors(int)} to never stop early. */
    public static final int UNLIMITED_ERRORS = Integer.MAX_VALUE;

    private static final Logger LOG = LoggerFactory.getLogger(Evaluate.class);

    private final List<Example> devset;
    private final @Nullable Metric metric;
    private final @Nullable AsyncMetric asyncMetric;
    private final String metricName;
    private final int concurrency;
    private final int maxErrors;
    private final double failureScore;
    private final boolean displayProgress;
    private final @Nullable ProgressListener listener;
    private final @Nullable Scheduler metricScheduler;
    private final @Nullable Price price;
    private final Map<String, Price> prices;

    private Evaluate(Builder b) {
        this.devset = b.devset;
        this.metric = b.metric;
        this.asyncMetric = b.asyncMetric;
        this.metricName = b.metric != null ? b.metric.name() : "metric";
        this.concurrency = b.concurrency;
        this.maxErrors = b.maxErrors;
        this.failureScore = b.failureScore;
        this.displayProgress = b.displayProgress;
        this.listener = b.listener;
        this.metricScheduler = b.metricScheduler;
        this.price = b.price;
        this.prices = Map.copyOf(b.prices);
    }

    /** @return a builder; {@code devset} and a metric are required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the dev set, unmodifiable */
    public List<Example> devset() {
        return devset;
    }

    /**
     * Evaluates a program, lazily: nothing runs until the returned {@code Mono} is subscribed, and each
     * subscription is an independent run. Cancelling the subscription cancels the in-flight examples.
     *
     * @param program the program to evaluate
     * @return a {@code Mono} of the result, or an {@link EvaluationException} when failures reached
     *         {@code maxErrors}
     * @throws IllegalArgumentException when {@code program} is null
     */
    public Mono<EvaluationResult> run(Program program) {
        if (program == null) {
            throw new IllegalArgumentException("program must not be null");
        }
        Mono<EvaluationResult> run = Mono.defer(() -> {
            ProgressDisplay.Mode mode = ProgressDisplay.choose(displayProgress, ProgressDisplay.terminalAttached(),
                    System.getenv());
            return Mono.usingWhen(ProgressDisplay.open(mode, devset.size()),
                    display -> runWith(program, display),
                    ProgressDisplay::closeAsync,
                    (display, error) -> display.closeAsync(),
                    ProgressDisplay::closeAsync);
        }).doOnNext(this::logSummary);
        // DSPy's evaluate callbacks and an observation in which the program's calls nest, when the run reports.
        return Instrumentation.evaluate(program, devset, run).name("dspex.evaluate");
    }

    private Mono<EvaluationResult> runWith(Program program, ProgressDisplay display) {
        RunState state = new RunState(devset.size());
        // As completed, not in order: maxErrors counts failures as they happen (DSPy's ParallelExecutor does);
        // RunState puts each row in its place.
        return BoundedRunner.run(Flux.fromIterable(devset), (i, example) -> evaluateOne(program, i, example),
                        concurrency, false)
                .<EvaluationRow>handle((indexed, sink) -> {
                    EvaluationRow row = indexed.value();
                    state.add(row);
                    display.update(state.done, devset.size(), state.failed.size(), state.scoreSum);
                    notifyListener(state);
                    if (row.failed() && state.failed.size() >= maxErrors) {
                        sink.error(state.stopped());
                    }
                })
                .then(Mono.fromSupplier(state::result));
    }

    private void notifyListener(RunState state) {
        if (listener == null) {
            return;
        }
        try {
            listener.onProgress(state.done, devset.size(), state.failed.size(), 100.0 * state.scoreSum / state.done);
        } catch (RuntimeException e) {
            LOG.warn("progress listener threw; the evaluation goes on", e);
        }
    }

    private Mono<EvaluationRow> evaluateOne(Program program, int index, Example example) {
        return Mono.defer(() -> {
            long start = now();
            Mono<Prediction> forward;
            try {
                forward = program.forward(example.inputs());
            } catch (RuntimeException e) {
                forward = Mono.error(e);
            }
            if (forward == null) {
                forward = Mono.error(new IllegalStateException("program.forward returned null instead of a Mono"));
            }
            return forward
                    .switchIfEmpty(Mono.error(() -> new IllegalStateException(
                            "program completed without a prediction for example " + index)))
                    .flatMap(prediction -> {
                        Duration latency = since(start);
                        return score(index, example, prediction)
                                .map(s -> new EvaluationRow(index, example, Optional.of(prediction), Optional.empty(),
                                        s, latency, prediction.usage()))
                                .onErrorResume(e -> Mono.just(new EvaluationRow(index, example,
                                        Optional.of(prediction), Optional.of(e), failureScore, latency,
                                        prediction.usage())));
                    })
                    .onErrorResume(e -> Mono.just(new EvaluationRow(index, example, Optional.empty(),
                            Optional.of(e), failureScore, since(start), Usage.ZERO)));
        });
    }

    private Mono<Double> score(int index, Example example, Prediction prediction) {
        Mono<Double> s;
        if (metric != null) {
            s = Mono.fromCallable(() -> metric.score(example, prediction));
            if (metricScheduler != null) {
                s = s.subscribeOn(metricScheduler);
            }
        } else {
            s = Mono.defer(() -> {
                Mono<Double> m = asyncMetric.score(example, prediction);
                return m == null ? Mono.error(new IllegalStateException("async metric returned null instead of a Mono"))
                        : m;
            });
        }
        return s.switchIfEmpty(Mono.error(() -> new IllegalStateException(
                        "metric returned no score for example " + index)))
                .handle((value, sink) -> {
                    if (value == null || !Double.isFinite(value)) {
                        sink.error(new IllegalStateException("metric returned " + value + " for example " + index
                                + "; scores must be finite numbers"));
                    } else {
                        sink.next(value);
                    }
                });
    }

    private static long now() {
        return Schedulers.parallel().now(TimeUnit.NANOSECONDS);
    }

    private static Duration since(long start) {
        return Duration.ofNanos(Math.max(0, now() - start));
    }

    /** Mutated only inside the serialized {@code handle} stage. */
    private final class RunState {
        final EvaluationRow[] rows;
        final List<EvaluationRow> failed = new ArrayList<>();
        int done;
        double scoreSum;

        RunState(int n) {
            this.rows = new EvaluationRow[n];
        }

        void add(EvaluationRow row) {
            rows[row.index()] = row;
            done++;
            scoreSum += row.score();
            if (row.failed()) {
                failed.add(row);
            }
        }

        EvaluationException stopped() {
            EvaluationRow first = failed.get(0);
            EvaluationRow last = failed.get(failed.size() - 1);
            String message = String.format(Locale.ROOT,
                    "Evaluation stopped: %d of %d finished examples failed, reaching maxErrors=%d "
                            + "(%d examples in the dev set; in-flight examples were cancelled). "
                            + "First error, example %d: %s. Last error, example %d: %s",
                    failed.size(), done, maxErrors, rows.length, first.index(), describe(first.error().get()),
                    last.index(), describe(last.error().get()));
            return new EvaluationException(message, first.error().get(), failed, done, rows.length);
        }

        EvaluationResult result() {
            List<EvaluationRow> ordered = new ArrayList<>(rows.length);
            for (int i = 0; i < rows.length; i++) {
                if (rows[i] == null) {
                    throw new IllegalStateException("example " + i + " has no result; this is a bug in Evaluate");
                }
                ordered.add(rows[i]);
            }
            return new EvaluationResult(ordered, metricName, price, prices);
        }
    }

    /** DSPy logs the average at the end; at INFO when progress is shown, else at DEBUG (optimizers run many). */
    private void logSummary(EvaluationResult result) {
        String summary = ProgressDisplay.describe(result.scoreSum(), result.rows().size());
        if (displayProgress) {
            LOG.info("{} ({} errors)", summary, result.errorCount());
        } else {
            LOG.debug("{} ({} errors)", summary, result.errorCount());
        }
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /**
     * Configures an {@link Evaluate}. Required: {@link #devset(List)} and one of {@link #metric(Metric)} or
     * {@link #asyncMetric(AsyncMetric)}.
     *
     * <pre>{@code
     * Evaluate e = Evaluate.builder().devset(dev).metric(Metrics.f1("answer")).concurrency(8).build();
     * }</pre>
     */
    public static final class Builder {
        private @Nullable List<Example> devset;
        private @Nullable Metric metric;
        private @Nullable AsyncMetric asyncMetric;
        private int concurrency = 8;
        private int maxErrors = 10;
        private double failureScore = 0.0;
        private boolean displayProgress;
        private @Nullable ProgressListener listener;
        private @Nullable Scheduler metricScheduler;
        private @Nullable Price price;
        private final Map<String, Price> prices = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * @param devset the examples to evaluate on, each with its input keys marked (copied)
         * @return this builder
         */
        public Builder devset(List<Example> devset) {
            if (devset == null) {
                throw new IllegalArgumentException("devset must not be null");
            }
            List<Example> copy = new ArrayList<>(devset.size());
            for (int i = 0; i < devset.size(); i++) {
                Example e = devset.get(i);
                if (e == null) {
                    throw new IllegalArgumentException("devset[" + i + "] is null");
                }
                if (e.inputKeys().isEmpty()) {
                    throw new IllegalArgumentException("devset[" + i + "] has no input keys: call withInputs(...) "
                            + "on every example (its keys are " + e.keys() + ")");
                }
                copy.add(e);
            }
            this.devset = List.copyOf(copy);
            return this;
        }

        /**
         * @param metric the metric, run synchronously after each prediction
         * @return this builder
         */
        public Builder metric(Metric metric) {
            if (metric == null) {
                throw new IllegalArgumentException("metric must not be null");
            }
            this.metric = metric;
            return this;
        }

        /**
         * @param metric a metric returning a {@code Mono} (one that calls an LM, say)
         * @return this builder
         */
        public Builder asyncMetric(AsyncMetric metric) {
            if (metric == null) {
                throw new IllegalArgumentException("asyncMetric must not be null");
            }
            this.asyncMetric = metric;
            return this;
        }

        /**
         * @param concurrency how many examples run at once (DSPy's {@code num_threads}); default 8
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
         * @param maxErrors failures that stop the run (default 10); {@link #UNLIMITED_ERRORS} to never stop
         * @return this builder
         */
        public Builder maxErrors(int maxErrors) {
            if (maxErrors < 1) {
                throw new IllegalArgumentException("maxErrors must be at least 1 (or Evaluate.UNLIMITED_ERRORS), got "
                        + maxErrors);
            }
            this.maxErrors = maxErrors;
            return this;
        }

        /**
         * @param failureScore the score of a failed example (default 0)
         * @return this builder
         */
        public Builder failureScore(double failureScore) {
            if (!Double.isFinite(failureScore)) {
                throw new IllegalArgumentException("failureScore must be a finite number, got " + failureScore);
            }
            this.failureScore = failureScore;
            return this;
        }

        /**
         * Shows progress (default off, as in DSPy): a live bar with the running score on {@code System.err} when
         * a terminal is attached, an SLF4J log line per tenth of the dev set otherwise, and nothing when the
         * {@code CI} environment variable is set (to anything but {@code false} or {@code 0}).
         *
         * @param display whether to show progress
         * @return this builder
         */
        public Builder displayProgress(boolean display) {
            this.displayProgress = display;
            return this;
        }

        /**
         * @param listener called after each finished example (see {@link ProgressListener}); null for none
         * @return this builder
         */
        public Builder progressListener(@Nullable ProgressListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Runs a synchronous metric on this scheduler instead of the thread that delivered the prediction. Use
         * {@code Schedulers.boundedElastic()} for a metric that blocks. Ignored for an {@link AsyncMetric}.
         *
         * @param scheduler the scheduler; null for the delivering thread (the default)
         * @return this builder
         */
        public Builder metricScheduler(@Nullable Scheduler scheduler) {
            this.metricScheduler = scheduler;
            return this;
        }

        /**
         * Prices the tokens so {@link EvaluationResult#cost()} has a value: the price of every model without one of
         * its own ({@link #price(String, Price)}), and of usage that no model is named for.
         *
         * @param price the price; null for none
         * @return this builder
         */
        public Builder price(@Nullable Price price) {
            this.price = price;
            return this;
        }

        /**
         * Prices one model's tokens: {@link EvaluationResult#cost()} sums each model's usage
         * ({@link Prediction#usageByModel()}) at its price.
         *
         * <pre>{@code
         * Evaluate.builder().devset(dev).metric(em)
         *         .price("gpt-4o-mini", new Price(0.15, 0.60))
         *         .price("gpt-4o", new Price(2.50, 10.00))
         *         .build();
         * }</pre>
         *
         * @param model the model name, as the predictions' {@code usageByModel()} names it (the client's model)
         * @param price its price
         * @return this builder
         * @throws IllegalArgumentException when the name is blank or the price null
         */
        public Builder price(String model, Price price) {
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("the model name of a price must not be blank");
            }
            if (price == null) {
                throw new IllegalArgumentException("the price of model '" + model + "' must not be null");
            }
            this.prices.put(model, price);
            return this;
        }

        /**
         * @return the evaluation
         * @throws IllegalStateException when the dev set or the metric is missing or empty, or both a metric and
         *                               an async metric were given
         */
        public Evaluate build() {
            if (devset == null || devset.isEmpty()) {
                throw new IllegalStateException("Evaluate needs a non-empty devset");
            }
            if (metric == null && asyncMetric == null) {
                throw new IllegalStateException("Evaluate needs a metric: call metric(...) or asyncMetric(...)");
            }
            if (metric != null && asyncMetric != null) {
                throw new IllegalStateException("give either metric(...) or asyncMetric(...), not both");
            }
            return new Evaluate(this);
        }
    }
}

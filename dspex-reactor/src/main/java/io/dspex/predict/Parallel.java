package io.dspex.predict;

import io.dspex.BatchResult;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.internal.BoundedRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs different programs on different inputs at once (DSPy's {@code dspy.Parallel}): a list of
 * {@linkplain #pair(Program, Example) (program, example) pairs}, at most {@code concurrency} in flight, each result in
 * the position of its pair.
 *
 * <pre>{@code
 * Parallel parallel = Parallel.builder().concurrency(8).maxErrors(3).build();
 * List<BatchResult> results = parallel.run(List.of(
 *         Parallel.pair(summarize, Example.of(Map.of("text", doc))),
 *         Parallel.pair(classify, Example.of(Map.of("text", doc))))).block();
 * }</pre>
 *
 * <p>Semantics, as DSPy's {@code ParallelExecutor}:
 * <ul>
 *   <li>Each pair runs {@code program.forward(example)} (the program reads the example's marked input keys, else all
 *       of them). A failure — an error signal, an exception, or an empty result — is that pair's recorded
 *       {@link BatchResult} and fails nothing else.</li>
 *   <li>Failures are counted as they happen; when they reach {@code maxErrors} (default 10, DSPy's
 *       {@code settings.max_errors}), the pairs still in flight are cancelled and the {@code Mono} fails with a
 *       {@link MaxErrorsException} holding every result finished so far, failures included.</li>
 *   <li>Otherwise the {@code Mono} emits one result per pair, in pair order, whatever order they finished in.</li>
 * </ul>
 *
 * <p>Unlike DSPy's thread pool, nothing is resubmitted after a straggler timeout: bound a slow program with its own
 * {@code RetryPolicy} deadline or {@code Mono.timeout}. Runs go through the library's one bounded runner, on whatever
 * threads the programs use; no thread waits. Immutable: one instance may run any number of lists, also at once.
 */
public final class Parallel {

    /** Pass to {@link Builder#maxErrors(int)} to never stop early. */
    public static final int UNLIMITED_ERRORS = Integer.MAX_VALUE;

    private final int concurrency;
    private final int maxErrors;

    private Parallel(Builder b) {
        this.concurrency = b.concurrency;
        this.maxErrors = b.maxErrors;
    }

    /** @return a builder: concurrency 8 and maxErrors 10 (DSPy's defaults) */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * One unit of work: a program and the example to run it on (DSPy's {@code exec_pairs} element).
     *
     * @param program the program
     * @param example its inputs
     */
    public record Pair(Program program, Example example) {
        /**
         * @param program the program
         * @param example its inputs
         * @throws IllegalArgumentException when a component is null
         */
        public Pair {
            if (program == null || example == null) {
                throw new IllegalArgumentException("a Parallel pair needs a program and an example");
            }
        }
    }

    /**
     * @param program the program
     * @param example its inputs
     * @return the pair
     */
    public static Pair pair(Program program, Example example) {
        return new Pair(program, example);
    }

    /**
     * @param program the program
     * @param inputs  its inputs by field name (DSPy's dict form)
     * @return the pair
     */
    public static Pair pair(Program program, Map<String, ?> inputs) {
        return new Pair(program, Example.of(inputs));
    }

    /** @return the most pairs in flight at once */
    public int concurrency() {
        return concurrency;
    }

    /** @return how many failures stop the run */
    public int maxErrors() {
        return maxErrors;
    }

    /**
     * Runs every pair, lazily: nothing starts before subscription, each subscription runs them all again, and
     * cancelling it cancels the pairs in flight.
     *
     * @param pairs the pairs, in the order of the results
     * @return one result per pair, in pair order; a {@link MaxErrorsException} when failures reach
     *         {@code maxErrors}
     * @throws IllegalArgumentException when the list is null or holds a null pair (naming its index)
     */
    public Mono<List<BatchResult>> run(List<Pair> pairs) {
        if (pairs == null) {
            throw new IllegalArgumentException("pairs must not be null");
        }
        List<Pair> copy = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            if (pairs.get(i) == null) {
                throw new IllegalArgumentException("pairs[" + i + "] is null");
            }
            copy.add(pairs.get(i));
        }
        return Mono.defer(() -> {
            BatchResult[] results = new BatchResult[copy.size()];
            List<BatchResult> failed = new ArrayList<>();
            // As completed, so maxErrors counts failures as they happen; each result goes to its pair's place.
            return BoundedRunner.run(Flux.fromIterable(copy), Parallel::runOne, concurrency, false)
                    .<BatchResult>handle((indexed, sink) -> {
                        BatchResult r = indexed.value();
                        results[r.index()] = r;
                        if (!r.isSuccess()) {
                            failed.add(r);
                            if (failed.size() >= maxErrors) {
                                sink.error(new MaxErrorsException(failed, finished(results), copy.size(),
                                        maxErrors));
                                return;
                            }
                        }
                        sink.next(r);
                    })
                    .then(Mono.fromSupplier(() -> Collections.unmodifiableList(Arrays.asList(results))));
        });
    }

    private static Mono<BatchResult> runOne(int index, Pair pair) {
        Example example = pair.example();
        Mono<Prediction> forward;
        try {
            forward = pair.program().forward(example);
        } catch (RuntimeException e) {
            forward = Mono.error(e);
        }
        if (forward == null) {
            forward = Mono.error(new IllegalStateException("program.forward returned null instead of a Mono"));
        }
        return forward
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("the program of pair " + index
                        + " completed without a prediction")))
                .map(p -> new BatchResult(index, example, p, null))
                .onErrorResume(e -> Mono.just(new BatchResult(index, example, null, e)));
    }

    private static List<BatchResult> finished(@Nullable BatchResult[] results) {
        List<BatchResult> out = new ArrayList<>();
        for (BatchResult r : results) {
            if (r != null) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "Parallel[concurrency=" + concurrency + ", maxErrors=" + maxErrors + "]";
    }

    /**
     * The failure of a {@link Parallel#run} whose failures reached {@code maxErrors} (DSPy raises "Execution
     * cancelled due to errors or interruption."). Its cause is the first failure; nothing finished is lost.
     */
    public static final class MaxErrorsException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient List<BatchResult> failures;
        private final transient List<BatchResult> finished;

        MaxErrorsException(List<BatchResult> failures, List<BatchResult> finished, int pairs, int maxErrors) {
            super("Parallel stopped: " + failures.size() + " of " + finished.size() + " finished pairs failed, "
                    + "reaching maxErrors=" + maxErrors + " (" + pairs + " pairs; the ones in flight were cancelled)."
                    + " First error, pair " + failures.get(0).index() + ": " + describe(failures.get(0).error())
                    + (failures.size() > 1 ? ". Last error, pair " + failures.get(failures.size() - 1).index() + ": "
                    + describe(failures.get(failures.size() - 1).error()) : ""),
                    failures.get(0).error());
            this.failures = List.copyOf(failures);
            this.finished = List.copyOf(finished);
        }

        private static String describe(@Nullable Throwable t) {
            if (t == null) {
                return "none";
            }
            return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        }

        /** @return the failed pairs' results, in the order they failed */
        public List<BatchResult> failures() {
            return failures;
        }

        /** @return every result finished before the run stopped, successes and failures, in pair order */
        public List<BatchResult> finished() {
            return finished;
        }
    }

    /**
     * Configures a {@link Parallel}.
     *
     * <pre>{@code
     * Parallel p = Parallel.builder().concurrency(16).maxErrors(Parallel.UNLIMITED_ERRORS).build();
     * }</pre>
     */
    public static final class Builder {
        private int concurrency = 8;
        private int maxErrors = 10;

        private Builder() {
        }

        /**
         * @param concurrency the most pairs in flight at once (DSPy's {@code num_threads}), at least 1; default 8
         * @return this builder
         * @throws IllegalArgumentException when below 1
         */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * @param maxErrors failures that stop the run, at least 1 (default 10); {@link #UNLIMITED_ERRORS} to never
         *                  stop
         * @return this builder
         * @throws IllegalArgumentException when below 1
         */
        public Builder maxErrors(int maxErrors) {
            if (maxErrors < 1) {
                throw new IllegalArgumentException("maxErrors must be at least 1 (or Parallel.UNLIMITED_ERRORS), got "
                        + maxErrors);
            }
            this.maxErrors = maxErrors;
            return this;
        }

        /** @return the runner */
        public Parallel build() {
            return new Parallel(this);
        }
    }
}

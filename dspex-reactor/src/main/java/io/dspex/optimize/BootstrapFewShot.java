package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.Trace;
import io.dspex.evaluate.Metric;
import io.dspex.internal.BoundedRunner;
import io.dspex.internal.PythonRandom;
import io.dspex.lm.CallConfig;
import io.dspex.predict.Settings;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SynchronousSink;

/**
 * Composes each predictor's demos from bootstrapped traces and labeled examples (DSPy's {@code BootstrapFewShot}).
 *
 * <ol>
 *   <li>The teacher (by default a copy of the student given {@link LabeledFewShot}{@code (maxLabeledDemos)} demos)
 *       runs on each training example in order, the example itself removed from its demos, with a
 *       {@link Trace} recording every predictor call. Round 0 uses the configured settings; each later round
 *       (up to {@code maxRounds} per example) runs with temperature 1.0 and a fresh rollout id (the round
 *       number) layered over the Context's {@link Settings}, so cached answers are not replayed.</li>
 *   <li>A run counts when the metric, given the trace, passes: {@code score >= metricThreshold} when a non-zero
 *       threshold is set, else a non-zero score (Python's truthiness; NaN fails). Without a metric every run
 *       counts. Each predictor call of a counted run becomes a demo of that predictor: {@code augmented=true},
 *       the inputs, then the outputs.</li>
 *   <li>Bootstrapping stops once {@code maxBootstrappedDemos} examples have counted. The examples that did not
 *       count are shuffled ({@code random.Random(seed).shuffle}); then, for each predictor in turn, its first
 *       {@code maxBootstrappedDemos} bootstrapped demos are followed by
 *       {@code rng.sample(raw, min(maxLabeledDemos - bootstrapped, len(raw)))} from one {@code Random(seed)},
 *       where {@code raw} is replaced by each sample, exactly as DSPy's {@code _train} does.</li>
 * </ol>
 *
 * <p>Teacher runs go in parallel, at most {@code concurrency} at once, but their outcomes are consumed in
 * training-set order, so the result is the one DSPy's sequential loop gives: runs past the stopping point are
 * cancelled and ignored. With seed 0 (the default) the demos are DSPy's, with one documented difference: when a
 * predictor is called several times in one counted run, DSPy picks one of its demos with a generator seeded by
 * a hash of the demos ({@code datasets.Hasher}), which Java cannot reproduce; here that generator is seeded from
 * the seed, the example's index and the predictor's name, so the pick is still deterministic.
 *
 * <p>Errors (a failed run or a throwing metric) are logged and count as failed attempts; the
 * {@code maxErrors}-th error fails the compilation with that error (DSPy's default is 10). The metric runs on
 * the thread that delivered the prediction: keep it non-blocking.
 *
 * <pre>{@code
 * BootstrapFewShot optimizer = BootstrapFewShot.builder()
 *     .metric(Metrics.exactMatch("answer"))
 *     .maxBootstrappedDemos(4)
 *     .maxLabeledDemos(16)
 *     .build();
 * ChainOfThought compiled = optimizer.compile(ChainOfThought.of("question -> answer"), trainset).block();
 * }</pre>
 */
public final class BootstrapFewShot implements Teleprompter {

    private static final Logger LOG = LoggerFactory.getLogger(BootstrapFewShot.class);

    private final @Nullable Metric metric;
    private final @Nullable Double metricThreshold;
    private final int maxBootstrappedDemos;
    private final int maxLabeledDemos;
    private final int maxRounds;
    private final int maxErrors;
    private final @Nullable Program teacher;
    private final int concurrency;
    private final long seed;

    private BootstrapFewShot(Builder b) {
        this.metric = b.metric;
        this.metricThreshold = b.metricThreshold;
        this.maxBootstrappedDemos = b.maxBootstrappedDemos;
        this.maxLabeledDemos = b.maxLabeledDemos;
        this.maxRounds = b.maxRounds;
        this.maxErrors = b.maxErrors;
        this.teacher = b.teacher;
        this.concurrency = b.concurrency;
        this.seed = b.seed;
    }

    /** @return a builder with DSPy's defaults (4 bootstrapped, 16 labeled, 1 round, 10 errors, seed 0) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder preset with this optimizer's settings */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.metric = metric;
        b.metricThreshold = metricThreshold;
        b.maxBootstrappedDemos = maxBootstrappedDemos;
        b.maxLabeledDemos = maxLabeledDemos;
        b.maxRounds = maxRounds;
        b.maxErrors = maxErrors;
        b.teacher = teacher;
        b.concurrency = concurrency;
        b.seed = seed;
        return b;
    }

    @Override
    public <P extends Program> Mono<P> compile(P student, List<Example> trainset) {
        Programs.requireArg(student, "student");
        List<Example> train = Programs.trainset(trainset, "trainset");
        return Mono.defer(() -> {
            P reset = Programs.sameType(student, student.reset());
            Program teach = prepareTeacher(student, train);
            Programs.checkSameStructure(reset, teach);
            Run run = new Run(teach, train);
            return run.bootstrap().then(Mono.fromCallable(() -> run.train(student, reset)));
        }).name("dspex.bootstrap");
    }

    private Program prepareTeacher(Program student, List<Example> train) {
        if (teacher != null && Programs.hasDemos(teacher)) {
            return teacher.copy(); // already compiled: used as it is
        }
        Program base = teacher != null ? teacher : student;
        if (maxLabeledDemos > 0) {
            return LabeledFewShot.builder().k(maxLabeledDemos).seed(seed).build().compileNow(base, train);
        }
        return base.copy();
    }

    /** One compilation's state; outcomes are applied one at a time, in training-set order. */
    private final class Run {
        private final Program teacher;
        private final List<Example> train;
        private final Set<Integer> bootstrapped = new HashSet<>();
        private final Map<String, List<Example>> name2traces = new LinkedHashMap<>();
        private int attempts;
        private int errors;
        private int lastExample = -1;

        Run(Program teacher, List<Example> train) {
            this.teacher = teacher;
            this.train = train;
            for (String name : teacher.namedPredictors().keySet()) {
                name2traces.put(name, new ArrayList<>());
            }
        }

        Mono<Void> bootstrap() {
            if (maxBootstrappedDemos == 0 || train.isEmpty()) {
                return Mono.empty();
            }
            // In training-set order, as DSPy's sequential loop applies them; runs still overlap.
            return BoundedRunner.run(Flux.fromIterable(train), (i, example) -> runExample(i), concurrency, true)
                    .<Void>handle(this::arrived)
                    .then(Mono.fromRunnable(() -> LOG.info("Bootstrapped {} full traces after {} examples for up to "
                            + "{} rounds, amounting to {} attempts.", bootstrapped.size(), lastExample + 1,
                            maxRounds, attempts)));
        }

        /** Applies one example's outcome; outcomes arrive in training-set order. */
        private void arrived(BoundedRunner.Indexed<List<Attempt>> outcome, SynchronousSink<Void> sink) {
            if (bootstrapped.size() >= maxBootstrappedDemos) {
                sink.complete();
                return;
            }
            int index = outcome.index();
            lastExample = index;
            for (Attempt a : outcome.value()) {
                attempts++;
                if (a.error != null) {
                    errors++;
                    if (errors >= maxErrors) {
                        sink.error(a.error);
                        return;
                    }
                    LOG.error("Failed to run or to evaluate training example {} ({}): {}", index,
                            train.get(index), a.error.toString());
                } else if (a.success) {
                    bootstrapped.add(index);
                    a.demos.forEach((name, demos) -> name2traces.get(name).addAll(demos));
                    break;
                }
            }
            if (bootstrapped.size() >= maxBootstrappedDemos) {
                sink.complete();
            }
        }

        /** Runs the rounds of one example until one counts. */
        private Mono<List<Attempt>> runExample(int index) {
            return Flux.range(0, maxRounds)
                    .concatMap(round -> attempt(index, round))
                    .takeUntil(a -> a.success)
                    .collectList();
        }

        private Mono<Attempt> attempt(int index, int round) {
            return Mono.defer(() -> {
                Example example = train.get(index);
                Program withoutExample = withoutDemo(teacher, example);
                Map<Object, String> names = new IdentityHashMap<>();
                withoutExample.namedPredictors().forEach((n, p) -> names.put(p, n));
                Trace trace = new Trace();
                Mono<Prediction> call = withoutExample.forward(example.inputs())
                        .switchIfEmpty(Mono.error(() -> new IllegalStateException(
                                "the teacher completed without a prediction for training example " + index)));
                if (round > 0) {
                    call = call.contextWrite(Settings.empty().withConfig(CallConfig.empty().withTemperature(1.0)
                            .withRolloutId(Integer.toString(round))).asContext());
                }
                return call.contextWrite(trace::attach)
                        .map(prediction -> judge(index, example, prediction, trace.entries(), names))
                        .onErrorResume(e -> {
                            Exceptions.throwIfJvmFatal(e);
                            return Mono.just(new Attempt(false, Map.of(), e));
                        });
            });
        }

        private Attempt judge(int index, Example example, Prediction prediction, List<Trace.Entry> entries,
                              Map<Object, String> names) {
            boolean success;
            if (metric == null) {
                success = true;
            } else {
                double score = metric.score(example, prediction, entries);
                success = metricThreshold != null && metricThreshold != 0.0
                        ? score >= metricThreshold
                        : score != 0.0 && !Double.isNaN(score);
            }
            if (!success) {
                return new Attempt(false, Map.of(), null);
            }
            Map<String, List<Example>> byName = new LinkedHashMap<>();
            for (Trace.Entry e : entries) {
                String name = names.get(e.predictor());
                if (name == null) {
                    continue; // a predictor outside the teacher's named predictors, as DSPy skips it
                }
                Map<String, Object> demo = new LinkedHashMap<>();
                demo.put("augmented", true);
                demo.putAll(e.inputs());
                demo.putAll(e.prediction().toMap());
                byName.computeIfAbsent(name, n -> new ArrayList<>()).add(Example.of(demo));
            }
            Map<String, List<Example>> chosen = new LinkedHashMap<>();
            byName.forEach((name, demos) -> {
                if (demos.size() > 1) {
                    PythonRandom rng = new PythonRandom(Objects.hash(seed, index, name));
                    Example pick = rng.random() < 0.5 ? rng.choice(demos.subList(0, demos.size() - 1))
                            : demos.get(demos.size() - 1);
                    chosen.put(name, List.of(pick));
                } else {
                    chosen.put(name, demos);
                }
            });
            return new Attempt(true, chosen, null);
        }

        <P extends Program> P train(P student, P reset) {
            List<Example> validation = new ArrayList<>();
            for (int i = 0; i < train.size(); i++) {
                if (!bootstrapped.contains(i)) {
                    validation.add(train.get(i));
                }
            }
            new PythonRandom(seed).shuffle(validation);
            PythonRandom rng = new PythonRandom(seed);
            List<Example> raw = validation;
            Map<String, Predictor> replaced = new LinkedHashMap<>();
            for (Map.Entry<String, Predictor> e : reset.namedPredictors().entrySet()) {
                List<Example> traces = name2traces.getOrDefault(e.getKey(), List.of());
                List<Example> augmented = traces.subList(0, Math.min(maxBootstrappedDemos, traces.size()));
                int size = Math.max(0, Math.min(maxLabeledDemos - augmented.size(), raw.size()));
                raw = rng.sample(raw, size);
                List<Example> demos = new ArrayList<>(augmented);
                demos.addAll(raw);
                replaced.put(e.getKey(), e.getValue().withDemos(demos));
            }
            return Programs.sameType(student, reset.withNamedPredictors(replaced));
        }
    }

    /** The teacher with {@code example} removed from every predictor's demos (compared by values, as DSPy does). */
    private static Program withoutDemo(Program teacher, Example example) {
        Map<String, Predictor> replaced = new LinkedHashMap<>();
        teacher.namedPredictors().forEach((name, p) -> {
            List<Example> kept = new ArrayList<>();
            for (Example d : p.demos()) {
                if (!d.toMap().equals(example.toMap())) {
                    kept.add(d);
                }
            }
            replaced.put(name, p.withDemos(kept));
        });
        return teacher.withNamedPredictors(replaced);
    }

    private record Attempt(boolean success, Map<String, List<Example>> demos, @Nullable Throwable error) {
    }

    @Override
    public String toString() {
        return "BootstrapFewShot(maxBootstrappedDemos=" + maxBootstrappedDemos + ", maxLabeledDemos="
                + maxLabeledDemos + ", maxRounds=" + maxRounds + ", seed=" + seed + ")";
    }

    /** Configures a {@link BootstrapFewShot}; defaults are DSPy's. */
    public static final class Builder {
        private @Nullable Metric metric;
        private @Nullable Double metricThreshold;
        private int maxBootstrappedDemos = 4;
        private int maxLabeledDemos = 16;
        private int maxRounds = 1;
        private int maxErrors = 10;
        private @Nullable Program teacher;
        private int concurrency = 8;
        private long seed;

        private Builder() {
        }

        /**
         * @param metric judges each teacher run, seeing its trace; null (the default) accepts every run
         * @return this builder
         */
        public Builder metric(@Nullable Metric metric) {
            this.metric = metric;
            return this;
        }

        /**
         * @param threshold the least score that counts; null or 0 (the default) means any non-zero score counts,
         *                  as in DSPy
         * @return this builder
         * @throws IllegalArgumentException when NaN
         */
        public Builder metricThreshold(@Nullable Double threshold) {
            if (threshold != null && threshold.isNaN()) {
                throw new IllegalArgumentException("metricThreshold must not be NaN");
            }
            this.metricThreshold = threshold;
            return this;
        }

        /**
         * @param n the most bootstrapped demos per predictor, at least 0 (default 4)
         * @return this builder
         */
        public Builder maxBootstrappedDemos(int n) {
            this.maxBootstrappedDemos = atLeast(n, 0, "maxBootstrappedDemos");
            return this;
        }

        /**
         * @param n the most demos per predictor in total, at least 0 (default 16)
         * @return this builder
         */
        public Builder maxLabeledDemos(int n) {
            this.maxLabeledDemos = atLeast(n, 0, "maxLabeledDemos");
            return this;
        }

        /**
         * @param n the most attempts per training example, at least 1 (default 1)
         * @return this builder
         */
        public Builder maxRounds(int n) {
            this.maxRounds = atLeast(n, 1, "maxRounds");
            return this;
        }

        /**
         * @param n the error count that fails the compilation, at least 1 (default 10)
         * @return this builder
         */
        public Builder maxErrors(int n) {
            this.maxErrors = atLeast(n, 1, "maxErrors");
            return this;
        }

        /**
         * @param teacher the program that produces the traces; same predictor names and signatures as the student.
         *                One that holds demos counts as compiled and is used as it is; otherwise it is given
         *                {@link LabeledFewShot} demos. Null (the default): the student.
         * @return this builder
         */
        public Builder teacher(@Nullable Program teacher) {
            this.teacher = teacher;
            return this;
        }

        /**
         * @param n the most teacher runs in flight at once, at least 1 (default 8)
         * @return this builder
         */
        public Builder concurrency(int n) {
            this.concurrency = atLeast(n, 1, "concurrency");
            return this;
        }

        /**
         * @param seed the seed of the shuffle and samples (default 0, DSPy's)
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @return the optimizer */
        public BootstrapFewShot build() {
            return new BootstrapFewShot(this);
        }

        private static int atLeast(int n, int min, String what) {
            if (n < min) {
                throw new IllegalArgumentException(what + " must be at least " + min + ", got " + n);
            }
            return n;
        }
    }
}

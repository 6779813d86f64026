package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Program;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.Metric;
import io.dspex.internal.PythonRandom;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Bootstraps several candidate programs and keeps the one that scores best on a validation set (DSPy's
 * {@code BootstrapFewShotWithRandomSearch}). Candidates follow DSPy's seeds, in order: {@code -3} the zero-shot
 * student, {@code -2} {@link LabeledFewShot} demos only, {@code -1} a {@link BootstrapFewShot} on the training
 * set as given, then for seeds {@code 0 .. numCandidatePrograms-1} a bootstrap on the training set shuffled by
 * {@code random.Random(seed)} with {@code random.Random(seed).randint(1, maxBootstrappedDemos)} bootstrapped
 * demos. Each is scored with {@link Evaluate} on the validation set (the training set when none is given); the
 * first candidate with the highest score wins; the search stops early once a candidate's mean per-example score reaches
 * {@code stopAtMeanScore} (the metric's own scale, as {@code metricThreshold} is).
 * Candidates run one after another (each bootstrap and evaluation runs in parallel inside).
 *
 * <pre>{@code
 * RandomSearchResult<Predict> result = BootstrapFewShotWithRandomSearch.builder()
 *     .metric(Metrics.exactMatch("answer"))
 *     .numCandidatePrograms(8)
 *     .build()
 *     .search(Predict.of("question -> answer"), trainset, valset)
 *     .block();
 * }</pre>
 */
public final class BootstrapFewShotWithRandomSearch implements Teleprompter {

    private static final Logger LOG = LoggerFactory.getLogger(BootstrapFewShotWithRandomSearch.class);

    private final Metric metric;
    private final BootstrapFewShot base;
    private final int maxBootstrappedDemos;
    private final int maxLabeledDemos;
    private final int numCandidatePrograms;
    private final int concurrency;
    private final int maxErrors;
    private final @Nullable Double stopAtMeanScore;
    private final boolean labeledSample;
    private final long seed;

    private BootstrapFewShotWithRandomSearch(Builder b) {
        this.metric = b.metric;
        this.base = b.bootstrap.build();
        this.maxBootstrappedDemos = b.maxBootstrappedDemos;
        this.maxLabeledDemos = b.maxLabeledDemos;
        this.numCandidatePrograms = b.numCandidatePrograms;
        this.concurrency = b.concurrency;
        this.maxErrors = b.maxErrors;
        this.stopAtMeanScore = b.stopAtMeanScore;
        this.labeledSample = b.labeledSample;
        this.seed = b.seed;
    }

    /** @return a builder with DSPy's defaults (4 bootstrapped, 16 labeled, 16 candidates); a metric is required */
    public static Builder builder() {
        return new Builder();
    }

    /** Searches with the training set as validation set and returns the best program. */
    @Override
    public <P extends Program> Mono<P> compile(P student, List<Example> trainset) {
        return search(student, trainset, null).map(RandomSearchResult::best);
    }

    /**
     * Evaluates every candidate, lazily.
     *
     * @param student  the program to improve (unchanged)
     * @param trainset the training examples, input keys marked
     * @param valset   the validation examples; null to validate on the training set (as DSPy does)
     * @param <P>      the program type
     * @return a {@code Mono} of every candidate's score and the best program
     * @throws IllegalArgumentException when the student or training set is null or an example has no input keys
     */
    public <P extends Program> Mono<RandomSearchResult<P>> search(P student, List<Example> trainset,
                                                                  @Nullable List<Example> valset) {
        Programs.requireArg(student, "student");
        List<Example> train = Programs.trainset(trainset, "trainset");
        List<Example> val = valset == null ? train : Programs.trainset(valset, "valset");
        if (val.isEmpty()) {
            throw new IllegalArgumentException("the validation set (or the training set when no valset is given) "
                    + "must not be empty");
        }
        Evaluate evaluate = Evaluate.builder().devset(val).metric(metric).concurrency(concurrency)
                .maxErrors(maxErrors).displayProgress(false).build();
        return Mono.defer(() -> {
            List<RandomSearchResult.Candidate<P>> done = new ArrayList<>();
            return Flux.range(-3, numCandidatePrograms + 3)
                    .concatMap(s -> candidate(s, student, train)
                            .flatMap(program -> evaluate.run(program)
                                    .map(r -> new RandomSearchResult.Candidate<>(s, program, r.score(), r))))
                    .doOnNext(c -> {
                        done.add(c);
                        LOG.info("Candidate seed {}: score {} (best so far {})", c.seed(), c.score(),
                                done.stream().mapToDouble(RandomSearchResult.Candidate::score).max().orElse(0));
                    })
                    .takeUntil(c -> stopAtMeanScore != null && meanScore(c.evaluation()) >= stopAtMeanScore)
                    .then(Mono.fromCallable(() -> result(done)));
        }).name("dspex.randomSearch");
    }

    private static <P extends Program> RandomSearchResult<P> result(List<RandomSearchResult.Candidate<P>> done) {
        RandomSearchResult.Candidate<P> best = done.get(0);
        for (RandomSearchResult.Candidate<P> c : done) {
            if (c.score() > best.score()) {
                best = c;
            }
        }
        return new RandomSearchResult<>(best.program(), best.score(), done);
    }

    private <P extends Program> Mono<P> candidate(int s, P student, List<Example> train) {
        if (s == -3) {
            return Mono.fromCallable(() -> Programs.sameType(student, student.reset()));
        }
        if (s == -2) {
            return LabeledFewShot.builder().k(maxLabeledDemos).sample(labeledSample).seed(seed).build().compile(student, train);
        }
        List<Example> shuffled = new ArrayList<>(train);
        int size = maxBootstrappedDemos;
        if (s >= 0) {
            new PythonRandom(seed + s).shuffle(shuffled);
            size = (int) new PythonRandom(seed + s).randint(Math.min(1, maxBootstrappedDemos), maxBootstrappedDemos);
        }
        return bootstrap(size).compile(student, shuffled);
    }

    /** The bootstrap of one candidate: a fresh optimizer with this search's settings and the given size. */
    BootstrapFewShot bootstrap(int maxBootstrapped) {
        return base.toBuilder().maxBootstrappedDemos(maxBootstrapped).build();
    }

    private static double meanScore(EvaluationResult r) {
        return r.rows().isEmpty() ? 0 : r.scoreSum() / r.rows().size();
    }

    @Override
    public String toString() {
        return "BootstrapFewShotWithRandomSearch(candidates=" + numCandidatePrograms + ", maxBootstrappedDemos="
                + maxBootstrappedDemos + ", maxLabeledDemos=" + maxLabeledDemos + ")";
    }

    /** Configures a {@link BootstrapFewShotWithRandomSearch}; defaults are DSPy's. */
    public static final class Builder {
        /** Holds and checks the settings each candidate's bootstrap shares. */
        private final BootstrapFewShot.Builder bootstrap = BootstrapFewShot.builder();
        private @Nullable Metric metric;
        private int maxBootstrappedDemos = 4;
        private int maxLabeledDemos = 16;
        private int numCandidatePrograms = 16;
        private int concurrency = 8;
        private int maxErrors = 10;
        private @Nullable Double stopAtMeanScore;
        private boolean labeledSample = true;
        private long seed;

        private Builder() {
        }

        /**
         * @param metric scores bootstraps (with their trace) and candidates (required)
         * @return this builder
         */
        public Builder metric(Metric metric) {
            bootstrap.metric(metric);
            this.metric = metric;
            return this;
        }

        /**
         * @param threshold see {@link BootstrapFewShot.Builder#metricThreshold}
         * @return this builder
         */
        public Builder metricThreshold(@Nullable Double threshold) {
            bootstrap.metricThreshold(threshold);
            return this;
        }

        /**
         * @param n the most bootstrapped demos (and the top of the random sizes), at least 0
         * @return this
         */
        public Builder maxBootstrappedDemos(int n) {
            bootstrap.maxBootstrappedDemos(n);
            this.maxBootstrappedDemos = n;
            return this;
        }

        /**
         * @param n the most demos per predictor, at least 0
         * @return this builder
         */
        public Builder maxLabeledDemos(int n) {
            bootstrap.maxLabeledDemos(n);
            this.maxLabeledDemos = n;
            return this;
        }

        /**
         * @param n attempts per training example in each bootstrap, at least 1
         * @return this builder
         */
        public Builder maxRounds(int n) {
            bootstrap.maxRounds(n);
            return this;
        }

        /**
         * @param n shuffled bootstrap candidates after the three fixed ones, at least 0
         * @return this builder
         */
        public Builder numCandidatePrograms(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("numCandidatePrograms must be at least 0, got " + n);
            }
            this.numCandidatePrograms = n;
            return this;
        }

        /**
         * @param n the most runs in flight in each bootstrap and evaluation, at least 1
         * @return this builder
         */
        public Builder concurrency(int n) {
            bootstrap.concurrency(n);
            this.concurrency = n;
            return this;
        }

        /**
         * @param n errors that fail a bootstrap or an evaluation, at least 1 (default 10)
         * @return this builder
         */
        public Builder maxErrors(int n) {
            bootstrap.maxErrors(n);
            this.maxErrors = n;
            return this;
        }

        /**
         * Stops the search early (DSPy's {@code stop_at_score}, which is in percent). Here it is on the metric's own
         * scale, like {@link #metricThreshold}: the mean of the per-example scores, e.g. {@code 0.9} for a 0-1 metric
         * (DSPy's {@code stop_at_score=90}).
         *
         * @param meanScore stop once a candidate's mean per-example score is at least this; null never stops early
         * @return this
         * @throws IllegalArgumentException when NaN or infinite
         */
        public Builder stopAtMeanScore(@Nullable Double meanScore) {
            if (meanScore != null && !Double.isFinite(meanScore)) {
                throw new IllegalArgumentException("stopAtMeanScore must be a finite number, got " + meanScore);
            }
            this.stopAtMeanScore = meanScore;
            return this;
        }

        /**
         * @param teacher see {@link BootstrapFewShot.Builder#teacher}
         * @return this builder
         */
        public Builder teacher(Program teacher) {
            bootstrap.teacher(teacher);
            return this;
        }

        /**
         * @param sample whether the labeled-only candidate samples (default) or takes the first k
         * @return this
         */
        public Builder labeledSample(boolean sample) {
            this.labeledSample = sample;
            return this;
        }

        /**
         * @param seed added to every candidate seed for the shuffles, and the seed of each bootstrap (default 0,
         *             which reproduces DSPy)
         * @return this builder
         */
        public Builder seed(long seed) {
            bootstrap.seed(seed);
            this.seed = seed;
            return this;
        }

        /**
         * @return the optimizer
         * @throws IllegalArgumentException when no metric was set
         */
        public BootstrapFewShotWithRandomSearch build() {
            if (metric == null) {
                throw new IllegalArgumentException("BootstrapFewShotWithRandomSearch needs a metric");
            }
            return new BootstrapFewShotWithRandomSearch(this);
        }
    }
}

package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.Trace;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationRow;
import io.dspex.evaluate.FeedbackMetric;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.ProgressListener;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.internal.PythonRandom;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.predict.Settings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Stochastic introspective mini-batch ascent (DSPy's {@code dspy.SIMBA}): finds the training examples on which the
 * program's runs disagree most, and improves the program there, by appending a successful run as demos or a
 * self-written rule to the instructions.
 *
 * <pre>{@code
 * Simba simba = Simba.builder().metric(Metrics.exactMatch("answer")).bsize(16).maxSteps(6).seed(0).build();
 * ChainOfThought improved = simba.compile(ChainOfThought.of("question -> answer"), trainset).block();
 * }</pre>
 *
 * <p>Each of {@code maxSteps} steps, as in DSPy 3.3:
 * <ol>
 *   <li>takes the next {@code bsize} training examples (shuffled, reshuffled when they run out);</li>
 *   <li>runs each of them {@code numCandidates} times, each time with a program drawn from the best
 *       {@code numCandidates} so far (and always the student) by a softmax over their average minibatch scores at
 *       {@code temperatureForSampling}, at temperature 1.0 and a rollout id per repetition (so cached answers are
 *       not replayed), recording each run's {@link io.dspex.Trace} and score;</li>
 *   <li>sorts the examples by the gap between their best and worst run (then the best score, then the best minus
 *       the average);</li>
 *   <li>for each example in that order, until {@code numCandidates + 1} candidates are built: draws a source
 *       program by softmax at {@code temperatureForCandidates}, drops some demos (a Poisson draw around
 *       {@code demos / maxDemos}, at least one once {@code maxDemos} is reached), and applies a strategy drawn at
 *       random: {@code append_a_demo} (the best run's calls become one demo per predictor, unless it scored at or
 *       below the batch's 10th percentile) or {@code append_a_rule} (the prompt model contrasts the best and the
 *       worst run with DSPy's {@code OfferFeedback} prompt and its advice is appended to each predictor's
 *       instructions, unless the best is at or below the 10th percentile or the worst at or above the 90th);
 *       without demos allowed ({@code maxDemos} 0), rules only;</li>
 *   <li>scores the candidates on the minibatch, keeps the best one as that step's winner, and adds all to the
 *       pool.</li>
 * </ol>
 * Finally up to {@code numCandidates + 1} winners, evenly spread over the steps, are scored on the whole training
 * set with {@link Evaluate}, and the best is returned.
 *
 * <p><b>Seeds.</b> DSPy's {@code random.Random(seed)} draws are {@link PythonRandom}'s, and its NumPy draws (the
 * Poisson count of dropped demos) are NumPy's {@code default_rng(seed)} bit for bit, so with a deterministic LM a
 * run makes DSPy's choices. Runs go in parallel ({@code concurrency}); their results are used in order.
 *
 * <p><b>What differs from DSPy.</b> {@code OfferFeedback}'s {@code program_code} is the program's Java class and
 * its predictors by path (Java has no source at run time; DSPy sends the class's Python source). A metric may be a
 * plain {@link Metric} or a {@link FeedbackMetric}: the latter's feedback reaches the prompt model as the reward
 * info ({@code {"feedback": ...}}), as a DSPy metric returning {@code dspy.Prediction(score=..., feedback=...)}
 * does. A run or metric that fails scores 0. A strategy that fails (the prompt model's call or reply) drops that
 * candidate, as in DSPy.
 */
public final class Simba implements Teleprompter {

    private static final Logger LOG = LoggerFactory.getLogger(Simba.class);

    private final FeedbackMetric metric;
    private final boolean withFeedback;
    private final int bsize;
    private final int numCandidates;
    private final int maxSteps;
    private final int maxDemos;
    private final double temperatureForSampling;
    private final double temperatureForCandidates;
    private final long seed;
    private final @Nullable LanguageModel promptModel;
    private final int concurrency;
    private final boolean displayProgress;
    private final @Nullable ProgressListener progressListener;

    private Simba(Builder b) {
        this.metric = b.metric;
        this.withFeedback = b.withFeedback;
        this.bsize = b.bsize;
        this.numCandidates = b.numCandidates;
        this.maxSteps = b.maxSteps;
        this.maxDemos = b.maxDemos;
        this.temperatureForSampling = b.temperatureForSampling;
        this.temperatureForCandidates = b.temperatureForCandidates;
        this.seed = b.seed;
        this.promptModel = b.promptModel;
        this.concurrency = b.concurrency;
        this.displayProgress = b.displayProgress;
        this.progressListener = b.progressListener;
    }

    /** @return a builder with DSPy's defaults (bsize 32, 6 candidates, 8 steps, 4 demos, temperatures 0.2) */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs SIMBA and returns the best finalist (see {@link #optimize} for the whole result).
     *
     * @throws IllegalArgumentException when an argument is null, the trainset is smaller than {@code bsize} or has
     *                                  an example without input keys, or the program has no predictors
     */
    @Override
    public <P extends Program> Mono<P> compile(P student, List<Example> trainset) {
        return optimize(student, trainset).map(SimbaResult::best);
    }

    /**
     * Runs SIMBA, lazily: nothing runs until the returned {@code Mono} is subscribed, and each subscription is an
     * independent run. The student is never changed.
     *
     * @param student  the program to improve
     * @param trainset the training examples, at least {@code bsize}, input keys marked
     * @param <P>      the program's type
     * @return a {@code Mono} of the result
     * @throws IllegalArgumentException as {@link #compile}
     */
    public <P extends Program> Mono<SimbaResult<P>> optimize(P student, List<Example> trainset) {
        Programs.requireArg(student, "student");
        List<Example> train = Programs.trainset(trainset, "trainset");
        if (train.size() < bsize) {
            throw new IllegalArgumentException("Trainset too small: " + train.size() + " < " + bsize
                    + " (SIMBA's bsize); use a smaller bsize or more training examples");
        }
        if (student.namedPredictors().isEmpty()) {
            throw new IllegalArgumentException("SIMBA improves a program's predictors, and "
                    + student.getClass().getName() + " has none");
        }
        return Mono.deferContextual(ctx -> new Run<>(student, train, firstRolloutId(ctx)).run()).name("dspex.simba");
    }

    /** DSPy's {@code lm.kwargs.get("rollout_id", 0)}: the configured rollout id when it is a number, else 0. */
    private static int firstRolloutId(ContextView ctx) {
        String id = Settings.global().config().overriddenBy(Settings.fromContext(ctx).config()).rolloutId();
        if (id != null) {
            try {
                return Integer.parseInt(id.strip());
            } catch (NumberFormatException notANumber) {
                return 0;
            }
        }
        return 0;
    }

    @Override
    public String toString() {
        return "Simba(bsize=" + bsize + ", numCandidates=" + numCandidates + ", maxSteps=" + maxSteps + ", maxDemos="
                + maxDemos + ", seed=" + seed + ")";
    }

    /** One optimization run's state, changed by one step at a time. */
    private final class Run<P extends Program> {
        private final P student;
        private final List<Example> train;
        private final int firstRollout;
        private final PythonRandom rng;
        private final NumpyRandom numpy;
        private final List<P> programs = new ArrayList<>();
        private final List<List<Double>> programScores = new ArrayList<>();
        private final List<P> winners = new ArrayList<>();
        private final List<SimbaResult.Step> steps = new ArrayList<>();
        private final List<Integer> dataIndices = new ArrayList<>();
        private final List<String> strategies;
        private int instanceIdx;
        private int failures;

        Run(P student, List<Example> train, int firstRollout) {
            this.student = student;
            this.train = train;
            this.firstRollout = firstRollout;
            this.rng = new PythonRandom(seed);
            this.numpy = new NumpyRandom(Math.abs(seed));
            this.strategies = maxDemos > 0 ? List.of("append_a_demo", "append_a_rule") : List.of("append_a_rule");
        }

        Mono<SimbaResult<P>> run() {
            P base = Programs.sameType(student, student.copy());
            programs.add(base);
            programScores.add(List.of());
            winners.add(base);
            for (int i = 0; i < train.size(); i++) {
                dataIndices.add(i);
            }
            rng.shuffle(dataIndices);
            return Flux.range(0, maxSteps).concatMap(this::step).then(Mono.defer(this::finish));
        }

        // ------------------------------------------------------------ one step

        private Mono<Void> step(int step) {
            return Mono.defer(() -> {
                LOG.info("Starting batch {} of {}.", step + 1, maxSteps);
                if (instanceIdx + bsize > train.size()) {
                    rng.shuffle(dataIndices);
                    instanceIdx = 0;
                }
                List<Example> batch = new ArrayList<>(bsize);
                for (int i = instanceIdx; i < instanceIdx + bsize; i++) {
                    batch.add(train.get(dataIndices.get(i)));
                }
                instanceIdx += bsize;
                List<Integer> top = topKPlusBaseline(numCandidates);
                List<Rollouts.Job> jobs = new ArrayList<>(numCandidates * bsize);
                Map<Object, String> names = new IdentityHashMap<>();
                for (int m = 0; m < numCandidates; m++) {
                    Function<Context, Context> model = Settings.empty().withConfig(CallConfig.empty()
                            .withTemperature(1.0).withRolloutId(Integer.toString(firstRollout + m))).asContext();
                    for (Example example : batch) {
                        P chosen = programs.get(softmaxSample(top, temperatureForSampling));
                        chosen.namedPredictors().forEach((name, p) -> names.put(p, name));
                        jobs.add(new Rollouts.Job(chosen, example, model));
                    }
                }
                LOG.info("Sampling program trajectories on {} examples x {} samples.", bsize, numCandidates);
                return Rollouts.run(jobs, this::score, concurrency, 0.0)
                        .flatMap(outputs -> candidates(step, outputs, names))
                        .flatMap(candidates -> scoreCandidates(step, batch, candidates));
            });
        }

        private @Nullable ScoreWithFeedback score(Example example, Prediction prediction, List<Trace.Entry> trace) {
            return metric.score(example, prediction);
        }

        private Mono<List<P>> candidates(int step, List<Rollouts.Rollout> outputs, Map<Object, String> names) {
            double[] all = new double[outputs.size()];
            double total = 0;
            for (int i = 0; i < all.length; i++) {
                all[i] = outputs.get(i).score();
                total += all[i];
                if (outputs.get(i).failed()) {
                    failures++;
                }
            }
            double p10 = percentile(all, 10);
            double p90 = percentile(all, 90);
            List<Bucket> buckets = new ArrayList<>();
            for (int idx = 0; idx < bsize; idx++) {
                List<SimbaStrategies.Outcome> bucket = new ArrayList<>();
                for (int i = idx; i < outputs.size(); i += bsize) {
                    Rollouts.Rollout r = outputs.get(i);
                    bucket.add(new SimbaStrategies.Outcome(r, rewardInfo(r)));
                }
                bucket.sort(Comparator.comparingDouble((SimbaStrategies.Outcome o) -> o.score).reversed());
                double max = bucket.get(0).score;
                double min = bucket.get(bucket.size() - 1).score;
                double sum = 0;
                for (SimbaStrategies.Outcome o : bucket) {
                    sum += o.score;
                }
                double avg = sum / bucket.size();
                buckets.add(new Bucket(bucket, max - min, max, max - avg));
            }
            buckets.sort(Comparator.comparingDouble(Bucket::maxToMinGap).thenComparingDouble(Bucket::maxScore)
                    .thenComparingDouble(Bucket::maxToAvgGap).reversed());
            double baseline = total / all.length;
            LOG.info("Batch {}: Baseline mini-batch score: {}", step + 1, baseline);
            steps.add(new SimbaResult.Step(baseline, List.of()));
            return Flux.fromIterable(buckets)
                    .concatMap(b -> candidate(step, b, names, p10, p90))
                    .take(numCandidates + 1)
                    .collectList();
        }

        private Map<String, @Nullable Object> rewardInfo(Rollouts.Rollout r) {
            Map<String, @Nullable Object> info = new LinkedHashMap<>();
            if (withFeedback && r.result() != null) {
                info.put("feedback", r.result().feedback());
            }
            return info;
        }

        /** Builds one candidate from a bucket; completes empty when its strategy failed. */
        private Mono<P> candidate(int step, Bucket bucket, Map<Object, String> names, double p10, double p90) {
            return Mono.defer(() -> {
                int src = softmaxSample(topKPlusBaseline(numCandidates), temperatureForCandidates);
                P source = programs.get(src);
                Map<String, Predictor> predictors = new LinkedHashMap<>(source.namedPredictors());
                int numDemos = 0;
                for (Predictor p : predictors.values()) {
                    numDemos = Math.max(numDemos, p.demos().size());
                }
                int maxDemosTmp = maxDemos > 0 ? maxDemos : 3;
                long drop = Math.max(numpy.poisson((double) numDemos / maxDemosTmp), numDemos >= maxDemosTmp ? 1 : 0);
                drop = Math.min(drop, numDemos);
                Set<Integer> toDrop = new HashSet<>();
                for (long k = 0; k < drop; k++) {
                    toDrop.add((int) rng.randbelow(numDemos));
                }
                if (!toDrop.isEmpty()) {
                    predictors.replaceAll((name, p) -> {
                        List<Example> kept = new ArrayList<>();
                        for (int i = 0; i < p.demos().size(); i++) {
                            if (!toDrop.contains(i)) {
                                kept.add(p.demos().get(i));
                            }
                        }
                        return p.withDemos(kept);
                    });
                }
                String strategy = rng.choice(strategies);
                LOG.info("Batch {}: Invoking strategy: {}{}", step + 1, strategy,
                        drop > 0 ? ", having dropped " + drop + " demos per predictor" : "");
                P system = Programs.sameType(student, source.withNamedPredictors(predictors));
                Mono<Map<String, Predictor>> changed = strategy.equals("append_a_demo")
                        ? Mono.fromCallable(() -> SimbaStrategies.appendADemo(bucket.outcomes(), predictors, names,
                                p10))
                        : SimbaStrategies.appendARule(bucket.outcomes(), system, predictors, names, p10, p90,
                                promptModel);
                return changed.map(ps -> Programs.sameType(student, source.withNamedPredictors(ps)))
                        .onErrorResume(e -> {
                            Exceptions.throwIfJvmFatal(e);
                            LOG.error("Strategy failed with error: {}", e.toString());
                            return Mono.empty();
                        });
            });
        }

        private Mono<Void> scoreCandidates(int step, List<Example> batch, List<P> candidates) {
            List<Rollouts.Job> jobs = new ArrayList<>(candidates.size() * batch.size());
            for (P c : candidates) {
                for (Example e : batch) {
                    jobs.add(new Rollouts.Job(c, e, null));
                }
            }
            LOG.info("Batch {}: Evaluating {} programs on {} examples.", step + 1, candidates.size(), bsize);
            return Rollouts.run(jobs, this::score, concurrency, 0.0).doOnNext(outputs -> {
                List<Double> averages = new ArrayList<>();
                for (int c = 0; c < candidates.size(); c++) {
                    List<Double> scores = new ArrayList<>(bsize);
                    double sum = 0;
                    for (int i = c * bsize; i < (c + 1) * bsize; i++) {
                        scores.add(outputs.get(i).score());
                        sum += outputs.get(i).score();
                        if (outputs.get(i).failed()) {
                            failures++;
                        }
                    }
                    averages.add(sum / bsize);
                    programs.add(candidates.get(c));
                    programScores.add(scores);
                }
                LOG.info("Scores after {} batches: {}, Best: {}", step + 1, averages,
                        averages.isEmpty() ? "N/A" : averages.stream().mapToDouble(Double::doubleValue).max()
                                .getAsDouble());
                if (!averages.isEmpty()) {
                    int best = 0;
                    for (int c = 1; c < averages.size(); c++) {
                        if (averages.get(c) > averages.get(best)) {
                            best = c;
                        }
                    }
                    winners.add(candidates.get(best));
                }
                SimbaResult.Step s = steps.remove(steps.size() - 1);
                steps.add(new SimbaResult.Step(s.baselineScore(), averages));
                progress(step + 1);
            }).then();
        }

        // ------------------------------------------------------------ the end

        private Mono<SimbaResult<P>> finish() {
            int m = winners.size() - 1;
            int n = numCandidates + 1;
            Set<Integer> picked = new LinkedHashSet<>();
            for (int i = 0; i < n; i++) {
                picked.add(m < 1 ? 0 : (int) Math.rint((double) i * m / (n - 1)));
            }
            List<P> finalists = new ArrayList<>();
            picked.forEach(i -> finalists.add(winners.get(i)));
            LOG.info("VALIDATION: Evaluating {} programs on the full trainset.", finalists.size());
            Evaluate evaluate = Evaluate.builder().devset(train).metric(metric.asMetric()).concurrency(concurrency)
                    .maxErrors(Evaluate.UNLIMITED_ERRORS).displayProgress(displayProgress).build();
            return Flux.fromIterable(finalists)
                    .concatMap(p -> evaluate.run(p).map(r -> {
                        double sum = 0;
                        for (EvaluationRow row : r.rows()) {
                            sum += row.score();
                        }
                        return sum / r.rows().size();
                    }))
                    .collectList()
                    .map(scores -> {
                        int best = 0;
                        for (int i = 1; i < scores.size(); i++) {
                            if (scores.get(i) > scores.get(best)) {
                                best = i;
                            }
                        }
                        List<SimbaResult.Scored<P>> ranked = new ArrayList<>();
                        for (int i = 0; i < finalists.size(); i++) {
                            ranked.add(new SimbaResult.Scored<>(scores.get(i), finalists.get(i)));
                        }
                        ranked.sort(Comparator.comparingDouble((SimbaResult.Scored<P> s) -> s.score()).reversed());
                        LOG.info("Final trainset scores: {}, Best: {} (at index {})", scores, scores.get(best), best);
                        return new SimbaResult<>(finalists.get(best), scores.get(best), ranked, steps);
                    });
        }

        // ------------------------------------------------------------ helpers

        private double average(int idx) {
            List<Double> scores = programScores.get(idx);
            if (scores.isEmpty()) {
                return 0.0;
            }
            double sum = 0;
            for (double s : scores) {
                sum += s;
            }
            return sum / scores.size();
        }

        /** DSPy's {@code top_k_plus_baseline}: the k best by average (stably), with the student always in. */
        private List<Integer> topKPlusBaseline(int k) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < programs.size(); i++) {
                order.add(i);
            }
            order.sort(Comparator.comparingDouble((Integer i) -> average(i)).reversed());
            List<Integer> top = new ArrayList<>(order.subList(0, Math.min(k, order.size())));
            if (!top.contains(0) && !top.isEmpty()) {
                top.set(top.size() - 1, 0);
            }
            return new ArrayList<>(new LinkedHashSet<>(top));
        }

        /** DSPy's {@code softmax_sample}: {@code rng.choices} weighted by {@code exp(score / temperature)}. */
        private int softmaxSample(List<Integer> idxs, double temperature) {
            double[] exps = new double[idxs.size()];
            double sum = 0;
            for (int i = 0; i < exps.length; i++) {
                exps[i] = Math.exp(average(idxs.get(i)) / temperature);
                sum += exps[i];
            }
            if (sum <= 0) {
                return rng.choice(idxs);
            }
            double[] probs = new double[exps.length];
            for (int i = 0; i < exps.length; i++) {
                probs[i] = exps[i] / sum;
            }
            return Draws.weighted(rng, idxs, probs);
        }

        private void progress(int done) {
            if (progressListener == null) {
                return;
            }
            double best = 0;
            for (int i = 0; i < programs.size(); i++) {
                best = Math.max(best, average(i));
            }
            try {
                progressListener.onProgress(done, maxSteps, failures, 100.0 * best);
            } catch (RuntimeException e) {
                LOG.warn("progress listener threw; the optimization goes on", e);
            }
        }
    }

    private record Bucket(List<SimbaStrategies.Outcome> outcomes, double maxToMinGap, double maxScore,
                          double maxToAvgGap) {
    }

    /** {@code numpy.percentile(values, q)} with its default linear interpolation. */
    static double percentile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double virtual = (n - 1) * (q / 100.0);
        if (virtual >= n - 1) {
            return sorted[n - 1];
        }
        int previous = (int) Math.floor(virtual);
        double gamma = virtual - previous;
        double a = sorted[previous];
        double b = sorted[previous + 1];
        double diff = b - a;
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
    }

    /**
     * Configures a {@link Simba}. Required: a metric ({@link #metric(Metric)} or {@link #metric(FeedbackMetric)});
     * the other settings default as in DSPy.
     */
    public static final class Builder {
        private @Nullable FeedbackMetric metric;
        private boolean withFeedback;
        private int bsize = 32;
        private int numCandidates = 6;
        private int maxSteps = 8;
        private int maxDemos = 4;
        private double temperatureForSampling = 0.2;
        private double temperatureForCandidates = 0.2;
        private long seed;
        private @Nullable LanguageModel promptModel;
        private int concurrency = 8;
        private boolean displayProgress;
        private @Nullable ProgressListener progressListener;

        private Builder() {
        }

        /**
         * @param metric scores each run (higher is better)
         * @return this builder
         * @throws IllegalArgumentException when null
         */
        public Builder metric(Metric metric) {
            this.metric = FeedbackMetric.of(Programs.requireArg(metric, "metric"));
            this.withFeedback = false;
            return this;
        }

        /**
         * @param metric scores each run and explains the score; the explanation reaches the prompt model as the
         *               reward info when it writes rules
         * @return this builder
         * @throws IllegalArgumentException when null
         */
        public Builder metric(FeedbackMetric metric) {
            this.metric = Programs.requireArg(metric, "metric");
            this.withFeedback = true;
            return this;
        }

        /**
         * @param n training examples per step, at least 1 (default 32); the trainset must hold at least this many
         * @return this builder
         */
        public Builder bsize(int n) {
            this.bsize = atLeast(n, 1, "bsize");
            return this;
        }

        /**
         * @param n runs per example per step and candidates per step (plus one), at least 1 (default 6)
         * @return this builder
         */
        public Builder numCandidates(int n) {
            this.numCandidates = atLeast(n, 1, "numCandidates");
            return this;
        }

        /**
         * @param n optimization steps, at least 0 (default 8)
         * @return this builder
         */
        public Builder maxSteps(int n) {
            this.maxSteps = atLeast(n, 0, "maxSteps");
            return this;
        }

        /**
         * @param n the demos a predictor may hold before some are dropped, at least 0 (default 4); 0 disables
         *          {@code append_a_demo}
         * @return this builder
         */
        public Builder maxDemos(int n) {
            this.maxDemos = atLeast(n, 0, "maxDemos");
            return this;
        }

        /**
         * @param t the softmax temperature for picking which program runs each sample, above 0 (default 0.2)
         * @return this builder
         */
        public Builder temperatureForSampling(double t) {
            this.temperatureForSampling = positive(t, "temperatureForSampling");
            return this;
        }

        /**
         * @param t the softmax temperature for picking the source of each new candidate, above 0 (default 0.2)
         * @return this builder
         */
        public Builder temperatureForCandidates(double t) {
            this.temperatureForCandidates = positive(t, "temperatureForCandidates");
            return this;
        }

        /**
         * @param seed the seed of the run's generators (default 0, DSPy's)
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param lm the model that writes rules ({@code OfferFeedback}); null (the default): the Settings' LM
         * @return this builder
         */
        public Builder promptModel(@Nullable LanguageModel lm) {
            this.promptModel = lm;
            return this;
        }

        /**
         * @param n the most runs in flight at once (DSPy's {@code num_threads}), at least 1 (default 8)
         * @return this builder
         */
        public Builder concurrency(int n) {
            this.concurrency = atLeast(n, 1, "concurrency");
            return this;
        }

        /**
         * @param display whether the final evaluations show {@link Evaluate}'s progress display (default false)
         * @return this builder
         */
        public Builder displayProgress(boolean display) {
            this.displayProgress = display;
            return this;
        }

        /**
         * @param listener told after each step: steps done, {@code maxSteps}, failed runs so far, and the best
         *                 average minibatch score of the pool in percent; null for none
         * @return this builder
         */
        public Builder progressListener(@Nullable ProgressListener listener) {
            this.progressListener = listener;
            return this;
        }

        /**
         * @return the optimizer
         * @throws IllegalStateException when no metric was given
         */
        public Simba build() {
            if (metric == null) {
                throw new IllegalStateException("SIMBA needs a metric: call metric(...)");
            }
            return new Simba(this);
        }

        private static int atLeast(int n, int min, String what) {
            if (n < min) {
                throw new IllegalArgumentException(what + " must be at least " + min + ", got " + n);
            }
            return n;
        }

        private static double positive(double t, String what) {
            if (!(t > 0) || Double.isInfinite(t)) {
                throw new IllegalArgumentException(what + " must be a finite number above 0, got " + t);
            }
            return t;
        }
    }
}

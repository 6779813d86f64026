package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.Trace;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationRow;
import io.dspex.evaluate.FeedbackMetric;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.ProgressListener;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.internal.PyFormat;
import io.dspex.internal.PythonRandom;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import io.dspex.predict.RetryPolicy;
import io.dspex.predict.Settings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/**
 * Reflective prompt evolution (DSPy's {@code dspy.GEPA}, after Agrawal et al. 2025, "GEPA: Reflective Prompt
 * Evolution Can Outperform Reinforcement Learning"): a reflection LM reads what the program did on a few training
 * examples and what the metric said about it, and writes a better instruction for one predictor; a Pareto frontier
 * over the validation instances keeps every candidate that is best somewhere alive, so the search does not collapse
 * onto one line of descent. Only instructions change; demos are left as they are.
 *
 * <pre>{@code
 * FeedbackMetric metric = (example, pred) -> example.get("answer").equals(pred.get("answer"))
 *         ? new ScoreWithFeedback(1, "Correct.")
 *         : new ScoreWithFeedback(0, "Expected " + example.get("answer") + ". Small numbers are spelled out.");
 * Gepa gepa = Gepa.builder()
 *         .metric(metric)
 *         .reflectionLm(strongLm)
 *         .auto(Gepa.Auto.LIGHT)
 *         .valset(valset)
 *         .build();
 * ChainOfThought optimized = gepa.compile(ChainOfThought.of("question -> answer"), trainset).block();
 * }</pre>
 *
 * <p><b>The loop</b> (gepa 0.1.4's engine, as DSPy 3.3 drives it). The student is scored on the validation set
 * (the trainset when no valset is given). Then, while the budget lasts, each iteration:
 * <ol>
 *   <li>if a merge is due (after an accepted candidate, at most {@code maxMergeInvocations} times) tries to merge
 *       two frontier candidates that changed different predictors of a common ancestor, scores the merge on five
 *       validation instances and keeps it, scored on the whole validation set, when it does at least as well as
 *       both parents; a merge iteration does nothing else;</li>
 *   <li>otherwise selects a parent ({@code PARETO}: sampled from the frontier by how many instances each
 *       candidate is best on, dominated candidates removed; {@code CURRENT_BEST}: the best average) and the next
 *       {@code reflectionMinibatchSize} training examples (shuffled per epoch), and runs the parent on them,
 *       recording each run's {@link Trace};</li>
 *   <li>stops there when every run failed or, with {@code skipPerfectScore}, every score reached
 *       {@code perfectScore}; else takes the parent's next predictor in turn (round robin) and builds the
 *       reflective dataset: for each successful run, one call of that predictor (drawn with the run's second
 *       generator) with its inputs, its outputs and the metric's feedback about that predictor;</li>
 *   <li>sends GEPA's instruction-proposal prompt (the current instruction and the dataset as markdown, one user
 *       message) to the reflection LM and takes the text between the first and last triple backticks as the new
 *       instruction;</li>
 *   <li>runs the child on the same minibatch; if its summed score is strictly higher, scores it on the validation
 *       set and adds it to the candidates and the frontier.</li>
 * </ol>
 * The result is the candidate with the best average validation score.
 *
 * <p><b>Budget.</b> Given in metric calls (one per example a candidate runs on, as GEPA counts them; the extra
 * predictor-level feedback calls made while building a reflective dataset are not counted, as in GEPA):
 * {@code maxMetricCalls}, {@code maxFullEvals} ({@code n * (trainset + valset)}, or {@code n * trainset} without a
 * valset) or {@code auto} (DSPy's formula for 6, 12 or 18 candidates). It is <em>never exceeded</em>: gepa checks
 * the budget only between iterations and may overrun it within one (by up to two minibatches and a validation
 * pass); here every evaluation starts only when its calls fit in what is left, and the run stops at the first one
 * that does not (the reflection LM is not asked when the new candidate could not be scored; an accepted candidate
 * that could not be scored on the valset is dropped). So a run makes exactly gepa's calls when gepa stays within the
 * budget, and stops short where gepa would overrun it.
 *
 * <p><b>Seeds.</b> As in gepa, one {@code random.Random(seed)} drives parent selection, minibatches and merges, and
 * a second one the reflective dataset's draws; both are CPython's algorithm ({@link PythonRandom}), so with a
 * deterministic LM a run is reproducible and makes DSPy's choices, with two documented exceptions: gepa orders the
 * candidates of a frontier set by CPython's set layout (ascending here, which is the same while candidate indexes
 * stay small), and walks predictor names during a merge in hash order (program order here). Runs, minibatches and
 * validation passes go in parallel ({@code concurrency}); the results are consumed in order, so concurrency never
 * changes a result.
 *
 * <p><b>Documented behaviour on bad input.</b> No reflection LM, no budget or two budgets: {@link #builder()}'s
 * {@code build()} throws. A program without predictors, an empty trainset, or a budget smaller than one validation
 * pass: {@link #compile} throws an {@link IllegalArgumentException} saying so. A metric without feedback: DSPy's
 * default feedback ({@link ScoreWithFeedback#feedbackOrDefault()}). A metric or program that fails on an example:
 * that example scores {@code failureScore} and gives no reflective example. A reflection reply without an
 * instruction (blank after extraction; gepa would try the empty instruction): skipped and counted
 * ({@link GepaResult#repliesWithoutInstruction()}). A failed reflection call: logged, the iteration ends. A program
 * with one predictor always reflects on it; with many, in turn per candidate.
 */
public final class Gepa implements Teleprompter {

    /** DSPy's budget presets: how many candidates the {@code auto} budget formula plans for. */
    public enum Auto {
        /** 6 candidates: quick experiments. */
        LIGHT(6),
        /** 12 candidates. */
        MEDIUM(12),
        /** 18 candidates: a thorough search. */
        HEAVY(18);

        private final int candidates;

        Auto(int candidates) {
            this.candidates = candidates;
        }

        /** @return the number of candidates the budget formula plans for */
        public int candidates() {
            return candidates;
        }
    }

    /** How GEPA picks the candidate to mutate next. */
    public enum CandidateSelection {
        /** Sample from the Pareto frontier over validation instances, by how many instances each is best on. */
        PARETO,
        /** The candidate with the best average validation score (the first of equals). */
        CURRENT_BEST
    }

    private static final Logger LOG = LoggerFactory.getLogger(Gepa.class);
    /** gepa's {@code num_subsample_ids}: validation instances a merge is first tried on. */
    private static final int MERGE_SUBSAMPLE = 5;
    /** gepa's {@code merge_val_overlap_floor}: shared validation instances two parents need to be merged. */
    private static final int MERGE_OVERLAP_FLOOR = 5;

    private final FeedbackMetric metric;
    private final LanguageModel reflectionLm;
    private final @Nullable Auto auto;
    private final @Nullable Integer maxMetricCalls;
    private final @Nullable Integer maxFullEvals;
    private final int reflectionMinibatchSize;
    private final CandidateSelection candidateSelection;
    private final boolean skipPerfectScore;
    private final double perfectScore;
    private final double failureScore;
    private final boolean useMerge;
    private final int maxMergeInvocations;
    private final long seed;
    private final boolean trackStats;
    private final @Nullable List<Example> valset;
    private final int concurrency;
    private final boolean displayProgress;
    private final @Nullable ProgressListener progressListener;

    private Gepa(Builder b) {
        this.metric = b.metric;
        this.reflectionLm = b.reflectionLm;
        this.auto = b.auto;
        this.maxMetricCalls = b.maxMetricCalls;
        this.maxFullEvals = b.maxFullEvals;
        this.reflectionMinibatchSize = b.reflectionMinibatchSize;
        this.candidateSelection = b.candidateSelection;
        this.skipPerfectScore = b.skipPerfectScore;
        this.perfectScore = b.perfectScore;
        this.failureScore = b.failureScore;
        this.useMerge = b.useMerge;
        this.maxMergeInvocations = b.maxMergeInvocations;
        this.seed = b.seed;
        this.trackStats = b.trackStats;
        this.valset = b.valset;
        this.concurrency = b.concurrency;
        this.displayProgress = b.displayProgress;
        this.progressListener = b.progressListener;
    }

    /**
     * @return a builder with DSPy's defaults (minibatch 3, {@code PARETO}, skip perfect scores, merge up to 5
     *         times, seed 0); {@code metric}, {@code reflectionLm} and one budget are required
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs GEPA and returns the best program on the validation set (see {@link #optimize} for the whole result).
     *
     * @throws IllegalArgumentException when an argument is null, the trainset is empty or has an example without
     *                                  input keys, the program has no predictors, or the budget is smaller than
     *                                  one validation pass
     */
    @Override
    public <P extends Program> Mono<P> compile(P student, List<Example> trainset) {
        return optimize(student, trainset).map(GepaResult::best);
    }

    /**
     * Runs GEPA, lazily: nothing runs until the returned {@code Mono} is subscribed, and each subscription is an
     * independent run. The student is never changed.
     *
     * @param student  the program whose predictors' instructions to evolve
     * @param trainset the examples reflection minibatches are drawn from, input keys marked
     * @param <P>      the program's type
     * @return a {@code Mono} of the result: the best program, the budget used, and with {@code trackStats} every
     *         candidate, its scores, the frontier and the lineage
     * @throws IllegalArgumentException as {@link #compile}
     */
    public <P extends Program> Mono<GepaResult<P>> optimize(P student, List<Example> trainset) {
        Programs.requireArg(student, "student");
        List<Example> train = Programs.trainset(trainset, "trainset");
        if (train.isEmpty()) {
            throw new IllegalArgumentException("GEPA needs a non-empty trainset");
        }
        List<String> names = List.copyOf(student.namedPredictors().keySet());
        if (names.isEmpty()) {
            throw new IllegalArgumentException("GEPA evolves the instructions of a program's predictors, and "
                    + student.getClass().getName() + " has none: build the program from Predict, ChainOfThought or a "
                    + "Module that registers them");
        }
        List<Example> val = valset != null ? valset : train;
        int budget = budget(names.size(), train.size(), valset == null ? null : valset.size());
        if (budget < val.size()) {
            throw new IllegalArgumentException("GEPA's budget of " + budget + " metric calls"
                    + (auto != null ? " (auto " + auto + ")" : maxFullEvals != null ? " (maxFullEvals "
                    + maxFullEvals + ")" : "") + " is smaller than one evaluation of the "
                    + (valset != null ? "valset" : "trainset, used as the valset,") + " (" + val.size()
                    + " examples): raise the budget or use a smaller valset");
        }
        return Mono.defer(() -> new Run<>(student, train, val, names, budget).run()).name("dspex.gepa");
    }

    /** The budget in metric calls, from whichever of auto, maxFullEvals and maxMetricCalls is set. */
    int budget(int numPredictors, int trainsetSize, @Nullable Integer valsetSize) {
        if (auto != null) {
            return autoBudget(Math.max(numPredictors, 1), auto.candidates(),
                    valsetSize != null ? valsetSize : trainsetSize);
        }
        if (maxFullEvals != null) {
            return Math.toIntExact((long) maxFullEvals * (trainsetSize + (valsetSize != null ? valsetSize : 0)));
        }
        return maxMetricCalls;
    }

    /** DSPy's {@code GEPA.auto_budget} with its defaults (minibatch 35, a full evaluation every 5 trials). */
    static int autoBudget(int numPredictors, int numCandidates, int valsetSize) {
        int minibatch = 35;
        int fullEvalSteps = 5;
        double log2 = Math.log(numCandidates) / Math.log(2);
        int trials = (int) Math.max(2 * (numPredictors * 2) * log2, 1.5 * numCandidates);
        long total = valsetSize;
        total += numCandidates * 5L;
        total += (long) trials * minibatch;
        if (trials == 0) {
            return Math.toIntExact(total);
        }
        int periodic = (trials + 1) / fullEvalSteps + 1;
        int extraFinal = trials < fullEvalSteps ? 1 : 0;
        total += (long) (periodic + extraFinal) * valsetSize;
        return Math.toIntExact(total);
    }

    @Override
    public String toString() {
        return "Gepa(" + (auto != null ? "auto=" + auto : maxFullEvals != null ? "maxFullEvals=" + maxFullEvals
                : "maxMetricCalls=" + maxMetricCalls) + ", reflectionMinibatchSize=" + reflectionMinibatchSize
                + ", candidateSelection=" + candidateSelection + ", useMerge=" + useMerge + ", seed=" + seed + ")";
    }

    /** One optimization run's state, changed by one step at a time. */
    private final class Run<P extends Program> {
        private final P student;
        private final List<Example> train;
        private final List<Example> val;
        private final List<String> names;
        private final int budget;
        private final PythonRandom rng;
        private final PythonRandom datasetRng;
        private final EpochShuffledSampler sampler;
        private final GepaMerge merges = new GepaMerge();

        private final List<Map<String, String>> candidates = new ArrayList<>();
        private final List<List<@Nullable Integer>> parents = new ArrayList<>();
        private final List<double[]> subscores = new ArrayList<>();
        private final List<Integer> nextComponent = new ArrayList<>();
        private final List<Integer> discovery = new ArrayList<>();
        private final double[] frontScore;
        private final List<SortedSet<Integer>> front = new ArrayList<>();

        private int iteration = -1;
        private int used;
        private int fullEvals;
        private int failures;
        private int withoutInstruction;
        private int mergesDue;
        private int mergesTested;
        private boolean foundNewProgram;
        private boolean warnedMismatch;
        private boolean stopped;

        Run(P student, List<Example> train, List<Example> val, List<String> names, int budget) {
            this.student = student;
            this.train = train;
            this.val = val;
            this.names = names;
            this.budget = budget;
            this.rng = new PythonRandom(seed);
            this.datasetRng = new PythonRandom(seed);
            this.sampler = new EpochShuffledSampler(reflectionMinibatchSize, rng);
            this.frontScore = new double[val.size()];
        }

        Mono<GepaResult<P>> run() {
            LOG.info("Running GEPA for up to {} metric calls of the program ({} predictor(s), {} training and {} "
                    + "validation examples).", budget, names.size(), train.size(), val.size());
            Map<String, String> seedCandidate = new LinkedHashMap<>();
            student.namedPredictors().forEach((name, p) -> seedCandidate.put(name, p.signature().instructions()));
            return scoreOnValset(seedCandidate, allIds(val.size()))
                    .doOnNext(scores -> {
                        used += scores.length;
                        fullEvals = 1;
                        add(seedCandidate, List.of(), scores, 0);
                        parents.set(0, Arrays.asList((Integer) null));
                        LOG.info("Iteration 0: Base program full valset score: {} over {} / {} examples",
                                average(0), val.size(), val.size());
                        progress();
                    })
                    .then(Mono.defer(this::iteration).repeat(() -> !stopped).then())
                    .then(Mono.fromCallable(this::result));
        }

        // ------------------------------------------------------------ one iteration

        private Mono<Void> iteration() {
            if (stopped || used >= budget) {
                stopped = true;
                return Mono.empty();
            }
            iteration++;
            if (useMerge && mergesDue > 0 && foundNewProgram) {
                foundNewProgram = false;
                GepaMerge.Attempt attempt = merges.attempt(averages(), rng, ParetoFront.dominators(front, averages()),
                        candidates, parents, (a, b) -> Math.min(subscores.get(a).length, subscores.get(b).length)
                                >= MERGE_OVERLAP_FLOOR);
                if (attempt != null) {
                    merges.performed(attempt);
                    LOG.info("Iteration {}: Merged programs {} and {} via ancestor {}", iteration + 1, attempt.id1(),
                            attempt.id2(), attempt.ancestor());
                    List<Integer> ids = GepaMerge.subsample(subscores.get(attempt.id1()),
                            subscores.get(attempt.id2()), rng, MERGE_SUBSAMPLE);
                    if (!ids.isEmpty()) {
                        return merge(attempt, ids);
                    }
                } else {
                    LOG.info("Iteration {}: No merge candidates found", iteration + 1);
                }
            }
            foundNewProgram = false;
            return reflect();
        }

        private Mono<Void> merge(GepaMerge.Attempt attempt, List<Integer> ids) {
            if (budget - used < ids.size()) {
                return stop("scoring a merge needs " + ids.size() + " metric calls");
            }
            return scoreOnValset(attempt.program(), ids).flatMap(after -> {
                used += ids.size();
                progress();
                double sum1 = 0;
                double sum2 = 0;
                double newSum = 0;
                for (int k = 0; k < ids.size(); k++) {
                    sum1 += subscores.get(attempt.id1())[ids.get(k)];
                    sum2 += subscores.get(attempt.id2())[ids.get(k)];
                    newSum += after[k];
                }
                if (newSum >= Math.max(sum1, sum2)) {
                    return addAfterValset(attempt.program(), List.of(attempt.id1(), attempt.id2())).doOnNext(idx -> {
                        mergesDue--;
                        mergesTested++;
                    }).then();
                }
                LOG.info("Iteration {}: New program subsample score {} is worse than both parents [{}, {}], "
                        + "skipping merge", iteration + 1, newSum, sum1, sum2);
                return Mono.empty();
            });
        }

        private Mono<Void> reflect() {
            int m = reflectionMinibatchSize;
            if (budget - used < m) {
                return stop("a minibatch needs " + m + " metric calls");
            }
            int parent = candidateSelection == CandidateSelection.PARETO
                    ? ParetoFront.select(front, averages(), rng) : bestIndex();
            List<Integer> ids = sampler.next(train.size(), iteration);
            Map<String, String> parentCandidate = candidates.get(parent);
            LOG.info("Iteration {}: Selected program {} score: {}", iteration + 1, parent, average(parent));
            return rollouts(parentCandidate, ids).flatMap(before -> {
                used += ids.size();
                progress();
                List<Rollouts.Rollout> trajectories = new ArrayList<>();
                for (Rollouts.Rollout r : before) {
                    if (!r.failed()) {
                        trajectories.add(r);
                    }
                }
                if (trajectories.isEmpty()) {
                    LOG.info("Iteration {}: No trajectories for parent {}. Skipping.", iteration + 1, parent);
                    return Mono.empty();
                }
                if (skipPerfectScore && before.stream().allMatch(r -> r.score() >= perfectScore)) {
                    LOG.info("Iteration {}: All subsample scores perfect for parent {}. Skipping.", iteration + 1,
                            parent);
                    return Mono.empty();
                }
                int pid = nextComponent.get(parent);
                nextComponent.set(parent, (pid + 1) % names.size());
                String component = names.get(pid);
                if (budget - used < m) {
                    return stop("scoring a new candidate on the minibatch needs " + m + " metric calls");
                }
                List<Map<String, Object>> dataset;
                try {
                    dataset = reflectiveDataset(parentCandidate, trajectories, component);
                } catch (RuntimeException e) {
                    LOG.info("Iteration {}: Exception building reflective dataset: {}", iteration + 1, e.toString());
                    return Mono.empty();
                }
                String current = parentCandidate.get(component);
                return propose(current, dataset).flatMap(instruction -> {
                    LOG.info("Iteration {}: Proposed new text for {}: {}", iteration + 1, component, instruction);
                    Map<String, String> child = new LinkedHashMap<>(parentCandidate);
                    child.put(component, instruction);
                    return rollouts(child, ids).flatMap(after -> {
                        used += ids.size();
                        progress();
                        double oldSum = sum(before);
                        double newSum = sum(after);
                        if (newSum > oldSum) {
                            LOG.info("Iteration {}: Accepted candidate (subsample score {} -> {}); running full eval.",
                                    iteration + 1, oldSum, newSum);
                            return addAfterValset(child, List.of(parent)).doOnNext(idx -> {
                                foundNewProgram = true;
                                if (mergesTested < maxMergeInvocations) {
                                    mergesDue++;
                                }
                            }).then();
                        }
                        LOG.info("Iteration {}: New subsample score {} is not better than old score {}, skipping",
                                iteration + 1, newSum, oldSum);
                        return Mono.empty();
                    });
                });
            });
        }

        private Mono<Void> stop(String why) {
            LOG.info("Iteration {}: stopping with {} of {} metric calls used: {}", iteration + 1, used, budget, why);
            stopped = true;
            return Mono.empty();
        }

        // ------------------------------------------------------------ reflection

        /** DSPy's {@code DspyAdapter.make_reflective_dataset} for one predictor. */
        private List<Map<String, Object>> reflectiveDataset(Map<String, String> candidate,
                                                            List<Rollouts.Rollout> trajectories, String name) {
            Predictor module = build(candidate).namedPredictors().get(name);
            List<Map<String, Object>> items = new ArrayList<>();
            for (Rollouts.Rollout r : trajectories) {
                List<Trace.Entry> instances = new ArrayList<>();
                for (Trace.Entry e : r.trace()) {
                    if (e.predictor() instanceof Predictor p && p.signature().equals(module.signature())) {
                        instances.add(e);
                    }
                }
                if (instances.isEmpty()) {
                    continue;
                }
                Trace.Entry selected = datasetRng.choice(instances);
                Map<String, String> inputs = new LinkedHashMap<>();
                selected.inputs().forEach((k, v) -> inputs.put(k, PyFormat.str(PyFormat.jsonable(v))));
                Map<String, String> outputs = new LinkedHashMap<>();
                selected.prediction().toMap().forEach((k, v) -> outputs.put(k, PyFormat.str(PyFormat.jsonable(v))));
                ScoreWithFeedback fb = metric.score(r.example(), r.prediction(), r.trace(), name, List.of(selected));
                if (fb == null) {
                    throw new IllegalStateException("the feedback metric returned null for predictor '" + name + "'");
                }
                if (fb.score() != r.score() && !warnedMismatch) {
                    warnedMismatch = true;
                    LOG.warn("The score returned by the metric with predictor '{}' ({}) differs from the program-level "
                            + "score ({}): either the metric is not deterministic or it scores predictors separately. "
                            + "GEPA uses only the feedback of a predictor-level call and keeps the program-level "
                            + "score.", name, fb.score(), r.score());
                }
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("Inputs", inputs);
                item.put("Generated Outputs", outputs);
                item.put("Feedback", fb.feedbackOrDefault());
                items.add(item);
            }
            if (items.isEmpty()) {
                LOG.warn("  No valid reflective examples found for {}", name);
                throw new IllegalStateException("No valid predictions found for any module.");
            }
            return items;
        }

        /** Asks the reflection LM; completes empty when the call fails or the reply holds no instruction. */
        private Mono<String> propose(String current, List<Map<String, Object>> dataset) {
            String prompt = InstructionProposal.prompt(current, dataset);
            return Mono.deferContextual(ctx -> {
                RetryPolicy retry = Settings.fromContext(ctx).retry();
                if (retry == null) {
                    retry = Settings.global().retry();
                }
                if (retry == null) {
                    retry = RetryPolicy.defaults();
                }
                LmRequest request = LmRequest.of(List.of(Message.user(prompt)), CallConfig.empty());
                return retry.apply(Mono.defer(() -> reflectionLm.call(request)));
            }).flatMap(response -> {
                List<String> texts = response.texts();
                String instruction = texts.isEmpty() ? "" : InstructionProposal.extract(texts.get(0));
                if (instruction.isBlank()) {
                    withoutInstruction++;
                    LOG.warn("Iteration {}: the reflection LM's reply holds no instruction; skipping it ({} so far)",
                            iteration + 1, withoutInstruction);
                    return Mono.<String>empty();
                }
                return Mono.just(instruction);
            }).onErrorResume(e -> {
                Exceptions.throwIfJvmFatal(e);
                LOG.warn("Iteration {}: the reflection LM call failed; no proposal this iteration: {}", iteration + 1,
                        e.toString());
                return Mono.empty();
            });
        }

        // ------------------------------------------------------------ evaluation

        private Mono<List<Rollouts.Rollout>> rollouts(Map<String, String> candidate, List<Integer> ids) {
            Program program = build(candidate);
            List<Rollouts.Job> jobs = new ArrayList<>(ids.size());
            for (int id : ids) {
                jobs.add(new Rollouts.Job(program, train.get(id), null));
            }
            return Rollouts.run(jobs, (example, prediction, trace) -> metric.score(example, prediction, trace, null,
                    null), concurrency, failureScore).doOnNext(rs -> rs.forEach(r -> {
                        if (r.failed()) {
                            failures++;
                        }
                    }));
        }

        /** DSPy's {@code Evaluate} of a candidate on some validation instances; one score per instance. */
        private Mono<double[]> scoreOnValset(Map<String, String> candidate, List<Integer> ids) {
            List<Example> devset = new ArrayList<>(ids.size());
            for (int id : ids) {
                devset.add(val.get(id));
            }
            Metric scoring = metric.asMetric();
            Evaluate evaluate = Evaluate.builder().devset(devset).metric(scoring).concurrency(concurrency)
                    .maxErrors(Evaluate.UNLIMITED_ERRORS).failureScore(failureScore).displayProgress(displayProgress)
                    .build();
            return evaluate.run(build(candidate)).map(result -> {
                double[] scores = new double[ids.size()];
                for (EvaluationRow row : result.rows()) {
                    scores[row.index()] = row.score();
                    if (row.failed()) {
                        failures++;
                    }
                }
                return scores;
            });
        }

        /** Scores an accepted candidate on the valset and adds it; when that does not fit the budget, stops. */
        private Mono<Integer> addAfterValset(Map<String, String> candidate, List<Integer> parentIds) {
            if (budget - used < val.size()) {
                return stop("scoring the accepted candidate on the valset needs " + val.size()
                        + " metric calls; it is dropped").then(Mono.empty());
            }
            return scoreOnValset(candidate, allIds(val.size())).map(scores -> {
                int before = used;
                used += scores.length;
                fullEvals++;
                int idx = add(candidate, parentIds, scores, before);
                if (idx == bestIndex()) {
                    LOG.info("Iteration {}: Found a better program on the valset with score {}.", iteration + 1,
                            average(idx));
                }
                progress();
                return idx;
            });
        }

        private int add(Map<String, String> candidate, List<Integer> parentIds, double[] scores, int discoveredAt) {
            int idx = candidates.size();
            candidates.add(Collections.unmodifiableMap(new LinkedHashMap<>(candidate)));
            int next = 0;
            for (int p : parentIds) {
                next = Math.max(next, nextComponent.get(p));
            }
            nextComponent.add(next);
            parents.add(new ArrayList<>(parentIds));
            subscores.add(scores);
            discovery.add(discoveredAt);
            for (int v = 0; v < scores.length; v++) {
                if (idx == 0 || scores[v] > frontScore[v]) {
                    frontScore[v] = scores[v];
                    SortedSet<Integer> only = new TreeSet<>();
                    only.add(idx);
                    if (front.size() > v) {
                        front.set(v, only);
                    } else {
                        front.add(only);
                    }
                } else if (scores[v] == frontScore[v]) {
                    front.get(v).add(idx);
                }
            }
            return idx;
        }

        private Program build(Map<String, String> candidate) {
            Map<String, Predictor> replaced = new LinkedHashMap<>();
            student.namedPredictors().forEach((name, p) -> {
                String text = candidate.get(name);
                replaced.put(name, text == null ? p : p.withSignature(p.signature().withInstructions(text)));
            });
            return Programs.sameType(student, student.withNamedPredictors(replaced));
        }

        // ------------------------------------------------------------ bookkeeping

        private double average(int p) {
            double[] s = subscores.get(p);
            if (s.length == 0) {
                return Double.NEGATIVE_INFINITY;
            }
            double sum = 0;
            for (double x : s) {
                sum += x;
            }
            return sum / s.length;
        }

        private List<Double> averages() {
            List<Double> out = new ArrayList<>(subscores.size());
            for (int p = 0; p < subscores.size(); p++) {
                out.add(average(p));
            }
            return out;
        }

        private int bestIndex() {
            int best = 0;
            for (int p = 1; p < subscores.size(); p++) {
                if (average(p) > average(best)) {
                    best = p;
                }
            }
            return best;
        }

        private void progress() {
            if (progressListener == null) {
                return;
            }
            try {
                progressListener.onProgress(used, budget, failures,
                        subscores.isEmpty() ? 0 : 100.0 * average(bestIndex()));
            } catch (RuntimeException e) {
                LOG.warn("progress listener threw; the optimization goes on", e);
            }
        }

        private GepaResult<P> result() {
            int best = bestIndex();
            P bestProgram = Programs.sameType(student, build(candidates.get(best)));
            LOG.info("GEPA finished: best candidate {} of {} with valset score {} after {} of {} metric calls.", best,
                    candidates.size(), average(best), used, budget);
            List<P> programs = new ArrayList<>();
            List<List<Integer>> lineage = new ArrayList<>();
            List<Double> aggregates = new ArrayList<>();
            List<List<Double>> perInstance = new ArrayList<>();
            List<Set<Integer>> frontier = new ArrayList<>();
            List<Integer> discovered = new ArrayList<>();
            if (trackStats) {
                for (int p = 0; p < candidates.size(); p++) {
                    programs.add(Programs.sameType(student, build(candidates.get(p))));
                    List<Integer> ps = new ArrayList<>();
                    for (Integer q : parents.get(p)) {
                        if (q != null) {
                            ps.add(q);
                        }
                    }
                    lineage.add(ps);
                    aggregates.add(average(p));
                    List<Double> s = new ArrayList<>();
                    for (double x : subscores.get(p)) {
                        s.add(x);
                    }
                    perInstance.add(s);
                }
                for (SortedSet<Integer> f : front) {
                    frontier.add(new TreeSet<>(f));
                }
                discovered.addAll(discovery);
            }
            return new GepaResult<>(bestProgram, best, average(best), used, budget, fullEvals, withoutInstruction,
                    programs, lineage, aggregates, perInstance, frontier, discovered);
        }
    }

    private static List<Integer> allIds(int n) {
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(i);
        }
        return ids;
    }

    private static double sum(List<Rollouts.Rollout> rollouts) {
        double s = 0;
        for (Rollouts.Rollout r : rollouts) {
            s += r.score();
        }
        return s;
    }

    /**
     * Configures a {@link Gepa}. Required: {@link #metric(FeedbackMetric)} (or a plain {@link #metric(Metric)}),
     * {@link #reflectionLm(LanguageModel)}, and exactly one budget: {@link #auto(Auto)},
     * {@link #maxMetricCalls(int)} or {@link #maxFullEvals(int)}.
     *
     * <p>Both {@code metric} overloads take a functional interface; give a lambda its type first
     * ({@code FeedbackMetric m = (example, pred) -> ...;}) or call {@code metric(FeedbackMetric.of(...))}.
     */
    public static final class Builder {
        private @Nullable FeedbackMetric metric;
        private @Nullable LanguageModel reflectionLm;
        private @Nullable Auto auto;
        private @Nullable Integer maxMetricCalls;
        private @Nullable Integer maxFullEvals;
        private int reflectionMinibatchSize = 3;
        private CandidateSelection candidateSelection = CandidateSelection.PARETO;
        private boolean skipPerfectScore = true;
        private double perfectScore = 1.0;
        private double failureScore = 0.0;
        private boolean useMerge = true;
        private int maxMergeInvocations = 5;
        private long seed;
        private boolean trackStats;
        private @Nullable List<Example> valset;
        private int concurrency = 8;
        private boolean displayProgress;
        private @Nullable ProgressListener progressListener;

        private Builder() {
        }

        /**
         * @param metric scores each run and explains the score; GEPA shows the explanations to the reflection LM
         * @return this builder
         * @throws IllegalArgumentException when null
         */
        public Builder metric(FeedbackMetric metric) {
            this.metric = Programs.requireArg(metric, "metric");
            return this;
        }

        /**
         * @param metric a plain metric: its feedback is then DSPy's default, "This trajectory got a score of X."
         * @return this builder
         * @throws IllegalArgumentException when null
         */
        public Builder metric(Metric metric) {
            this.metric = FeedbackMetric.of(Programs.requireArg(metric, "metric"));
            return this;
        }

        /**
         * @param lm the model that reads the reflective dataset and writes new instructions (required; GEPA
         *           benefits from a strong model). It receives GEPA's prompt as one user message.
         * @return this builder
         * @throws IllegalArgumentException when null
         */
        public Builder reflectionLm(LanguageModel lm) {
            this.reflectionLm = Programs.requireArg(lm, "reflectionLm");
            return this;
        }

        /**
         * @param auto a budget preset, computed with DSPy's formula from the number of predictors and the
         *             validation set's size (e.g. {@code LIGHT} with one predictor and 8 validation examples: 412
         *             metric calls)
         * @return this builder
         * @throws IllegalArgumentException when null
         */
        public Builder auto(Auto auto) {
            this.auto = Programs.requireArg(auto, "auto");
            return this;
        }

        /**
         * @param n the budget in metric calls (one per example a candidate runs on), at least 1
         * @return this builder
         */
        public Builder maxMetricCalls(int n) {
            this.maxMetricCalls = atLeast(n, 1, "maxMetricCalls");
            return this;
        }

        /**
         * @param n the budget in full evaluations: {@code n * (trainset + valset)} metric calls, or
         *          {@code n * trainset} without a valset (DSPy's), at least 1
         * @return this builder
         */
        public Builder maxFullEvals(int n) {
            this.maxFullEvals = atLeast(n, 1, "maxFullEvals");
            return this;
        }

        /**
         * @param n training examples per reflection step, at least 1 (default 3)
         * @return this builder
         */
        public Builder reflectionMinibatchSize(int n) {
            this.reflectionMinibatchSize = atLeast(n, 1, "reflectionMinibatchSize");
            return this;
        }

        /**
         * @param strategy how to pick the candidate to mutate (default {@code PARETO})
         * @return this builder
         * @throws IllegalArgumentException when null
         */
        public Builder candidateSelectionStrategy(CandidateSelection strategy) {
            this.candidateSelection = Programs.requireArg(strategy, "candidateSelectionStrategy");
            return this;
        }

        /**
         * @param skip whether to skip reflecting when every minibatch score reached {@code perfectScore} (default
         *             true)
         * @return this builder
         */
        public Builder skipPerfectScore(boolean skip) {
            this.skipPerfectScore = skip;
            return this;
        }

        /**
         * @param score the metric's best possible score (default 1.0)
         * @return this builder
         */
        public Builder perfectScore(double score) {
            this.perfectScore = finite(score, "perfectScore");
            return this;
        }

        /**
         * @param score the score of an example whose program or metric failed (default 0.0)
         * @return this builder
         */
        public Builder failureScore(double score) {
            this.failureScore = finite(score, "failureScore");
            return this;
        }

        /**
         * @param merge whether to try merging frontier candidates after accepted ones (default true, as DSPy; it
         *              needs at least 5 validation examples)
         * @return this builder
         */
        public Builder useMerge(boolean merge) {
            this.useMerge = merge;
            return this;
        }

        /**
         * @param n the most merges tested, at least 0 (default 5)
         * @return this builder
         */
        public Builder maxMergeInvocations(int n) {
            this.maxMergeInvocations = atLeast(n, 0, "maxMergeInvocations");
            return this;
        }

        /**
         * @param seed the seed of the run's two generators (default 0, DSPy's)
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param track whether the result keeps every candidate, its scores, the frontier and the lineage (default
         *              false, as DSPy's {@code track_stats})
         * @return this builder
         */
        public Builder trackStats(boolean track) {
            this.trackStats = track;
            return this;
        }

        /**
         * @param valset the examples the Pareto frontier is kept over, input keys marked (copied); null (the
         *               default) uses the trainset, as DSPy does. Keep it as small as still represents the task.
         * @return this builder
         * @throws IllegalArgumentException when empty or an example is null or has no input keys
         */
        public Builder valset(@Nullable List<Example> valset) {
            if (valset == null) {
                this.valset = null;
                return this;
            }
            List<Example> copy = Programs.trainset(valset, "valset");
            if (copy.isEmpty()) {
                throw new IllegalArgumentException("valset must not be empty; pass null to use the trainset");
            }
            this.valset = List.copyOf(copy);
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
         * @param display whether each validation pass shows {@link Evaluate}'s progress display (default false)
         * @return this builder
         */
        public Builder displayProgress(boolean display) {
            this.displayProgress = display;
            return this;
        }

        /**
         * @param listener told after each evaluation step: metric calls used ({@code done}), the budget
         *                 ({@code total}), failed examples so far ({@code errors}) and the best average validation
         *                 score so far in percent; null for none
         * @return this builder
         */
        public Builder progressListener(@Nullable ProgressListener listener) {
            this.progressListener = listener;
            return this;
        }

        /**
         * @return the optimizer
         * @throws IllegalStateException when the metric or the reflection LM is missing, or not exactly one budget
         *                               is set
         */
        public Gepa build() {
            if (metric == null) {
                throw new IllegalStateException("GEPA needs a metric: call metric(...)");
            }
            if (reflectionLm == null) {
                throw new IllegalStateException("GEPA needs a reflection LM: call reflectionLm(...) with a strong "
                        + "model; it reads the program's runs and the metric's feedback and writes new instructions");
            }
            int budgets = (auto != null ? 1 : 0) + (maxMetricCalls != null ? 1 : 0) + (maxFullEvals != null ? 1 : 0);
            if (budgets != 1) {
                throw new IllegalStateException("exactly one of auto, maxMetricCalls and maxFullEvals must be set; got "
                        + "auto=" + auto + ", maxMetricCalls=" + maxMetricCalls + ", maxFullEvals=" + maxFullEvals);
            }
            return new Gepa(this);
        }

        private static int atLeast(int n, int min, String what) {
            if (n < min) {
                throw new IllegalArgumentException(what + " must be at least " + min + ", got " + n);
            }
            return n;
        }

        private static double finite(double x, String what) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException(what + " must be a finite number, got " + x);
            }
            return x;
        }
    }
}

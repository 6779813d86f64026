package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationException;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.ProgressListener;
import io.dspex.internal.PythonRandom;
import io.dspex.lm.LanguageModel;
import io.dspex.predict.Settings;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * Optimizes every predictor's instruction and demos together (DSPy's {@code MIPROv2}), in DSPy's three steps:
 *
 * <ol>
 *   <li><b>Demo candidates.</b> {@code numCandidates} demo sets per predictor, bootstrapped with DSPy's seeds with
 *       {@link BootstrapFewShot} and {@link LabeledFewShot}: none, labeled only, an unshuffled bootstrap, then
 *       bootstraps on shuffled training sets of random sizes. In zero-shot mode ({@code maxBootstrappedDemos} and
 *       {@code maxLabeledDemos} both 0) sets of up to 3 bootstrapped demos are still made, only to show the
 *       proposer.</li>
 *   <li><b>Instruction candidates.</b> DSPy's grounded proposer asks the prompt model for instructions in DSPy's
 *       {@code GenerateSingleModuleInstruction} prompt, grounded in a summary of the training set (DSPy's
 *       {@code DatasetDescriptor} prompts), a description of the program, a random tip from DSPy's list, and
 *       the predictor's bootstrapped demos. A Java program has no Python source to show: the program-aware
 *       proposer is shown pseudo-code written from the program's structure and signatures (one DSPy-style
 *       signature class per predictor and the module's predictors by path). Candidate 0 is the original
 *       instruction.</li>
 *   <li><b>Search.</b> The default program is evaluated on the whole validation set first. Then, per trial, a
 *       Tree-structured Parzen Estimator (Optuna's multivariate TPE, written for the JVM) picks one instruction
 *       and one demo set per predictor; the candidate is scored on a random minibatch of the validation set (or
 *       the whole set when minibatching is off), and every {@code minibatchFullEvalSteps} trials and at the end
 *       the candidate with the best mean minibatch score that was not yet fully evaluated is scored on the whole
 *       set. The best full score wins.</li>
 * </ol>
 *
 * <p>Defaults are DSPy's: {@code auto} {@link Auto#LIGHT}, 4 bootstrapped and 4 labeled demos, seed 9, minibatches
 * of 35, a full evaluation every 5 trials, temperature 1.0 for proposals, all proposer switches on. With
 * {@code auto} set, it fixes the number of candidates, the trials and the validation set's size as DSPy does; to
 * set {@code numCandidates} and {@code numTrials} yourself, leave {@code auto} unset (setting either turns it off).
 *
 * <p><b>Models.</b> The task model (default: the program's own LM) runs the program in the bootstraps and
 * evaluations; when set, it goes in the subscriber's {@link Settings} for those runs. The prompt model (default:
 * the LM the program uses) makes the proposals and the dataset summary.
 *
 * <p><b>Same seed, same choices as DSPy.</b> Every draw DSPy makes from {@code random.Random(seed)} (the validation
 * sample in auto mode, the demo-set shuffles and sizes, the tips and rollout ids, the minibatches) is made from
 * CPython's generator in the same order, and the TPE draws what Optuna 4.6 draws, so for the same data, seed and
 * LM answers the trials choose what DSPy's choose. Where DSPy would differ: DSPy asks the prompt model for a
 * proposal for demo set 0 and then throws it away (replaced by the original instruction); here that call is not
 * made (its random draws still are). When a full evaluation finds every minibatch-scored candidate already fully
 * evaluated, DSPy fails; here that full evaluation is skipped and logged.
 *
 * <p><b>Failures.</b> An evaluation that stops at {@code maxErrors} (an LM or metric failing) scores 0 for its
 * trial, as DSPy's {@code eval_candidate_program} does; the trial keeps the error. A proposal reply that cannot be
 * parsed is skipped (logged); a dataset summary that fails is left out (logged). Evaluations run concurrently
 * through {@link Evaluate} (at most {@code concurrency} examples at once); trials run one after another.
 *
 * <pre>{@code
 * MiproV2 mipro = MiproV2.builder()
 *     .metric(Metrics.exactMatch("answer"))
 *     .auto(MiproV2.Auto.LIGHT)
 *     .maxBootstrappedDemos(0).maxLabeledDemos(0)      // zero-shot: instructions only
 *     .promptModel(strongLm)
 *     .build();
 * ChainOfThought optimized = mipro.compile(ChainOfThought.of("question -> answer"), trainset).block();
 * }</pre>
 */
public final class MiproV2 implements Teleprompter {

    private static final Logger LOG = LoggerFactory.getLogger(MiproV2.class);
    /** DSPy's bootstrapped demos per set in zero-shot mode (shown to the proposer only). */
    static final int BOOTSTRAPPED_FEWSHOT_EXAMPLES_IN_CONTEXT = 3;
    private static final int MIN_MINIBATCH_SIZE = 50;

    /** DSPy's {@code auto} run settings. */
    public enum Auto {
        /** 6 candidates, a validation set of at most 100. */
        LIGHT(6, 100),
        /** 12 candidates, a validation set of at most 300. */
        MEDIUM(12, 300),
        /** 18 candidates, a validation set of at most 1000. */
        HEAVY(18, 1000);

        private final int candidates;
        private final int valSize;

        Auto(int candidates, int valSize) {
            this.candidates = candidates;
            this.valSize = valSize;
        }

        /** @return DSPy's {@code n}: demo-set candidates (and instruction candidates in zero-shot mode) */
        public int candidates() {
            return candidates;
        }

        /** @return the most validation examples used */
        public int valSize() {
            return valSize;
        }
    }

    private final Metric metric;
    private final @Nullable Auto auto;
    private final @Nullable Integer numCandidates;
    private final @Nullable Integer numTrials;
    private final int maxBootstrappedDemos;
    private final int maxLabeledDemos;
    private final boolean minibatch;
    private final int minibatchSize;
    private final int minibatchFullEvalSteps;
    private final @Nullable LanguageModel promptModel;
    private final @Nullable LanguageModel taskModel;
    private final @Nullable List<Example> valset;
    private final long seed;
    private final double initTemperature;
    private final boolean dataAware;
    private final boolean programAware;
    private final boolean tipAware;
    private final boolean fewshotAware;
    private final int viewDataBatchSize;
    private final @Nullable Double metricThreshold;
    private final int concurrency;
    private final int maxErrors;
    private final boolean displayProgress;
    private final @Nullable ProgressListener progressListener;

    private MiproV2(Builder b) {
        this.metric = b.metric;
        this.auto = b.auto;
        this.numCandidates = b.numCandidates;
        this.numTrials = b.numTrials;
        this.maxBootstrappedDemos = b.maxBootstrappedDemos;
        this.maxLabeledDemos = b.maxLabeledDemos;
        this.minibatch = b.minibatch;
        this.minibatchSize = b.minibatchSize;
        this.minibatchFullEvalSteps = b.minibatchFullEvalSteps;
        this.promptModel = b.promptModel;
        this.taskModel = b.taskModel;
        this.valset = b.valset;
        this.seed = b.seed;
        this.initTemperature = b.initTemperature;
        this.dataAware = b.dataAware;
        this.programAware = b.programAware;
        this.tipAware = b.tipAware;
        this.fewshotAware = b.fewshotAware;
        this.viewDataBatchSize = b.viewDataBatchSize;
        this.metricThreshold = b.metricThreshold;
        this.concurrency = b.concurrency;
        this.maxErrors = b.maxErrors;
        this.displayProgress = b.displayProgress;
        this.progressListener = b.progressListener;
    }

    /** @return a builder with DSPy's defaults; a metric is required */
    public static Builder builder() {
        return new Builder();
    }

    /** Optimizes and returns the best program. */
    @Override
    public <P extends Program> Mono<P> compile(P student, List<Example> trainset) {
        return optimize(student, trainset).map(MiproV2Result::best);
    }

    /**
     * Optimizes, lazily: nothing runs until subscription, and each subscription is an independent run with a
     * fresh generator seeded with the seed.
     *
     * @param student  the program to optimize (unchanged; its current instructions and demos are the default
     *                 candidate)
     * @param trainset the training set, input keys marked; without a {@code valset}, DSPy's split: the last 80%
     *                 (at most 1000) validate, the rest train
     * @param <P>      the program type
     * @return the result
     * @throws IllegalArgumentException when the student or training set is null, the training set is empty (or has
     *                                  fewer than 2 examples without a valset), the valset is empty, the program has
     *                                  no predictors, or a minibatch would be larger than the validation set
     */
    public <P extends Program> Mono<MiproV2Result<P>> optimize(P student, List<Example> trainset) {
        Programs.requireArg(student, "student");
        List<Example> train = Programs.trainset(trainset, "trainset");
        if (train.isEmpty()) {
            throw new IllegalArgumentException("trainset must not be empty");
        }
        if (student.namedPredictors().isEmpty()) {
            throw new IllegalArgumentException("the program has no predictors (" + student.getClass().getName()
                    + "): MIPROv2 has no instruction or demos to optimize");
        }
        List<Example> val;
        if (valset == null) {
            if (train.size() < 2) {
                throw new IllegalArgumentException("trainset must have at least 2 examples when no valset is given "
                        + "(MIPROv2 validates on the last 80%), got " + train.size());
            }
            int valSize = Math.min(1000, Math.max(1, (int) (train.size() * 0.80)));
            int cutoff = train.size() - valSize;
            val = List.copyOf(train.subList(cutoff, train.size()));
            train = List.copyOf(train.subList(0, cutoff));
        } else {
            val = valset;
        }
        int valSize = auto == null ? val.size() : Math.min(auto.valSize(), val.size());
        boolean useMinibatch = auto == null ? minibatch : valSize > MIN_MINIBATCH_SIZE;
        if (useMinibatch && minibatchSize > valSize) {
            throw new IllegalArgumentException("minibatchSize (" + minibatchSize + ") cannot exceed the size of the "
                    + "validation set (" + valSize + "): lower it or turn minibatch off");
        }
        List<Example> trainFinal = train;
        return Mono.defer(() -> new Run<>(student, trainFinal, val).run()).name("dspex.miprov2");
    }

    /** DSPy's {@code _set_num_trials_from_num_candidates}. */
    static int trialsFor(int predictors, boolean zeroshot, int candidates) {
        int vars = zeroshot ? predictors : predictors * 2;
        return (int) Math.max(2 * vars * (Math.log(candidates) / Math.log(2)), 1.5 * candidates);
    }

    /** One compilation's state; trials run one after another. */
    private final class Run<P extends Program> {
        private final P student;
        private final List<Example> train;
        private List<Example> val;
        private final PythonRandom rng = new PythonRandom(seed);
        private final boolean zeroshot = maxBootstrappedDemos == 0 && maxLabeledDemos == 0;
        private final List<String> paths;
        private final Function<Context, Context> taskContext;
        private boolean useMinibatch = minibatch;
        private int trials;
        private int instructionCandidateCount;
        private int demoCandidateCount;
        private Map<String, List<String>> instructions = Map.of();
        private Map<String, List<List<Example>>> demos = Map.of();
        private final List<MiproV2Result.Trial<P>> log = new ArrayList<>();
        private final Map<String, List<Scored<P>>> byParams = new LinkedHashMap<>();
        private final Set<String> fullyEvaluated = new HashSet<>();
        private @Nullable TpeSampler tpe;
        private P bestProgram;
        private double bestScore;
        private double defaultScore;
        private int evalCalls;
        private int errors;
        private int adjustedTrials;
        private int done;

        Run(P student, List<Example> train, List<Example> val) {
            this.student = student;
            this.train = train;
            this.val = val;
            this.paths = new ArrayList<>(student.namedPredictors().keySet());
            this.taskContext = taskModel == null ? Function.identity()
                    : Settings.empty().withLm(taskModel).asContext();
            this.bestProgram = student;
        }

        Mono<MiproV2Result<P>> run() {
            if (auto != null) {
                val = sample(val, auto.valSize());
                useMinibatch = val.size() > MIN_MINIBATCH_SIZE;
                instructionCandidateCount = zeroshot ? auto.candidates() : (int) (auto.candidates() * 0.5);
                demoCandidateCount = auto.candidates();
                trials = trialsFor(paths.size(), zeroshot, auto.candidates());
                LOG.info("RUNNING WITH THE FOLLOWING {} AUTO RUN SETTINGS: num_trials: {}, minibatch: {}, "
                                + "num_fewshot_candidates: {}, num_instruct_candidates: {}, valset size: {}", auto,
                        trials, useMinibatch, demoCandidateCount, instructionCandidateCount, val.size());
            } else {
                instructionCandidateCount = numCandidates;
                demoCandidateCount = numCandidates;
                trials = numTrials;
            }
            adjustedTrials = useMinibatch ? trials + trials / minibatchFullEvalSteps + 1
                    + (trials % minibatchFullEvalSteps != 0 ? 1 : 0) : trials;
            LOG.info("==> STEP 1: BOOTSTRAP FEWSHOT EXAMPLES <== Bootstrapping N={} sets of demonstrations...",
                    demoCandidateCount);
            DemoCandidates.Options options = new DemoCandidates.Options(metric, metricThreshold,
                    zeroshot ? BOOTSTRAPPED_FEWSHOT_EXAMPLES_IN_CONTEXT : maxBootstrappedDemos,
                    zeroshot ? 0 : maxLabeledDemos, maxErrors, concurrency);
            return DemoCandidates.create(student, demoCandidateCount, train, options, rng)
                    .contextWrite(taskContext)
                    .flatMap(sets -> propose(sets).map(proposed -> {
                        instructions = proposed;
                        demos = zeroshot ? Map.of() : sets;
                        return proposed;
                    }))
                    .then(Mono.defer(this::search));
        }

        private Mono<Map<String, List<String>>> propose(Map<String, List<List<Example>>> sets) {
            LOG.info("==> STEP 2: PROPOSE INSTRUCTION CANDIDATES <== Proposing N={} instructions...",
                    instructionCandidateCount);
            ProposalModel model = ProposalModel.of(promptModel, student);
            Mono<Optional<String>> summary = !dataAware ? Mono.just(Optional.empty())
                    : GroundedProposer.datasetSummary(model, train, viewDataBatchSize)
                    .map(Optional::of)
                    .onErrorResume(e -> {
                        LOG.warn("Error getting data summary: {}. Running without data aware proposer.",
                                e.toString());
                        return Mono.just(Optional.empty());
                    });
            GroundedProposer proposer = new GroundedProposer(model, initTemperature, programAware, fewshotAware,
                    tipAware, rng);
            return summary.flatMap(s -> proposer.propose(student, sets, instructionCandidateCount, s.orElse(null)))
                    .doOnNext(proposed -> proposed.forEach((path, list) -> {
                        StringBuilder sb = new StringBuilder();
                        for (int j = 0; j < list.size(); j++) {
                            sb.append("\n").append(j).append(": ").append(list.get(j));
                        }
                        LOG.info("Proposed instructions for predictor '{}':{}", path, sb);
                    }));
        }

        private Mono<MiproV2Result<P>> search() {
            LOG.info("==> STEP 3: FINDING OPTIMAL PROMPT PARAMETERS <== {} trials", adjustedTrials);
            Map<String, Integer> space = new LinkedHashMap<>();
            Map<String, Integer> defaults = new LinkedHashMap<>();
            for (int i = 0; i < paths.size(); i++) {
                space.put(i + "_predictor_instruction", instructions.get(paths.get(i)).size());
                defaults.put(i + "_predictor_instruction", 0);
                if (!demos.isEmpty()) {
                    space.put(i + "_predictor_demos", demos.get(paths.get(i)).size());
                    defaults.put(i + "_predictor_demos", 0);
                }
            }
            tpe = new TpeSampler(space, seed & 0xffffffffL);
            return evaluate(student, val.size()).flatMap(outcome -> {
                defaultScore = outcome.score;
                bestScore = outcome.score;
                evalCalls = val.size();
                record(new MiproV2Result.Trial<>(1, MiproV2Result.Kind.DEFAULT, choices(defaults, "instruction"),
                        choices(defaults, "demos"), outcome.score, val.size(), evalCalls, student,
                        outcome.evaluation, outcome.error));
                LOG.info("Default program score: {}", outcome.score);
                tpe.add(defaults, outcome.score);
                return Flux.range(0, trials).concatMap(i -> Mono.defer(this::trial)).then();
            }).then(Mono.fromSupplier(() -> {
                LOG.info("Returning best identified program with score {}!", bestScore);
                return new MiproV2Result<>(bestProgram, bestScore, defaultScore, instructions, demos, log);
            }));
        }

        private Mono<Void> trial() {
            TpeSampler.Ask ask = tpe.ask();
            int trialNum = ask.number() + 1;
            P candidate = candidate(ask.params());
            int batch = useMinibatch ? minibatchSize : val.size();
            return evaluate(candidate, batch).flatMap(outcome -> {
                evalCalls += batch;
                boolean full = batch >= val.size();
                if (!useMinibatch && outcome.score > bestScore) {
                    bestScore = outcome.score;
                    bestProgram = candidate;
                    LOG.info("Best full score so far! Score: {}", outcome.score);
                }
                MiproV2Result.Kind kind = full ? MiproV2Result.Kind.FULL : MiproV2Result.Kind.MINIBATCH;
                record(new MiproV2Result.Trial<>(trialNum, kind, choices(ask.params(), "instruction"),
                        choices(ask.params(), "demos"), outcome.score, batch, evalCalls, candidate,
                        outcome.evaluation, outcome.error));
                LOG.info("Trial {} / {}: score {} on {} with parameters {}; best full score so far: {}", trialNum,
                        adjustedTrials, outcome.score, full ? "the validation set" : "a minibatch of " + batch,
                        describe(ask.params()), bestScore);
                byParams.computeIfAbsent(key(ask.params()), k -> new ArrayList<>())
                        .add(new Scored<>(outcome.score, candidate, ask.params()));
                Mono<Void> fullEval = Mono.empty();
                if (useMinibatch && (trialNum % (minibatchFullEvalSteps + 1) == 0
                        || trialNum == adjustedTrials - 1)) {
                    fullEval = fullEvaluation(trialNum);
                }
                return fullEval.then(Mono.fromRunnable(() -> tpe.tell(ask, outcome.score)));
            });
        }

        /** DSPy's {@code _perform_full_evaluation}: the best mean minibatch candidate not yet fully evaluated. */
        private Mono<Void> fullEvaluation(int trialNum) {
            Scored<P> best = null;
            String bestKey = null;
            double bestMean = Double.NEGATIVE_INFINITY;
            for (Map.Entry<String, List<Scored<P>>> e : byParams.entrySet()) {
                double sum = 0;
                for (Scored<P> s : e.getValue()) {
                    sum += s.score;
                }
                double mean = sum / e.getValue().size();
                if (!fullyEvaluated.contains(e.getKey()) && (best == null || mean > bestMean)) {
                    best = e.getValue().get(0);
                    bestKey = e.getKey();
                    bestMean = mean;
                }
            }
            if (best == null) {
                LOG.warn("Trial {}: every candidate scored on a minibatch was already fully evaluated; skipping this "
                        + "full evaluation", trialNum + 1);
                return Mono.empty();
            }
            Scored<P> chosen = best;
            String chosenKey = bestKey;
            double mean = bestMean;
            LOG.info("===== Trial {} / {} - Full Evaluation ===== of the next top averaging program (Avg Score: {})",
                    trialNum + 1, adjustedTrials, mean);
            return evaluate(chosen.program, val.size()).doOnNext(outcome -> {
                tpe.add(chosen.params, outcome.score);
                fullyEvaluated.add(chosenKey);
                evalCalls += val.size();
                record(new MiproV2Result.Trial<>(trialNum + 1, MiproV2Result.Kind.FULL_EVALUATION,
                        choices(chosen.params, "instruction"), choices(chosen.params, "demos"), outcome.score,
                        val.size(), evalCalls, chosen.program, outcome.evaluation, outcome.error));
                if (outcome.score > bestScore) {
                    LOG.info("New best full eval score! Score: {}", outcome.score);
                    bestScore = outcome.score;
                    bestProgram = chosen.program;
                }
            }).then();
        }

        private void record(MiproV2Result.Trial<P> trial) {
            log.add(trial);
            errors += trial.evaluation().map(EvaluationResult::errorCount).orElse(0)
                    + (trial.error().isPresent() ? 1 : 0);
            done++;
            if (progressListener != null) {
                try {
                    progressListener.onProgress(done, useMinibatch ? adjustedTrials : trials + 1, errors, bestScore);
                } catch (RuntimeException e) {
                    LOG.warn("progress listener threw; the optimization goes on", e);
                }
            }
        }

        private P candidate(Map<String, Integer> params) {
            Map<String, Predictor> replaced = new LinkedHashMap<>();
            Map<String, Predictor> current = student.namedPredictors();
            for (int i = 0; i < paths.size(); i++) {
                String path = paths.get(i);
                Predictor p = current.get(path);
                String instruction = instructions.get(path).get(params.get(i + "_predictor_instruction"));
                Predictor changed = p.withSignature(p.signature().withInstructions(instruction));
                if (!demos.isEmpty()) {
                    changed = changed.withDemos(demos.get(path).get(params.get(i + "_predictor_demos")));
                }
                replaced.put(path, changed);
            }
            return Programs.sameType(student, student.withNamedPredictors(replaced));
        }

        private Map<String, Integer> choices(Map<String, Integer> params, String what) {
            Map<String, Integer> out = new LinkedHashMap<>();
            for (int i = 0; i < paths.size(); i++) {
                Integer v = params.get(i + "_predictor_" + what);
                if (v != null) {
                    out.put(paths.get(i), v);
                }
            }
            return out;
        }

        /** DSPy's {@code chosen_params} list, as its categorical key joins it. */
        private List<String> describe(Map<String, Integer> params) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < paths.size(); i++) {
                out.add("Predictor " + i + ": Instruction " + params.get(i + "_predictor_instruction"));
                Integer d = params.get(i + "_predictor_demos");
                if (d != null) {
                    out.add("Predictor " + i + ": Few-Shot Set " + d);
                }
            }
            return out;
        }

        private String key(Map<String, Integer> params) {
            return String.join(",", describe(params));
        }

        /** DSPy's {@code create_minibatch}: {@code rng.sample(range(n), min(size, n))}. */
        private List<Example> sample(List<Example> from, int size) {
            List<Integer> indices = new ArrayList<>(from.size());
            for (int i = 0; i < from.size(); i++) {
                indices.add(i);
            }
            List<Example> out = new ArrayList<>();
            for (int i : rng.sample(indices, Math.min(size, from.size()))) {
                out.add(from.get(i));
            }
            return out;
        }

        /** DSPy's {@code eval_candidate_program}: the whole set, or a fresh minibatch; a failure scores 0. */
        private Mono<Outcome> evaluate(Program program, int batch) {
            return Mono.defer(() -> {
                List<Example> devset = batch >= val.size() ? val : sample(val, batch);
                Evaluate evaluate = Evaluate.builder().devset(devset).metric(metric).concurrency(concurrency)
                        .maxErrors(maxErrors).displayProgress(displayProgress).build();
                return evaluate.run(program)
                        .contextWrite(taskContext)
                        .map(r -> new Outcome(r.score(), Optional.of(r), Optional.<Throwable>empty()))
                        .onErrorResume(EvaluationException.class, e -> {
                            LOG.error("An exception occurred during evaluation; the candidate scores 0: {}",
                                    e.getMessage());
                            return Mono.just(new Outcome(0.0, Optional.empty(), Optional.of(e)));
                        });
            });
        }
    }

    private record Outcome(double score, Optional<EvaluationResult> evaluation, Optional<Throwable> error) {
    }

    private record Scored<P>(double score, P program, Map<String, Integer> params) {
    }

    @Override
    public String toString() {
        return "MiproV2(auto=" + auto + ", numCandidates=" + numCandidates + ", numTrials=" + numTrials
                + ", maxBootstrappedDemos=" + maxBootstrappedDemos + ", maxLabeledDemos=" + maxLabeledDemos
                + ", seed=" + seed + ")";
    }

    /**
     * Configures a {@link MiproV2}; defaults are DSPy's. Required: {@link #metric}.
     *
     * <pre>{@code
     * MiproV2 explicit = MiproV2.builder().metric(m).numCandidates(7).numTrials(15).minibatch(false).build();
     * }</pre>
     */
    public static final class Builder {
        private @Nullable Metric metric;
        private @Nullable Auto auto = Auto.LIGHT;
        private boolean autoSet;
        private @Nullable Integer numCandidates;
        private @Nullable Integer numTrials;
        private int maxBootstrappedDemos = 4;
        private int maxLabeledDemos = 4;
        private boolean minibatch = true;
        private int minibatchSize = 35;
        private int minibatchFullEvalSteps = 5;
        private @Nullable LanguageModel promptModel;
        private @Nullable LanguageModel taskModel;
        private @Nullable List<Example> valset;
        private long seed = 9;
        private double initTemperature = 1.0;
        private boolean dataAware = true;
        private boolean programAware = true;
        private boolean tipAware = true;
        private boolean fewshotAware = true;
        private int viewDataBatchSize = 10;
        private @Nullable Double metricThreshold;
        private int concurrency = 8;
        private int maxErrors = 10;
        private boolean displayProgress;
        private @Nullable ProgressListener progressListener;

        private Builder() {
        }

        /**
         * @param metric scores bootstrapped runs (with their trace) and evaluations (required)
         * @return this builder
         */
        public Builder metric(Metric metric) {
            this.metric = Programs.requireArg(metric, "metric");
            return this;
        }

        /**
         * @param auto DSPy's run size ({@link Auto#LIGHT} by default); null to set {@link #numCandidates} and
         *             {@link #numTrials} yourself
         * @return this builder
         */
        public Builder auto(@Nullable Auto auto) {
            this.auto = auto;
            this.autoSet = true;
            return this;
        }

        /**
         * Sets the candidates per predictor (instruction candidates and demo sets alike) and turns {@code auto} off
         * unless it was set explicitly (then {@link #build()} fails, as DSPy does).
         *
         * @param n at least 1
         * @return this builder
         */
        public Builder numCandidates(int n) {
            this.numCandidates = atLeast(n, 1, "numCandidates");
            if (!autoSet) {
                auto = null;
            }
            return this;
        }

        /**
         * Sets the number of trials (sampled candidates) and turns {@code auto} off unless it was set explicitly.
         *
         * @param n at least 1
         * @return this builder
         */
        public Builder numTrials(int n) {
            this.numTrials = atLeast(n, 1, "numTrials");
            if (!autoSet) {
                auto = null;
            }
            return this;
        }

        /**
         * @param n the most bootstrapped demos per predictor (default 4); 0 with {@code maxLabeledDemos} 0 is
         *          zero-shot: instructions only
         * @return this builder
         */
        public Builder maxBootstrappedDemos(int n) {
            this.maxBootstrappedDemos = atLeast(n, 0, "maxBootstrappedDemos");
            return this;
        }

        /**
         * @param n the most demos per predictor, labeled included (default 4)
         * @return this builder
         */
        public Builder maxLabeledDemos(int n) {
            this.maxLabeledDemos = atLeast(n, 0, "maxLabeledDemos");
            return this;
        }

        /**
         * @param minibatch whether trials are scored on minibatches (default true; in auto mode DSPy decides:
         *                  minibatches when the validation set has more than 50 examples)
         * @return this builder
         */
        public Builder minibatch(boolean minibatch) {
            this.minibatch = minibatch;
            return this;
        }

        /**
         * @param n examples per minibatch, at least 1 (default 35)
         * @return this builder
         */
        public Builder minibatchSize(int n) {
            this.minibatchSize = atLeast(n, 1, "minibatchSize");
            return this;
        }

        /**
         * @param n minibatch trials between full evaluations, at least 1 (default 5)
         * @return this builder
         */
        public Builder minibatchFullEvalSteps(int n) {
            this.minibatchFullEvalSteps = atLeast(n, 1, "minibatchFullEvalSteps");
            return this;
        }

        /**
         * @param lm the LM that proposes instructions and summarizes the data; null (the default) for the LM the
         *           program uses
         * @return this builder
         */
        public Builder promptModel(@Nullable LanguageModel lm) {
            this.promptModel = lm;
            return this;
        }

        /**
         * @param lm the LM the program runs with in bootstraps and evaluations (put in the subscriber's settings);
         *           null (the default) for the program's own
         * @return this builder
         */
        public Builder taskModel(@Nullable LanguageModel lm) {
            this.taskModel = lm;
            return this;
        }

        /**
         * @param valset the validation set, input keys marked (copied); null (the default) to split it from the
         *               training set as DSPy does
         * @return this builder
         * @throws IllegalArgumentException when empty or an example is null or has no input keys
         */
        public Builder valset(@Nullable List<Example> valset) {
            if (valset == null) {
                this.valset = null;
                return this;
            }
            List<Example> v = Programs.trainset(valset, "valset");
            if (v.isEmpty()) {
                throw new IllegalArgumentException("valset must have at least 1 example");
            }
            this.valset = List.copyOf(v);
            return this;
        }

        /**
         * @param seed the seed of every random choice (default 9, DSPy's); 0 to 2<sup>32</sup> - 1
         * @return this builder
         * @throws IllegalArgumentException outside that range (numpy's, which Optuna seeds)
         */
        public Builder seed(long seed) {
            if (seed < 0 || seed > 0xffffffffL) {
                throw new IllegalArgumentException("seed must be between 0 and 2^32 - 1, got " + seed);
            }
            this.seed = seed;
            return this;
        }

        /**
         * @param t the temperature of instruction proposals (default 1.0), finite and not negative
         * @return this builder
         */
        public Builder initTemperature(double t) {
            if (!Double.isFinite(t) || t < 0) {
                throw new IllegalArgumentException("initTemperature must be a finite number >= 0, got " + t);
            }
            this.initTemperature = t;
            return this;
        }

        /**
         * @param on whether proposals see a summary of the training set (default true)
         * @return this builder
         */
        public Builder dataAware(boolean on) {
            this.dataAware = on;
            return this;
        }

        /**
         * @param on whether proposals see a description of the program and the predictor's role (default true)
         * @return this builder
         */
        public Builder programAware(boolean on) {
            this.programAware = on;
            return this;
        }

        /**
         * @param on whether each proposal gets a random tip from DSPy's list (default true)
         * @return this builder
         */
        public Builder tipAware(boolean on) {
            this.tipAware = on;
            return this;
        }

        /**
         * @param on whether proposals see bootstrapped demos of the predictor (default true)
         * @return this builder
         */
        public Builder fewshotAware(boolean on) {
            this.fewshotAware = on;
            return this;
        }

        /**
         * @param n training examples per dataset-summary call, at least 1 (default 10)
         * @return this builder
         */
        public Builder viewDataBatchSize(int n) {
            this.viewDataBatchSize = atLeast(n, 1, "viewDataBatchSize");
            return this;
        }

        /**
         * @param threshold see {@link BootstrapFewShot.Builder#metricThreshold}
         * @return this builder
         */
        public Builder metricThreshold(@Nullable Double threshold) {
            if (threshold != null && threshold.isNaN()) {
                throw new IllegalArgumentException("metricThreshold must not be NaN");
            }
            this.metricThreshold = threshold;
            return this;
        }

        /**
         * @param n the most program runs in flight in each bootstrap and evaluation, at least 1 (default 8)
         * @return this builder
         */
        public Builder concurrency(int n) {
            this.concurrency = atLeast(n, 1, "concurrency");
            return this;
        }

        /**
         * @param n failures that stop a bootstrap or an evaluation, at least 1 (default 10)
         * @return this builder
         */
        public Builder maxErrors(int n) {
            this.maxErrors = atLeast(n, 1, "maxErrors");
            return this;
        }

        /**
         * @param display whether each evaluation shows its progress (a bar on a terminal, else log lines; see
         *                {@link Evaluate.Builder#displayProgress}); default false. Trials are logged at INFO
         *                either way.
         * @return this builder
         */
        public Builder displayProgress(boolean display) {
            this.displayProgress = display;
            return this;
        }

        /**
         * Hears about each finished trial: {@code done} trials (the default program's evaluation and full
         * evaluations included) of {@code total} planned, {@code errors} failed examples and evaluations so far, and
         * the best full-validation score so far (percent) as the running score. Called one at a time; an exception is
         * logged.
         *
         * @param listener the listener; null for none
         * @return this builder
         */
        public Builder progressListener(@Nullable ProgressListener listener) {
            this.progressListener = listener;
            return this;
        }

        /**
         * @return the optimizer
         * @throws IllegalStateException when no metric was set, or {@code auto} was set together with
         *                               {@code numCandidates}/{@code numTrials}, or without {@code auto} one of those
         *                               two is missing
         */
        public MiproV2 build() {
            if (metric == null) {
                throw new IllegalStateException("MiproV2 needs a metric");
            }
            if (auto != null && (numCandidates != null || numTrials != null)) {
                throw new IllegalStateException("If auto is set, numCandidates and numTrials cannot be set, since "
                        + "they would be overridden by the auto settings. Set auto(null), or do not set "
                        + "numCandidates and numTrials.");
            }
            if (auto == null && numCandidates == null) {
                throw new IllegalStateException("If auto is null, numCandidates must also be set.");
            }
            if (auto == null && numTrials == null) {
                throw new IllegalStateException("If auto is null, numTrials must also be set. Given numCandidates="
                        + numCandidates + ", DSPy recommends about " + trialsFor(1, maxBootstrappedDemos == 0
                        && maxLabeledDemos == 0, numCandidates) + " for a program with one predictor.");
            }
            return new MiproV2(this);
        }

        private static int atLeast(int n, int min, String what) {
            if (n < min) {
                throw new IllegalArgumentException(what + " must be at least " + min + ", got " + n);
            }
            return n;
        }
    }
}

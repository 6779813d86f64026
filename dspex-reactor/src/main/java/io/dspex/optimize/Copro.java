package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.adapter.AdapterParseException;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.ProgressListener;
import io.dspex.internal.PyFormat;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.predict.PredictException;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Coordinate ascent over instructions (DSPy's {@code COPRO}): for each predictor in turn, the proposal LM suggests
 * instructions (and a prefix for the last output field), each is scored with {@link Evaluate} on the training set,
 * and the best is kept before the next predictor; then the LM sees the best attempts so far with their scores and
 * suggests more, {@code depth} times in all.
 *
 * <ol>
 *   <li>Depth 0: per predictor, one call of DSPy's {@code BasicGenerateInstruction} prompt with
 *       {@code n = breadth - 1} and temperature {@code initTemperature}; the current instruction and prefix join as a
 *       candidate.</li>
 *   <li>Each depth evaluates, per predictor, its newest candidates (with several predictors, all of its candidates
 *       so far, since the others changed), setting the predictor to the best one seen before moving on.</li>
 *   <li>Between depths, per predictor, one call of DSPy's {@code GenerateInstructionGivenAttempts} prompt with
 *       {@code n = breadth}: the up to {@code breadth} best attempts so far, worst first, as "Instruction #k",
 *       "Prefix #k" and "Resulting Score #k".</li>
 * </ol>
 *
 * <p>The result is the best-scoring candidate program; {@link #optimize} also returns every candidate, the number
 * of evaluations and, with {@code trackStats}, DSPy's per-depth statistics. A proposal reply that cannot be parsed is
 * skipped (logged): its candidates are missing. An evaluation that stops at {@code maxErrors} fails the compilation
 * with its {@link io.dspex.evaluate.EvaluationException} (which carries the failed rows), as it does in DSPy.
 * Evaluations run concurrently (at most {@code concurrency} examples at once); candidates one after another.
 *
 * <pre>{@code
 * Copro copro = Copro.builder().metric(Metrics.exactMatch("answer")).breadth(6).depth(2).promptModel(strongLm).build();
 * Predict better = copro.compile(Predict.of("question -> answer"), trainset).block();
 * }</pre>
 */
public final class Copro implements Teleprompter {

    private static final Logger LOG = LoggerFactory.getLogger(Copro.class);

    private final Metric metric;
    private final int breadth;
    private final int depth;
    private final double initTemperature;
    private final @Nullable LanguageModel promptModel;
    private final boolean trackStats;
    private final int concurrency;
    private final int maxErrors;
    private final boolean displayProgress;
    private final @Nullable ProgressListener progressListener;

    private Copro(Builder b) {
        this.metric = b.metric;
        this.breadth = b.breadth;
        this.depth = b.depth;
        this.initTemperature = b.initTemperature;
        this.promptModel = b.promptModel;
        this.trackStats = b.trackStats;
        this.concurrency = b.concurrency;
        this.maxErrors = b.maxErrors;
        this.displayProgress = b.displayProgress;
        this.progressListener = b.progressListener;
    }

    /** @return a builder with DSPy's defaults (breadth 10, depth 3, temperature 1.4); a metric is required */
    public static Builder builder() {
        return new Builder();
    }

    /** Optimizes and returns the best program. */
    @Override
    public <P extends Program> Mono<P> compile(P student, List<Example> trainset) {
        return optimize(student, trainset).map(CoproResult::best);
    }

    /**
     * Optimizes, lazily (each subscription an independent run).
     *
     * @param student  the program (unchanged; its demos are kept, so it may be zero-shot or already have demos)
     * @param trainset the examples to score candidates on, input keys marked
     * @param <P>      the program type
     * @return every candidate and the best
     * @throws IllegalArgumentException when the student or training set is null, the training set is empty or
     *                                  has an example without input keys, or the program has no predictors
     */
    public <P extends Program> Mono<CoproResult<P>> optimize(P student, List<Example> trainset) {
        Programs.requireArg(student, "student");
        List<Example> train = Programs.trainset(trainset, "trainset");
        if (train.isEmpty()) {
            throw new IllegalArgumentException("trainset must not be empty: COPRO scores candidates on it");
        }
        if (student.namedPredictors().isEmpty()) {
            throw new IllegalArgumentException("the program has no predictors (" + student.getClass().getName()
                    + "): COPRO has no instruction to optimize");
        }
        Evaluate evaluate = Evaluate.builder().devset(train).metric(metric).concurrency(concurrency)
                .maxErrors(maxErrors).displayProgress(displayProgress).build();
        return Mono.defer(() -> new Run<>(student, evaluate).run()).name("dspex.copro");
    }

    /** One proposed instruction and prefix. */
    private record Proposal(String instruction, String prefix) {
    }

    private static final class Evaluated<P extends Program> {
        double score;
        P program;
        final String instruction;
        final String prefix;
        int depth;

        Evaluated(double score, P program, String instruction, String prefix, int depth) {
            this.score = score;
            this.program = program;
            this.instruction = instruction;
            this.prefix = prefix;
            this.depth = depth;
        }
    }

    /** One compilation's state; candidates are evaluated one after another. */
    private final class Run<P extends Program> {
        private final P student;
        private final Evaluate evaluate;
        private final List<String> paths;
        private final ProposalModel model;
        private final Map<String, List<Proposal>> all = new LinkedHashMap<>();
        private Map<String, List<Proposal>> latest = new LinkedHashMap<>();
        private final Map<String, LinkedHashMap<Proposal, Evaluated<P>>> evaluated = new LinkedHashMap<>();
        private final Map<String, CoproResult.DepthStats> resultsBest = new LinkedHashMap<>();
        private final Map<String, CoproResult.DepthStats> resultsLatest = new LinkedHashMap<>();
        private P current;
        private int totalCalls;
        private int planned;
        private int errors;
        private double bestSoFar = Double.NEGATIVE_INFINITY;

        Run(P student, Evaluate evaluate) {
            this.student = student;
            this.evaluate = evaluate;
            this.current = student;
            this.paths = new ArrayList<>(student.namedPredictors().keySet());
            this.model = ProposalModel.of(promptModel, student);
            for (String path : paths) {
                evaluated.put(path, new LinkedHashMap<>());
                resultsBest.put(path, CoproResult.DepthStats.empty());
                resultsLatest.put(path, CoproResult.DepthStats.empty());
            }
            int m = paths.size();
            for (int d = 0; d < depth; d++) {
                planned += m == 1 ? breadth : m * breadth * (d + 1);
            }
        }

        Mono<CoproResult<P>> run() {
            return Flux.fromIterable(paths)
                    .concatMap(path -> {
                        Signature sig = student.namedPredictors().get(path).signature();
                        String basic = sig.instructions();
                        String prefix = lastField(sig).prefix();
                        return proposals(InstructionSignatures.BASIC_GENERATE_INSTRUCTION,
                                Map.of("basic_instruction", basic), breadth - 1, path)
                                .map(list -> {
                                    List<Proposal> c = new ArrayList<>(list);
                                    c.add(new Proposal(basic, prefix));
                                    all.put(path, c);
                                    latest.put(path, c);
                                    return c;
                                });
                    })
                    .then(Flux.range(0, depth).concatMap(this::depth).then())
                    .then(Mono.fromSupplier(this::result));
        }

        private Mono<Void> depth(int d) {
            LOG.info("Iteration Depth: {}/{}.", d + 1, depth);
            List<Double> latestScores = new ArrayList<>();
            Mono<Void> evaluations = Flux.range(0, paths.size())
                    .concatMap(p -> evaluatePredictor(d, p, latestScores))
                    .then();
            if (d == depth - 1) {
                return evaluations;
            }
            return evaluations.then(Mono.defer(() -> {
                Map<String, List<Proposal>> fresh = new LinkedHashMap<>();
                return Flux.fromIterable(paths)
                        .concatMap(path -> {
                            List<Evaluated<P>> best = new ArrayList<>(evaluated.get(path).values());
                            best.sort(Comparator.comparingDouble((Evaluated<P> e) -> e.score).reversed());
                            if (trackStats) {
                                resultsBest.put(path, resultsBest.get(path).plus(d, top10(best)));
                            }
                            int shortest = Math.min(best.size(), breadth);
                            List<String> attempts = new ArrayList<>();
                            for (int i = shortest - 1; i >= 0; i--) {
                                int k = shortest - i;
                                attempts.add("Instruction #" + k + ": " + best.get(i).instruction);
                                attempts.add("Prefix #" + k + ": " + best.get(i).prefix);
                                attempts.add("Resulting Score #" + k + ": " + PyFormat.repr(best.get(i).score));
                            }
                            return proposals(InstructionSignatures.GENERATE_INSTRUCTION_GIVEN_ATTEMPTS,
                                    Map.of("attempted_instructions", attempts), breadth, path)
                                    .doOnNext(list -> {
                                        fresh.put(path, list);
                                        all.get(path).addAll(list);
                                    });
                        })
                        .then(Mono.fromRunnable(() -> latest = fresh));
            }));
        }

        /** Scores a predictor's candidates, then sets it to its best one so far. */
        private Mono<Void> evaluatePredictor(int d, int p, List<Double> latestScores) {
            String path = paths.get(p);
            List<Proposal> candidates = paths.size() > 1 ? all.get(path) : latest.getOrDefault(path, List.of());
            List<Proposal> snapshot = List.copyOf(candidates);
            return Flux.range(0, snapshot.size())
                    .concatMap(ci -> {
                        Proposal raw = snapshot.get(ci);
                        Proposal c = new Proposal(PyFormat.strip(stripQuotes(raw.instruction)),
                                PyFormat.strip(stripQuotes(raw.prefix)));
                        current = with(current, path, c);
                        P candidate = current;
                        LOG.info("At Depth {}/{}, Evaluating Prompt Candidate #{}/{} for Predictor {} of {}.", d + 1,
                                depth, ci + 1, snapshot.size(), p + 1, paths.size());
                        return evaluate.run(candidate).map(r -> {
                            double score = r.score();
                            totalCalls++;
                            errors += r.errorCount();
                            Evaluated<P> known = evaluated.get(path).get(c);
                            if (known == null || known.score < score) {
                                evaluated.get(path).put(c, new Evaluated<>(score, candidate, c.instruction, c.prefix,
                                        d));
                            }
                            if (snapshot.size() - breadth <= ci) {
                                latestScores.add(score);
                            }
                            bestSoFar = Math.max(bestSoFar, score);
                            progress();
                            return score;
                        });
                    })
                    .then(Mono.fromRunnable(() -> {
                        if (trackStats) {
                            resultsLatest.put(path, resultsLatest.get(path).plus(d, latestScores));
                        }
                        Evaluated<P> best = null;
                        for (Evaluated<P> e : evaluated.get(path).values()) {
                            if (best == null || e.score > best.score) {
                                best = e;
                            }
                        }
                        if (best != null) {
                            current = with(current, path, new Proposal(best.instruction, best.prefix));
                            LOG.debug("Updating predictor '{}' to instruction {} and prefix {}", path,
                                    best.instruction, best.prefix);
                        }
                    }));
        }

        private void progress() {
            if (progressListener == null) {
                return;
            }
            try {
                progressListener.onProgress(totalCalls, Math.max(planned, totalCalls), errors, bestSoFar);
            } catch (RuntimeException e) {
                LOG.warn("progress listener threw; the optimization goes on", e);
            }
        }

        private CoproResult<P> result() {
            List<CoproResult.Candidate<P>> candidates = new ArrayList<>();
            for (String path : paths) {
                List<Evaluated<P>> list = new ArrayList<>(evaluated.get(path).values());
                for (Evaluated<P> e : list) {
                    candidates.add(new CoproResult.Candidate<>(path, e.instruction, e.prefix, e.score, e.depth,
                            e.program));
                }
                if (trackStats) {
                    list.sort(Comparator.comparingDouble((Evaluated<P> e) -> e.score).reversed());
                    resultsBest.put(path, resultsBest.get(path).plus(depth - 1, top10(list)));
                }
            }
            candidates.sort(Comparator.comparingDouble((CoproResult.Candidate<P> c) -> c.score()).reversed());
            List<CoproResult.Candidate<P>> kept = dropDuplicates(candidates);
            CoproResult.Candidate<P> best = kept.get(0);
            return new CoproResult<>(best.program(), best.score(), kept, totalCalls,
                    trackStats ? Optional.of(new CoproResult.Stats(resultsBest, resultsLatest)) : Optional.empty());
        }

        /** DSPy's {@code _drop_duplicates}: among equal scores, a program with the same instructions is dropped. */
        private List<CoproResult.Candidate<P>> dropDuplicates(List<CoproResult.Candidate<P>> sorted) {
            List<CoproResult.Candidate<P>> out = new ArrayList<>();
            List<CoproResult.Candidate<P>> lastBatch = new ArrayList<>();
            double lastScore = -1;
            for (CoproResult.Candidate<P> c : sorted) {
                boolean repeat = false;
                if (c.score() == lastScore) {
                    for (CoproResult.Candidate<P> c2 : lastBatch) {
                        if (samePrompts(c.program(), c2.program())) {
                            repeat = true;
                            break;
                        }
                    }
                    if (!repeat) {
                        lastBatch.add(c);
                    }
                } else {
                    lastBatch = new ArrayList<>(List.of(c));
                    lastScore = c.score();
                }
                if (!repeat) {
                    out.add(c);
                }
            }
            return out;
        }

        private boolean samePrompts(Program a, Program b) {
            List<Predictor> pa = new ArrayList<>(a.namedPredictors().values());
            List<Predictor> pb = new ArrayList<>(b.namedPredictors().values());
            for (int i = 0; i < Math.min(pa.size(), pb.size()); i++) {
                Signature sa = pa.get(i).signature();
                Signature sb = pb.get(i).signature();
                if (!sa.instructions().equals(sb.instructions()) || !lastField(sa).equals(lastField(sb))) {
                    return false;
                }
            }
            return true;
        }

        /** One proposal call with {@code n} completions; an unparseable reply yields none (logged). */
        private Mono<List<Proposal>> proposals(Signature sig, Map<String, ?> inputs, int n, String path) {
            CallConfig config = CallConfig.empty().withN(n).withTemperature(initTemperature);
            return model.ask(sig, inputs, config)
                    .map(Run::proposalsOf)
                    .onErrorResume(e -> e instanceof AdapterParseException || e instanceof PredictException, e -> {
                        LOG.warn("Skipping {} instruction proposals for predictor '{}': the proposal LM's reply could "
                                + "not be parsed: {}", n, path, e.getMessage());
                        return Mono.just(List.of());
                    });
        }

        private static List<Proposal> proposalsOf(Prediction p) {
            List<Proposal> out = new ArrayList<>();
            List<@Nullable Object> instructions = p.completions("proposed_instruction");
            List<@Nullable Object> prefixes = p.completions("proposed_prefix_for_output_field");
            for (int i = 0; i < instructions.size(); i++) {
                out.add(new Proposal(str(instructions.get(i)), str(i < prefixes.size() ? prefixes.get(i) : null)));
            }
            return out;
        }

        private P with(P program, String path, Proposal c) {
            Predictor p = program.namedPredictors().get(path);
            Signature sig = p.signature();
            Signature changed = sig.withInstructions(c.instruction)
                    .withUpdatedField(lastField(sig).name(), f -> f.withPrefix(c.prefix));
            return Programs.sameType(student, program.withNamedPredictors(Map.of(path, p.withSignature(changed))));
        }
    }

    private static List<Double> top10(List<? extends Evaluated<?>> sorted) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < Math.min(10, sorted.size()); i++) {
            out.add(sorted.get(i).score);
        }
        return out;
    }

    private static Field lastField(Signature sig) {
        List<Field> fields = sig.fields();
        return fields.get(fields.size() - 1);
    }

    private static String str(@Nullable Object o) {
        return o == null ? "None" : PyFormat.str(PyFormat.jsonable(o));
    }

    /** Python's {@code s.strip('"')}. */
    private static String stripQuotes(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '"') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '"') {
            end--;
        }
        return s.substring(start, end);
    }

    @Override
    public String toString() {
        return "Copro(breadth=" + breadth + ", depth=" + depth + ", initTemperature=" + initTemperature + ")";
    }

    /** Configures a {@link Copro}; defaults are DSPy's. Required: {@link #metric}. */
    public static final class Builder {
        private @Nullable Metric metric;
        private int breadth = 10;
        private int depth = 3;
        private double initTemperature = 1.4;
        private @Nullable LanguageModel promptModel;
        private boolean trackStats;
        private int concurrency = 8;
        private int maxErrors = 10;
        private boolean displayProgress;
        private @Nullable ProgressListener progressListener;

        private Builder() {
        }

        /**
         * @param metric scores each candidate's evaluation (required)
         * @return this builder
         */
        public Builder metric(Metric metric) {
            this.metric = Programs.requireArg(metric, "metric");
            return this;
        }

        /**
         * @param n new instructions proposed per predictor and depth, more than 1 (default 10)
         * @return this builder
         * @throws IllegalArgumentException when {@code n <= 1} (DSPy: "Breadth must be greater than 1")
         */
        public Builder breadth(int n) {
            if (n <= 1) {
                throw new IllegalArgumentException("breadth must be greater than 1, got " + n);
            }
            this.breadth = n;
            return this;
        }

        /**
         * @param n rounds of proposals, at least 1 (default 3)
         * @return this builder
         */
        public Builder depth(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("depth must be at least 1, got " + n);
            }
            this.depth = n;
            return this;
        }

        /**
         * @param t the temperature of proposals (default 1.4), finite and not negative
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
         * @param lm the LM that proposes instructions; null (the default) for the LM the program uses (the
         *           subscriber's settings', else its first predictor's own, else the global settings')
         * @return this builder
         */
        public Builder promptModel(@Nullable LanguageModel lm) {
            this.promptModel = lm;
            return this;
        }

        /**
         * @param track whether to keep DSPy's per-depth statistics in {@link CoproResult#stats()} (default false)
         * @return this builder
         */
        public Builder trackStats(boolean track) {
            this.trackStats = track;
            return this;
        }

        /**
         * @param n the most examples evaluated at once, at least 1 (default 8)
         * @return this builder
         */
        public Builder concurrency(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, got " + n);
            }
            this.concurrency = n;
            return this;
        }

        /**
         * @param n failed examples that stop an evaluation (and the compilation), at least 1 (default 10)
         * @return this builder
         */
        public Builder maxErrors(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxErrors must be at least 1, got " + n);
            }
            this.maxErrors = n;
            return this;
        }

        /**
         * @param display whether each evaluation shows its progress (a bar on a terminal, else log lines); default
         *                false. Candidates are logged at INFO either way.
         * @return this builder
         */
        public Builder displayProgress(boolean display) {
            this.displayProgress = display;
            return this;
        }

        /**
         * Hears about each evaluated candidate: {@code done} evaluations of {@code total} planned (assuming every
         * proposal parses), failed examples so far, and the best score so far (percent) as the running score.
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
         * @throws IllegalStateException when no metric was set
         */
        public Copro build() {
            if (metric == null) {
                throw new IllegalStateException("Copro needs a metric");
            }
            return new Copro(this);
        }
    }
}

package io.dspex.predict;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.Trace;
import io.dspex.internal.PyFormat;
import io.dspex.lm.LanguageModel;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Runs a program up to {@code n} times like {@link BestOfN} and, after each attempt that misses the threshold, asks
 * the LM how each predictor should do better next time (DSPy's {@code dspy.Refine}, its replacement for assertions).
 *
 * <pre>{@code
 * Reward oneWord = Reward.of((in, p) -> ((String) p.get("answer")).split("\\s+").length == 1 ? 1.0 : 0.0);
 * Refine refine = Refine.of(ChainOfThought.of("question -> answer"), 3, oneWord, 1.0);
 * refine.forward(Map.of("question", "What is the capital of Belgium?"));
 * }</pre>
 *
 * <p>Attempts, rollout ids, temperature 1.0, stopping, failures and tracing are {@link BestOfN}'s. In addition, as
 * DSPy 3.3 does it, byte for byte:
 * <ul>
 *   <li>After an attempt scores below the threshold (and it is not the last), one call of {@code Predict} with DSPy's
 *       {@code OfferFeedback} signature gets the program's code ({@link #withProgramCode}), each predictor's
 *       definition, the inputs, the trajectory (each predictor call of the attempt: name, inputs, outputs), the
 *       outputs, the reward's code ({@link #withRewardCode}), the threshold, the score and the predictor names, all
 *       as JSON text indented by 2, and answers with {@code advice}: predictor name to advice.</li>
 *   <li>The following attempts send each predictor its advice ({@code "N/A"} when it has none) in an extra input field
 *       {@code hint_} ("A hint to the module from an earlier run") appended to its signature, through whatever
 *       adapter it would use otherwise; the trajectory of a hinted attempt shows the hint among the inputs.</li>
 *   <li>The advice call uses the settings' LM and adapter (the Context's, else the global ones; else the first
 *       predictor's own LM) without the attempts' rollout id or temperature; its usage is part of the prediction's.
 *       A failed advice call fails that attempt, as in DSPy. Unlike DSPy, the advice call is not recorded in an
 *       optimizer's {@code Trace}: it is not one of the program's predictors.</li>
 * </ul>
 *
 * <p>Python can send a function's source code; Java cannot, so the program's code defaults to the module's structure
 * ({@code toString()}, e.g. {@code ChainOfThought(predict=Predict(question -> reasoning, answer))}) and the reward's
 * to a sentence saying that its source is not available: give better descriptions with the two withers.
 */
public final class Refine extends Module {

    /** The reward code sent when none was given. */
    static final String NO_REWARD_CODE = "(the reward function is compiled Java code; its source is not available)";

    /** DSPy's {@code OfferFeedback} signature, instructions and descriptions as written in DSPy 3.3.1. */
    static final Signature OFFER_FEEDBACK = Signature.builder()
            .instructions("In the discussion, assign blame to each module that contributed to the final reward being "
                    + "below the threshold, if\nany. Then, prescribe concrete advice of how the module should act on "
                    + "its future input when we retry the process, if\nit were to receive the same or similar inputs. "
                    + "If a module is not to blame, the advice should be N/A.\nThe module will not see its own history,"
                    + " so it needs to rely on entirely concrete and actionable advice from you\nto avoid the same "
                    + "mistake on the same or similar inputs.")
            .input("program_code", "str", "The code of the program that we are analyzing")
            .input("modules_defn", "str", "The definition of each module in the program, including its I/O")
            .input("program_inputs", "str", "The inputs to the program that we are analyzing")
            .input("program_trajectory", "str", "The trajectory of the program's execution, showing each module's I/O")
            .input("program_outputs", "str", "The outputs of the program that we are analyzing")
            .input("reward_code", "str", "The code of the reward function that we are analyzing")
            .input("target_threshold", "float", "The target threshold for the reward function")
            .input("reward_value", "float", "The reward value assigned to the program's outputs")
            .input("module_names", "list[str]", "The names of the modules in the program, for which we seek advice")
            .output("discussion", "str", "Discussing blame of where each module went wrong, if it did")
            // DSPy's text joins "kind of" and "scenario" without a space; kept, since it is what DSPy sends.
            .output("advice", "dict[str, str]", "For each module, describe very concretely, in this order: the "
                    + "specific scenarios in which it has made mistakes in the past and what each mistake was, followed"
                    + " by what it should do differently in that kind ofscenario in the future. If the module is not "
                    + "to blame, write N/A.")
            .build();

    private static final Predict ADVISOR = Predict.of(OFFER_FEEDBACK);
    private static final String SEPARATOR = "-".repeat(80);

    private final int n;
    private final Reward reward;
    private final double threshold;
    private final int failCount;
    private final @Nullable String programCode;
    private final String rewardCode;

    private Refine(@Nullable Refine template, Program module, int n, Reward reward, double threshold, int failCount,
                   @Nullable String programCode, String rewardCode) {
        super(template);
        this.n = n;
        this.reward = reward;
        this.threshold = threshold;
        this.failCount = failCount;
        this.programCode = programCode;
        this.rewardCode = rewardCode;
        register("module", module);
    }

    /**
     * @param module    the program to refine (a {@link Module}, so that its predictors get advice)
     * @param n         the most attempts, at least 1 (DSPy's {@code N})
     * @param reward    scores each attempt
     * @param threshold the score that ends the search; within the reward's declared range
     * @return the module, with {@code failCount = n}
     * @throws IllegalArgumentException naming the problem: a null argument, {@code n <= 0}, a NaN threshold or one
     *                                  outside the reward's range
     */
    public static Refine of(Program module, int n, Reward reward, double threshold) {
        BestOfN.check("Refine", module, n, reward, threshold);
        return new Refine(null, module, n, reward, threshold, n, null, NO_REWARD_CODE);
    }

    /**
     * @param failCount how many failed attempts are tolerated before the last failure is signalled, at least 1
     *                  (DSPy's {@code fail_count}; default {@code n})
     * @return a copy with it
     * @throws IllegalArgumentException when below 1
     */
    public Refine withFailCount(int failCount) {
        if (failCount < 1) {
            throw new IllegalArgumentException("Refine's failCount must be at least 1, got " + failCount);
        }
        return new Refine(this, module(), n, reward, threshold, failCount, programCode, rewardCode);
    }

    /**
     * @param programCode what the advice call is told the program's code is (DSPy sends the module class's source);
     *                    null: the module's {@code toString()}
     * @return a copy with it
     */
    public Refine withProgramCode(@Nullable String programCode) {
        return new Refine(this, module(), n, reward, threshold, failCount, programCode, rewardCode);
    }

    /**
     * @param rewardCode what the advice call is told the reward's code is (DSPy sends its source), e.g. the Java
     *                   source of the reward or a description; null: {@value #NO_REWARD_CODE}
     * @return a copy with it
     */
    public Refine withRewardCode(@Nullable String rewardCode) {
        return new Refine(this, module(), n, reward, threshold, failCount, programCode,
                rewardCode == null ? NO_REWARD_CODE : rewardCode);
    }

    /** @return the program it refines */
    public Program module() {
        return child("module");
    }

    /** @return the most attempts */
    public int n() {
        return n;
    }

    /** @return the reward */
    public Reward reward() {
        return reward;
    }

    /** @return the score that ends the search */
    public double threshold() {
        return threshold;
    }

    /** @return how many failed attempts are tolerated */
    public int failCount() {
        return failCount;
    }

    @Override
    protected Mono<Prediction> run(Example inputs) {
        Program module = module();
        return RewardLoop.run("Refine", module, inputs, n, reward, threshold, failCount,
                new Advisor(module, inputs, programCode != null ? programCode : module.toString()));
    }

    /** One run's advice: asked after a missed attempt, sent to the next attempts as hints. */
    private final class Advisor implements RewardLoop.Hooks {
        private final Program module;
        private final Example inputs;
        private final String code;
        private final Map<Signature, String> names = new LinkedHashMap<>();
        private final Map<Object, String> predictorNames = new IdentityHashMap<>();
        private final List<String> moduleNames;
        /** Written after an attempt, read by the next one: attempts run one after another. */
        private volatile Map<String, String> advice = Map.of();

        Advisor(Program module, Example inputs, String code) {
            this.module = module;
            this.inputs = inputs;
            this.code = code;
            Map<String, Predictor> named = module.namedPredictors();
            named.forEach((name, p) -> {
                names.put(p.signature(), name);
                predictorNames.put(p, name);
            });
            this.moduleNames = List.copyOf(named.keySet());
        }

        @Override
        public Function<Context, Context> attemptContext(int index) {
            Map<String, String> a = advice;
            if (a.isEmpty()) {
                return Function.identity();
            }
            HintAdapter.Hints hints = new HintAdapter.Hints(names, a);
            return c -> c.put(HintAdapter.Hints.class, hints);
        }

        @Override
        public Mono<Void> afterMiss(int index, Prediction prediction, double score, List<Trace.Entry> trace) {
            return Mono.deferContextual(ctx -> {
                Map<String, @Nullable Object> kwargs = new LinkedHashMap<>();
                kwargs.put("program_code", code);
                kwargs.put("modules_defn", inspectModules(module));
                kwargs.put("program_inputs", dumps(programInputs()));
                kwargs.put("program_trajectory", dumps(trajectory(trace)));
                kwargs.put("program_outputs", dumps(prediction.toMap()));
                kwargs.put("reward_code", rewardCode);
                kwargs.put("target_threshold", dumps(threshold));
                kwargs.put("reward_value", dumps(score));
                kwargs.put("module_names", dumps(moduleNames));
                // Not recorded in the caller's trace (DSPy records it there, where no optimizer can name it).
                return advisor(ctx).forward(Example.of(kwargs)).contextWrite(c -> c.delete(Trace.class));
            }).map(p -> {
                advice = adviceOf(p.get("advice"));
                return p;
            }).then();
        }

        private Map<String, @Nullable Object> programInputs() {
            return inputs.inputKeys().isEmpty() ? inputs.toMap() : inputs.inputs().toMap();
        }

        /** DSPy's trajectory: each predictor call as module_name, inputs (with the hint it got) and outputs. */
        private List<Map<String, @Nullable Object>> trajectory(List<Trace.Entry> trace) {
            Map<String, String> hinted = advice;
            HintAdapter.Hints hints = hinted.isEmpty() ? null : new HintAdapter.Hints(names, hinted);
            List<Map<String, @Nullable Object>> out = new ArrayList<>(trace.size());
            for (Trace.Entry e : trace) {
                String name = predictorNames.get(e.predictor());
                if (name == null) {
                    continue; // a predictor the module does not name (made at run time): no advice can reach it
                }
                Map<String, @Nullable Object> in = new LinkedHashMap<>(e.inputs());
                if (hints != null && e.predictor() instanceof Predictor p) {
                    in.put(HintAdapter.FIELD, hints.hintFor(p.signature()));
                }
                Map<String, @Nullable Object> step = new LinkedHashMap<>();
                step.put("module_name", name);
                step.put("inputs", in);
                step.put("outputs", e.prediction().toMap());
                out.add(step);
            }
            return out;
        }

        /** The settings' LM, else (when the settings have none) the first predictor's own. */
        private Predict advisor(ContextView ctx) {
            if (Settings.fromContext(ctx).lm() != null || Settings.global().lm() != null) {
                return ADVISOR;
            }
            for (Predictor p : module.namedPredictors().values()) {
                LanguageModel own = p instanceof Predict predict ? predict.lm() : null;
                if (own != null) {
                    return ADVISOR.withLm(own);
                }
            }
            return ADVISOR;
        }
    }

    private static Map<String, String> adviceOf(@Nullable Object value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), v instanceof String s ? s
                    : PyFormat.str(PyFormat.jsonable(v))));
        }
        return Collections.unmodifiableMap(out);
    }

    /** {@code orjson.dumps(recursive_mask(v), option=OPT_INDENT_2)}. */
    static String dumps(@Nullable Object value) {
        return PyFormat.dumpsIndent2(masked(value), false);
    }

    /** DSPy's {@code recursive_mask}: JSON values as they are, containers recursively, anything else a placeholder. */
    private static @Nullable Object masked(@Nullable Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Number) {
            return v;
        }
        if (v instanceof Enum<?> e) {
            return PyFormat.enumValue(e);
        }
        if (v instanceof Prediction p) {
            return masked(p.toMap());
        }
        if (v instanceof Example e) {
            return masked(e.toMap());
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, @Nullable Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), masked(x)));
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<@Nullable Object> out = new ArrayList<>(c.size());
            c.forEach(x -> out.add(masked(x)));
            return out;
        }
        if (v.getClass().isArray()) {
            List<@Nullable Object> out = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) {
                out.add(masked(Array.get(v, i)));
            }
            return out;
        }
        return "<non-serializable: " + v.getClass().getSimpleName() + ">";
    }

    /** DSPy's {@code inspect_modules}: each predictor's fields and instructions between lines of dashes. */
    static String inspectModules(Program program) {
        List<String> output = new ArrayList<>();
        output.add(SEPARATOR);
        program.namedPredictors().forEach((name, predictor) -> {
            Signature sig = predictor.signature();
            output.add("Module " + name);
            output.add("\n\tInput Fields:");
            output.add(indented(describeFields(sig.inputFields())));
            output.add("\tOutput Fields:");
            output.add(indented(describeFields(sig.outputFields())));
            output.add("\tOriginal Instructions: " + indented(PyFormat.dedent(sig.instructions())));
            output.add(SEPARATOR);
        });
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < output.size(); i++) {
            if (i > 0) {
                sb.append('\n');
            }
            sb.append(stripNewlines(output.get(i)));
        }
        return sb.toString();
    }

    /** Python's {@code ("\n" + "\t" * 2).join([""] + text.splitlines())}. */
    private static String indented(String text) {
        StringBuilder sb = new StringBuilder();
        for (String line : PyFormat.splitlines(text)) {
            sb.append("\n\t\t").append(line);
        }
        return sb.toString();
    }

    /** Python's {@code s.strip("\n")}. */
    private static String stripNewlines(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '\n') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '\n') {
            end--;
        }
        return s.substring(start, end);
    }

    /** DSPy's {@code get_field_description_string}, as the adapters write it in the system message. */
    private static String describeFields(List<Field> fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i);
            if (i > 0) {
                sb.append('\n');
            }
            sb.append(i + 1).append(". `").append(f.name()).append("` (").append(f.type().dspyName()).append("): ")
                    .append(f.description());
            if (!f.constraints().isEmpty()) {
                sb.append("\nConstraints: ").append(f.constraintsText());
            }
        }
        return PyFormat.strip(sb.toString());
    }

    @Override
    public Refine copy() {
        return (Refine) super.copy();
    }

    @Override
    public Refine reset() {
        return (Refine) super.reset();
    }

    /** @return the loaded copy, typed as a {@code Refine}; see {@link Program#load(Path)} */
    @Override
    public Refine load(Path path) {
        return (Refine) super.load(path);
    }

    @Override
    public String toString() {
        return "Refine(n=" + n + ", threshold=" + threshold + ", module=" + module() + ")";
    }
}

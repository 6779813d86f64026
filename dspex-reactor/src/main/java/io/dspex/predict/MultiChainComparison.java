package io.dspex.predict;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.internal.PyFormat;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Compares several reasoning attempts and writes a corrected one (DSPy's {@code dspy.MultiChainComparison}): a
 * {@link Predict} over the signature extended exactly as DSPy 3.3 does it — inputs {@code reasoning_attempt_1} ..
 * {@code reasoning_attempt_M} appended (prefix {@code "Student Attempt #i:"}, description
 * {@code "${reasoning attempt}"}), a {@code rationale} output prepended (prefix {@code "Accurate Reasoning: Thank
 * you everyone. Let's now holistically"}, description {@code "${corrected reasoning}"}), at temperature 0.7.
 *
 * <p>Its inputs are the signature's inputs plus {@code "completions"}: the M attempts, as a {@link Prediction} (its
 * {@link Prediction#completions()}, e.g. from a {@code ChainOfThought} called with {@code n = M}) or a list of
 * predictions, examples or maps. Each attempt reads {@code rationale} (else {@code reasoning}) and the signature's
 * last output field, each cut to its first line, into {@code «I'm trying to <rationale> I'm not sure but my
 * prediction is <answer>»}.
 *
 * <pre>{@code
 * Prediction attempts = ChainOfThought.of("question -> answer")
 *         .withConfig(CallConfig.empty().withN(3).withTemperature(1.0)).forward(in).block();
 * MultiChainComparison compare = MultiChainComparison.of("question -> answer", 3);
 * Prediction best = compare.forward(Map.of("question", q, "completions", attempts)).block();
 * best.get("rationale"); best.get("answer");
 * }</pre>
 *
 * <p>Its one predictor is named {@code "predict"}, as in DSPy.
 */
public final class MultiChainComparison extends Module {

    /** The input key holding the attempts (DSPy's {@code completions} argument). */
    public static final String COMPLETIONS = "completions";

    private final int m;
    private final String lastKey;

    private MultiChainComparison(@Nullable MultiChainComparison template, Predict predict, int m, String lastKey) {
        super(template);
        this.m = m;
        this.lastKey = lastKey;
        register("predict", predict);
    }

    /**
     * @param signature DSPy's string syntax, e.g. {@code "question -> answer"}
     * @param m         how many attempts each call compares (DSPy's {@code M}), at least 1
     * @return the module
     * @throws io.dspex.signature.SignatureException when the spec is malformed
     * @throws IllegalArgumentException              see {@link #of(Signature, int)}
     */
    public static MultiChainComparison of(String signature, int m) {
        return of(Signature.parse(signature), m);
    }

    /**
     * @param signature the signature to extend
     * @param m         how many attempts each call compares, at least 1
     * @return the module
     * @throws IllegalArgumentException when the signature is null, {@code m < 1}, or the signature already has a
     *                                  field the extension adds or one named {@code completions}
     */
    public static MultiChainComparison of(Signature signature, int m) {
        if (signature == null) {
            throw new IllegalArgumentException("signature must not be null");
        }
        if (m < 1) {
            throw new IllegalArgumentException("MultiChainComparison needs m >= 1 attempts, got " + m);
        }
        if (signature.field(COMPLETIONS).isPresent()) {
            throw new IllegalArgumentException("signature must not have a field named '" + COMPLETIONS
                    + "': that input carries the attempts; " + signature.spec());
        }
        List<Field> outputs = signature.outputFields();
        String lastKey = outputs.get(outputs.size() - 1).name();
        Signature extended = signature;
        for (int i = 1; i <= m; i++) {
            String name = "reasoning_attempt_" + i;
            requireAbsent(signature, name);
            extended = extended.append(Field.input(name).withPrefix("Student Attempt #" + i + ":")
                    .withDescription("${reasoning attempt}"));
        }
        requireAbsent(signature, "rationale");
        extended = extended.prepend(Field.output("rationale")
                .withPrefix("Accurate Reasoning: Thank you everyone. Let's now holistically")
                .withDescription("${corrected reasoning}"));
        Predict predict = Predict.of(extended).withConfig(CallConfig.empty().withTemperature(0.7));
        return new MultiChainComparison(null, predict, m, lastKey);
    }

    private static void requireAbsent(Signature signature, String name) {
        if (signature.field(name).isPresent()) {
            throw new IllegalArgumentException("signature already has a field named '" + name + "': "
                    + signature.spec());
        }
    }

    /** @return how many attempts each call compares */
    public int m() {
        return m;
    }

    /** @return the inner predictor (the extended signature) */
    public Predict predict() {
        return (Predict) child("predict");
    }

    private MultiChainComparison with(Predict p) {
        return new MultiChainComparison(this, p, m, lastKey);
    }

    /**
     * @param lm the LM to call (null: use the settings')
     * @return a copy using it
     */
    public MultiChainComparison withLm(@Nullable LanguageModel lm) {
        return with(predict().withLm(lm));
    }

    /**
     * @param config the call configuration, replacing the default temperature 0.7 (null: none)
     * @return a copy using it
     */
    public MultiChainComparison withConfig(@Nullable CallConfig config) {
        return with(predict().withConfig(config));
    }

    /**
     * @param retry the retry policy (null: use the settings', else the defaults)
     * @return a copy using it
     */
    public MultiChainComparison withRetry(@Nullable RetryPolicy retry) {
        return with(predict().withRetry(retry));
    }

    /**
     * @param demos the inner predictor's demos
     * @return a copy using them
     */
    public MultiChainComparison withDemos(List<Example> demos) {
        return with(predict().withDemos(demos));
    }

    @Override
    protected Mono<Prediction> run(Example inputs) {
        if (!inputs.has(COMPLETIONS)) {
            return Mono.error(new IllegalArgumentException("MultiChainComparison needs the attempts under the input '"
                    + COMPLETIONS + "'; the inputs are " + inputs.keys()));
        }
        List<Map<String, @Nullable Object>> completions = completions(inputs.get(COMPLETIONS));
        List<String> attempts = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            attempts.add(attempt(i, completions.get(i)));
        }
        if (attempts.size() != m) {
            return Mono.error(new IllegalArgumentException("The number of attempts (" + attempts.size()
                    + ") doesn't match the expected number M (" + m + "). Please set the correct value for M when "
                    + "initializing MultiChainComparison."));
        }
        Map<String, @Nullable Object> kwargs = new LinkedHashMap<>();
        for (int i = 0; i < attempts.size(); i++) {
            kwargs.put("reasoning_attempt_" + (i + 1), attempts.get(i));
        }
        Map<String, @Nullable Object> given = inputs.inputKeys().isEmpty() ? inputs.toMap() : inputs.inputs().toMap();
        given.forEach((k, v) -> {
            if (!k.equals(COMPLETIONS)) {
                kwargs.put(k, v);
            }
        });
        return predict().forward(Example.of(kwargs));
    }

    private static List<Map<String, @Nullable Object>> completions(@Nullable Object value) {
        if (value instanceof Prediction p) {
            return p.completions();
        }
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("MultiChainComparison's '" + COMPLETIONS + "' must be a Prediction or a "
                    + "list of predictions, examples or maps, got " + (value == null ? "null"
                    : value.getClass().getSimpleName()));
        }
        List<Map<String, @Nullable Object>> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            Object c = list.get(i);
            if (c instanceof Prediction p) {
                out.add(p.toMap());
            } else if (c instanceof Example e) {
                out.add(e.toMap());
            } else if (c instanceof Map<?, ?> map) {
                Map<String, @Nullable Object> copy = new LinkedHashMap<>();
                map.forEach((k, v) -> copy.put(String.valueOf(k), v));
                out.add(copy);
            } else {
                throw new IllegalArgumentException("MultiChainComparison's " + COMPLETIONS + "[" + i + "] must be a "
                        + "Prediction, an Example or a Map, got " + (c == null ? "null" : c.getClass().getSimpleName()));
            }
        }
        return out;
    }

    /** DSPy's attempt text: the first line of the rationale (else the reasoning) and of the answer, stripped. */
    private String attempt(int index, Map<String, @Nullable Object> c) {
        Object rationale = c.containsKey("rationale") ? c.get("rationale") : c.get("reasoning");
        if (!(rationale instanceof String r)) {
            throw new IllegalArgumentException("MultiChainComparison's " + COMPLETIONS + "[" + index + "] needs a text "
                    + "'rationale' or 'reasoning'; its fields are " + c.keySet());
        }
        if (!c.containsKey(lastKey)) {
            throw new IllegalArgumentException("MultiChainComparison's " + COMPLETIONS + "[" + index + "] has no '"
                    + lastKey + "'; its fields are " + c.keySet());
        }
        Object answer = c.get(lastKey);
        String a = answer instanceof String s ? s : PyFormat.str(PyFormat.jsonable(answer));
        return "«I'm trying to " + firstLine(r) + " I'm not sure but my prediction is " + firstLine(a) + "»";
    }

    /** Python's {@code s.strip().split("\n")[0].strip()}. */
    private static String firstLine(String s) {
        String stripped = PyFormat.strip(s);
        int nl = stripped.indexOf('\n');
        return PyFormat.strip(nl < 0 ? stripped : stripped.substring(0, nl));
    }

    @Override
    public MultiChainComparison copy() {
        return (MultiChainComparison) super.copy();
    }

    @Override
    public MultiChainComparison reset() {
        return (MultiChainComparison) super.reset();
    }

    /** @return the loaded copy, typed as a {@code MultiChainComparison}; see {@link io.dspex.Program#load(Path)} */
    @Override
    public MultiChainComparison load(Path path) {
        return (MultiChainComparison) super.load(path);
    }
}

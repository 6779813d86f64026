package io.dspex.predict;

import io.dspex.Prediction;
import io.dspex.internal.PyFormat;
import io.dspex.internal.TextNormalizer;
import io.dspex.lm.Usage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Aggregations over several completions or predictions (DSPy's {@code dspy.predict.aggregation}).
 *
 * <pre>{@code
 * Prediction five = Predict.of("question -> answer").withConfig(CallConfig.empty().withN(5)).forward(in).block();
 * Prediction voted = Predictions.majority(five, "answer");
 * }</pre>
 */
public final class Predictions {

    /** DSPy's {@code default_normalize}: {@code normalize_text}, with an empty result ignored. */
    private static final UnaryOperator<@Nullable String> DEFAULT_NORMALIZE = s -> {
        String n = TextNormalizer.normalizeText(s);
        return n.isEmpty() ? null : n;
    };

    private Predictions() {
    }

    /**
     * The most common value of {@code field} among a prediction's completions (DSPy's {@code majority}), after DSPy's
     * default normalisation: {@code normalize_text} (lower case, no punctuation or articles, white space collapsed);
     * a value that normalises to nothing is not counted. Ties go to the value that occurs first; the result is a
     * prediction of the first completion that has the winning value, with {@code completions}'s usage.
     *
     * @param completions a prediction whose {@link Prediction#completions()} to vote over
     * @param field       the field to vote on; null: the last field of the first completion (the signature's last
     *                    output field)
     * @return the winning completion as a one-completion prediction
     * @throws IllegalArgumentException naming the completion that lacks the field
     */
    public static Prediction majority(Prediction completions, @Nullable String field) {
        return majority(completions, field, DEFAULT_NORMALIZE);
    }

    /**
     * {@link #majority(Prediction, String)} with another normalisation.
     *
     * @param completions a prediction whose completions to vote over
     * @param field       the field to vote on; null: the last field of the first completion
     * @param normalize   maps a value's text to what is compared (null from it: not counted); null compares the text
     *                    as it is (DSPy's {@code normalize=None})
     * @return the winning completion as a one-completion prediction
     * @throws IllegalArgumentException naming the completion that lacks the field
     */
    public static Prediction majority(Prediction completions, @Nullable String field,
                                      @Nullable UnaryOperator<@Nullable String> normalize) {
        if (completions == null) {
            throw new IllegalArgumentException("completions must not be null");
        }
        Map<String, @Nullable Object> winner = vote(completions.completions(), field, normalize);
        Prediction p = Prediction.fromCompletions(List.of(winner), completions.usage());
        return completions.usageByModel().isEmpty() ? p : p.withUsageByModel(completions.usageByModel());
    }

    /**
     * The most common value of {@code field} among several predictions (each one's first completion), as
     * {@link #majority(Prediction, String)}; the result carries their usage together.
     *
     * @param predictions the predictions, at least one
     * @param field       the field to vote on; null: the last field of the first prediction
     * @return the winning prediction's outputs as a one-completion prediction
     * @throws IllegalArgumentException when the list is empty or holds null, or naming the prediction that lacks the
     *                                  field
     */
    public static Prediction majority(List<Prediction> predictions, @Nullable String field) {
        return majority(predictions, field, DEFAULT_NORMALIZE);
    }

    /**
     * {@link #majority(List, String)} with another normalisation.
     *
     * @param predictions the predictions, at least one
     * @param field       the field to vote on; null: the last field of the first prediction
     * @param normalize   maps a value's text to what is compared (null from it: not counted); null compares the text
     *                    as it is
     * @return the winning prediction's outputs as a one-completion prediction
     * @throws IllegalArgumentException when the list is empty or holds null, or naming the prediction that lacks the
     *                                  field
     */
    public static Prediction majority(List<Prediction> predictions, @Nullable String field,
                                      @Nullable UnaryOperator<@Nullable String> normalize) {
        if (predictions == null) {
            throw new IllegalArgumentException("predictions must not be null");
        }
        List<Map<String, @Nullable Object>> completions = new ArrayList<>(predictions.size());
        Usage unattributed = Usage.ZERO;
        Map<String, Usage> byModel = new LinkedHashMap<>();
        for (int i = 0; i < predictions.size(); i++) {
            Prediction p = predictions.get(i);
            if (p == null) {
                throw new IllegalArgumentException("predictions[" + i + "] is null");
            }
            completions.add(p.toMap());
            if (p.usageByModel().isEmpty()) {
                unattributed = unattributed.plus(p.usage());
            } else {
                p.usageByModel().forEach((m, u) -> byModel.merge(m, u, Usage::plus));
            }
        }
        Map<String, @Nullable Object> winner = vote(completions, field, normalize);
        Prediction p = Prediction.fromCompletions(List.of(winner), unattributed);
        // Usage that names a model keeps its names; hand-made usage without one is added to no name.
        return byModel.isEmpty() || !unattributed.equals(Usage.ZERO) ? p.withUsage(sumOf(byModel, unattributed))
                : p.withUsageByModel(byModel);
    }

    private static Usage sumOf(Map<String, Usage> byModel, Usage rest) {
        Usage total = rest;
        for (Usage u : byModel.values()) {
            total = total.plus(u);
        }
        return total;
    }

    private static Map<String, @Nullable Object> vote(List<Map<String, @Nullable Object>> completions,
                                                      @Nullable String field,
                                                      @Nullable UnaryOperator<@Nullable String> normalize) {
        if (completions.isEmpty()) {
            throw new IllegalArgumentException("majority needs at least one completion");
        }
        String f = field;
        if (f == null) {
            List<String> keys = new ArrayList<>(completions.get(0).keySet());
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("majority: the first completion has no fields to vote on");
            }
            f = keys.get(keys.size() - 1);
        }
        UnaryOperator<@Nullable String> norm = normalize == null ? s -> s : normalize;
        List<@Nullable String> normalized = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            Map<String, @Nullable Object> c = completions.get(i);
            if (!c.containsKey(f)) {
                throw new IllegalArgumentException("majority: completion " + i + " has no field '" + f
                        + "'; its fields are " + c.keySet());
            }
            Object v = c.get(f);
            normalized.add(v == null ? null : norm.apply(text(v)));
        }
        // Count the values that normalise to something; only when none does, count them all (as DSPy).
        boolean anyCounted = normalized.stream().anyMatch(Objects::nonNull);
        Map<@Nullable String, Integer> counts = new LinkedHashMap<>();
        for (String n : normalized) {
            if (n != null || !anyCounted) {
                counts.merge(n, 1, Integer::sum);
            }
        }
        String best = null;
        int bestCount = -1;
        for (Map.Entry<@Nullable String, Integer> e : counts.entrySet()) {
            if (e.getValue() > bestCount) { // strictly more: a tie keeps the earlier value, as Python's max
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        return completions.get(normalized.indexOf(best));
    }

    private static String text(Object value) {
        return value instanceof String s ? s : PyFormat.str(PyFormat.jsonable(value));
    }
}

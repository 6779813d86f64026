package io.dspex;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dspex.lm.Usage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outputs of one program run (DSPy's {@code dspy.Prediction}): the output fields of the first completion,
 * every completion when the LM was asked for {@code n > 1}, and the token usage of the LM calls that made it.
 *
 * <p>A prediction returned by a {@link Module}'s {@code forward} carries the usage of <em>every</em> LM call made
 * during that call, nested modules, retries and advice calls included, per model name ({@link #usageByModel()},
 * DSPy's {@code get_lm_usage()}); {@link #usage()} is their sum. See {@link UsageTracker}.
 *
 * <p>Immutable; value equality over outputs, completions and usage.
 *
 * <pre>{@code
 * Prediction p = qa.forward(Map.of("question", "2+2?")).block();
 * String answer = (String) p.get("answer");
 * long tokens = p.usage().totalTokens();
 * Map<String, Usage> perModel = p.usageByModel();   // {"gpt-4o-mini": Usage[promptTokens=.., ...]}
 * }</pre>
 */
public final class Prediction {

    private final Map<String, @Nullable Object> fields;
    private final List<Map<String, @Nullable Object>> completions;
    private final Usage usage;
    /** Empty when the usage is not attributed to models (set with {@link #withUsage}); else sums to usage. */
    private final Map<String, Usage> usageByModel;

    private Prediction(Map<String, @Nullable Object> fields, List<Map<String, @Nullable Object>> completions,
                       Usage usage, Map<String, Usage> usageByModel) {
        this.fields = fields;
        this.completions = completions;
        this.usage = usage;
        this.usageByModel = usageByModel;
    }

    /**
     * A prediction with one completion and no usage.
     *
     * @param fields the output values (copied; order kept; null values allowed)
     * @return the prediction
     * @throws IllegalArgumentException when {@code fields} is null or holds a null or blank key
     */
    public static Prediction of(Map<String, ?> fields) {
        Map<String, @Nullable Object> f = copy(fields, "prediction fields");
        return new Prediction(f, List.of(f), Usage.ZERO, Map.of());
    }

    /**
     * A prediction from several completions: the first is the prediction's own fields.
     *
     * @param completions one map of output values per completion, at least one
     * @param usage       the token usage (null counts as zero)
     * @return the prediction
     * @throws IllegalArgumentException when there is no completion
     */
    public static Prediction fromCompletions(List<? extends Map<String, ?>> completions, @Nullable Usage usage) {
        if (completions == null || completions.isEmpty()) {
            throw new IllegalArgumentException("a prediction needs at least one completion");
        }
        List<Map<String, @Nullable Object>> cs = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            cs.add(copy(completions.get(i), "completion " + i));
        }
        return new Prediction(cs.get(0), Collections.unmodifiableList(cs), usage == null ? Usage.ZERO : usage,
                Map.of());
    }

    /** Jackson's way in: {@link #fromCompletions} plus the usage per model when the JSON has it. */
    @JsonCreator
    static Prediction fromJson(@JsonProperty("completions") List<? extends Map<String, ?>> completions,
                               @JsonProperty("usage") @Nullable Usage usage,
                               @JsonProperty("usage_by_model") @Nullable Map<String, Usage> usageByModel) {
        Prediction p = fromCompletions(completions, usage);
        return usageByModel == null || usageByModel.isEmpty() ? p : p.withUsageByModel(usageByModel);
    }

    private static Map<String, @Nullable Object> copy(Map<String, ?> values, String what) {
        if (values == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : values.entrySet()) {
            if (e.getKey() == null || e.getKey().isBlank()) {
                throw new IllegalArgumentException(what + " hold a blank or null key");
            }
            m.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * @param field an output field name
     * @return its value in the first completion (null when the LM gave an optional field no value)
     * @throws IllegalArgumentException naming the field and the fields present when it is absent
     */
    public @Nullable Object get(String field) {
        if (!fields.containsKey(field)) {
            throw new IllegalArgumentException("prediction has no field '" + field + "'; its fields are "
                    + fields.keySet());
        }
        return fields.get(field);
    }

    /**
     * Typed access.
     *
     * @param field an output field name
     * @param type  the expected Java type
     * @param <T>   that type
     * @return the value cast to {@code type}
     * @throws IllegalArgumentException when absent or of another type (naming both types)
     */
    public <T> @Nullable T get(String field, Class<T> type) {
        Object v = get(field);
        if (v != null && !type.isInstance(v)) {
            throw new IllegalArgumentException("prediction field '" + field + "' is a "
                    + v.getClass().getSimpleName() + ", not a " + type.getSimpleName());
        }
        return type.cast(v);
    }

    /**
     * @param field a name
     * @return whether the prediction has that field
     */
    public boolean has(String field) {
        return fields.containsKey(field);
    }

    /** @return the output values of the first completion, unmodifiable, in field order */
    public Map<String, @Nullable Object> toMap() {
        return fields;
    }

    /** @return every completion's output values; one entry unless the LM was called with {@code n > 1} */
    @JsonGetter("completions")
    public List<Map<String, @Nullable Object>> completions() {
        return completions;
    }

    /**
     * @param field an output field
     * @return that field's value in each completion, in order (DSPy's {@code pred.completions.answer})
     */
    public List<@Nullable Object> completions(String field) {
        get(field);
        List<@Nullable Object> out = new ArrayList<>(completions.size());
        for (Map<String, @Nullable Object> c : completions) {
            out.add(c.get(field));
        }
        return out;
    }

    /** @return the token usage of the LM calls that produced this prediction ({@link Usage#ZERO} for a cache hit) */
    @JsonGetter("usage")
    public Usage usage() {
        return usage;
    }

    /**
     * The usage per model name (DSPy's {@code get_lm_usage()}): for a prediction returned by a {@link Module}, every
     * LM call made during that forward; empty when the usage was set without a model ({@link #withUsage}) or none was
     * recorded.
     *
     * @return model name to usage, in the order the models were first used (unmodifiable)
     */
    @JsonGetter("usage_by_model")
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public Map<String, Usage> usageByModel() {
        return usageByModel;
    }

    /**
     * @param usage the usage to carry (null counts as zero), attributed to no model
     * @return a copy with that usage and an empty {@link #usageByModel()}
     */
    public Prediction withUsage(@Nullable Usage usage) {
        return new Prediction(fields, completions, usage == null ? Usage.ZERO : usage, Map.of());
    }

    /**
     * @param usageByModel model name to usage (copied; order kept)
     * @return a copy carrying it, with {@link #usage()} its sum
     * @throws IllegalArgumentException when the map is null or holds a blank name or a null usage
     */
    public Prediction withUsageByModel(Map<String, Usage> usageByModel) {
        if (usageByModel == null) {
            throw new IllegalArgumentException("usageByModel must not be null");
        }
        Map<String, Usage> m = new LinkedHashMap<>();
        for (Map.Entry<String, Usage> e : usageByModel.entrySet()) {
            if (e.getKey() == null || e.getKey().isBlank() || e.getValue() == null) {
                throw new IllegalArgumentException("usageByModel holds a blank model name or a null usage: "
                        + usageByModel);
            }
            m.put(e.getKey(), e.getValue());
        }
        return new Prediction(fields, completions, UsageTracker.sum(m), Collections.unmodifiableMap(m));
    }

    /**
     * @param field a field to set in the first completion
     * @param value its value
     * @return a copy with the field set
     */
    public Prediction with(String field, @Nullable Object value) {
        Map<String, @Nullable Object> f = new LinkedHashMap<>(fields);
        f.put(field, value);
        List<Map<String, @Nullable Object>> cs = new ArrayList<>(completions);
        Map<String, @Nullable Object> first = Collections.unmodifiableMap(f);
        cs.set(0, first);
        return new Prediction(first, Collections.unmodifiableList(cs), usage, usageByModel);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Prediction p && p.completions.equals(completions) && p.usage.equals(usage)
                && p.usageByModel.equals(usageByModel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(completions, usage, usageByModel);
    }

    @Override
    public String toString() {
        return "Prediction(" + fields + (completions.size() > 1 ? ", completions=" + completions.size() : "") + ")";
    }
}

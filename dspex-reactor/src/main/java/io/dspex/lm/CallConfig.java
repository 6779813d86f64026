package io.dspex.lm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The LM call parameters, in one immutable type used at every layer (DSPy's {@code config=} of {@code dspy.Predict}
 * and the keyword arguments of {@code dspy.LM}): model, temperature, max tokens, {@code n}, stop sequences, seed,
 * rollout id and extra provider parameters. A client's defaults, a predictor's configuration, per-run settings and
 * one {@link LmRequest} all hold a {@code CallConfig}; an unset value ({@code null}) falls through to the layer below,
 * and {@link #overriddenBy} combines two layers.
 *
 * <pre>{@code
 * Predict qa = Predict.of("question -> answer")
 *     .withConfig(CallConfig.empty().withTemperature(0.7).withN(5));
 * LmRequest request = LmRequest.of(List.of(Message.user("Say hi")), CallConfig.empty().withMaxTokens(64));
 * }</pre>
 *
 * <p>Every {@code with...} validates its value and names it when it is invalid.
 */
public final class CallConfig {

    /** Body keys the client owns; {@link #extra()} may not set them. */
    private static final Set<String> RESERVED = Set.of("messages", "stream", "stream_options");

    private static final CallConfig EMPTY = new CallConfig(null, null, null, null, null, null, null, Map.of());

    private final @Nullable String model;
    private final @Nullable Double temperature;
    private final @Nullable Integer maxTokens;
    private final @Nullable Integer n;
    private final @Nullable List<String> stop;
    private final @Nullable Long seed;
    private final @Nullable String rolloutId;
    private final Map<String, Object> extra;

    private CallConfig(@Nullable String model, @Nullable Double temperature, @Nullable Integer maxTokens,
                       @Nullable Integer n, @Nullable List<String> stop, @Nullable Long seed,
                       @Nullable String rolloutId, Map<String, Object> extra) {
        this.model = model;
        this.temperature = temperature;
        this.maxTokens = maxTokens;
        this.n = n;
        this.stop = stop;
        this.seed = seed;
        this.rolloutId = rolloutId;
        this.extra = extra;
    }

    /** @return a configuration with nothing set */
    public static CallConfig empty() {
        return EMPTY;
    }

    /**
     * @param model the model name (null: the layer below's)
     * @return a copy with it
     * @throws IllegalArgumentException when blank
     */
    public CallConfig withModel(@Nullable String model) {
        if (model != null && model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank (use null for the default)");
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param temperature the sampling temperature, a finite number {@code >= 0} (providers cap it: OpenAI and Gemini
     *                    at 2, Anthropic at 1); null: the layer below's
     * @return a copy with it
     * @throws IllegalArgumentException when negative, NaN or infinite
     */
    public CallConfig withTemperature(@Nullable Double temperature) {
        if (temperature != null && !(temperature >= 0 && !temperature.isInfinite())) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param maxTokens the most tokens to generate ({@code max_tokens}), at least 1; null: the layer below's
     * @return a copy with it
     * @throws IllegalArgumentException when below 1
     */
    public CallConfig withMaxTokens(@Nullable Integer maxTokens) {
        if (maxTokens != null && maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param n how many completions to ask for, at least 1; a predictor parses all of them into
     *          {@code Prediction.completions()}; null: the layer below's (one)
     * @return a copy with it
     * @throws IllegalArgumentException when below 1
     */
    public CallConfig withN(@Nullable Integer n) {
        if (n != null && n < 1) {
            throw new IllegalArgumentException("n must be at least 1, got " + n);
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param stop stop sequences, each non-empty (null: the layer below's)
     * @return a copy with them
     * @throws IllegalArgumentException naming the index of a null or empty sequence
     */
    public CallConfig withStop(@Nullable List<String> stop) {
        List<String> copy = null;
        if (stop != null) {
            copy = new ArrayList<>(stop.size());
            for (int i = 0; i < stop.size(); i++) {
                String s = stop.get(i);
                if (s == null || s.isEmpty()) {
                    throw new IllegalArgumentException("stop[" + i + "] must be a non-empty string");
                }
                copy.add(s);
            }
            copy = Collections.unmodifiableList(copy);
        }
        return new CallConfig(model, temperature, maxTokens, n, copy, seed, rolloutId, extra);
    }

    /**
     * @param seed the provider's sampling seed (null: none)
     * @return a copy with it
     */
    public CallConfig withSeed(@Nullable Long seed) {
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param rolloutId a tag that is never sent but makes otherwise identical calls distinct for a cache (DSPy's
     *                  {@code rollout_id}); null for none
     * @return a copy with it
     */
    public CallConfig withRolloutId(@Nullable String rolloutId) {
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param key   an extra provider parameter, copied into the request body as it is (e.g. {@code top_p},
     *              {@code reasoning_effort}); it wins over the client's field of the same name
     * @param value its value (null removes it)
     * @return a copy with it
     * @throws IllegalArgumentException when the key is blank or one the client owns ({@code messages},
     *                                  {@code stream}, {@code stream_options})
     */
    public CallConfig withExtra(String key, @Nullable Object value) {
        checkExtraKey(key);
        Map<String, Object> e = new LinkedHashMap<>(extra);
        if (value == null) {
            e.remove(key);
        } else {
            e.put(key, value);
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, Collections.unmodifiableMap(e));
    }

    /**
     * @param extra extra provider parameters replacing the current ones (null or empty: none)
     * @return a copy with them
     * @throws IllegalArgumentException when a key is null, blank or one the client owns
     */
    public CallConfig withExtra(@Nullable Map<String, ?> extra) {
        Map<String, Object> e = new LinkedHashMap<>();
        if (extra != null) {
            for (Map.Entry<String, ?> entry : extra.entrySet()) {
                checkExtraKey(entry.getKey());
                if (entry.getValue() != null) {
                    e.put(entry.getKey(), entry.getValue());
                }
            }
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId,
                e.isEmpty() ? Map.of() : Collections.unmodifiableMap(e));
    }

    private static void checkExtraKey(@Nullable String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("extra parameter name must not be blank");
        }
        if (RESERVED.contains(key)) {
            throw new IllegalArgumentException("extra must not set '" + key
                    + "': the client sets it (use the dedicated field or stream())");
        }
    }

    /** @return the model */
    public @Nullable String model() {
        return model;
    }

    /** @return the temperature */
    public @Nullable Double temperature() {
        return temperature;
    }

    /** @return the max tokens */
    public @Nullable Integer maxTokens() {
        return maxTokens;
    }

    /** @return the number of completions (one when unset) */
    public @Nullable Integer n() {
        return n;
    }

    /** @return the stop sequences (unmodifiable) */
    public @Nullable List<String> stop() {
        return stop;
    }

    /** @return the seed */
    public @Nullable Long seed() {
        return seed;
    }

    /** @return the rollout id */
    public @Nullable String rolloutId() {
        return rolloutId;
    }

    /** @return extra provider parameters; unmodifiable, empty when none */
    public Map<String, Object> extra() {
        return extra;
    }

    /** @return whether nothing is set */
    public boolean isEmpty() {
        return this == EMPTY || equals(EMPTY);
    }

    /**
     * @param top a configuration whose set values win (null: none, as {@link #empty()})
     * @return this configuration with {@code top}'s set values on top (extra parameters merged, {@code top}'s
     *         winning)
     */
    public CallConfig overriddenBy(@Nullable CallConfig top) {
        if (top == null || top == EMPTY) {
            return this;
        }
        if (this == EMPTY) {
            return top;
        }
        Map<String, Object> e;
        if (top.extra.isEmpty()) {
            e = extra;
        } else if (extra.isEmpty()) {
            e = top.extra;
        } else {
            Map<String, Object> merged = new LinkedHashMap<>(extra);
            merged.putAll(top.extra);
            e = Collections.unmodifiableMap(merged);
        }
        return new CallConfig(top.model != null ? top.model : model,
                top.temperature != null ? top.temperature : temperature,
                top.maxTokens != null ? top.maxTokens : maxTokens, top.n != null ? top.n : n,
                top.stop != null ? top.stop : stop, top.seed != null ? top.seed : seed,
                top.rolloutId != null ? top.rolloutId : rolloutId, e);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof CallConfig c && Objects.equals(model, c.model) && Objects.equals(temperature, c.temperature)
                && Objects.equals(maxTokens, c.maxTokens) && Objects.equals(n, c.n) && Objects.equals(stop, c.stop)
                && Objects.equals(seed, c.seed) && Objects.equals(rolloutId, c.rolloutId) && extra.equals(c.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /** @return the set values; extra parameters by name only (their values may be sensitive) */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("CallConfig[");
        int start = sb.length();
        append(sb, start, "model", model);
        append(sb, start, "temperature", temperature);
        append(sb, start, "maxTokens", maxTokens);
        append(sb, start, "n", n);
        append(sb, start, "stop", stop);
        append(sb, start, "seed", seed);
        append(sb, start, "rolloutId", rolloutId);
        append(sb, start, "extra", extra.isEmpty() ? null : extra.keySet());
        return sb.append(']').toString();
    }

    private static void append(StringBuilder sb, int start, String name, @Nullable Object value) {
        if (value != null) {
            sb.append(sb.length() > start ? ", " : "").append(name).append('=').append(value);
        }
    }
}

package io.dspex.predict;

import io.dspex.lm.LmRequest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Per-call LM parameters of a predictor (DSPy's {@code config=} of {@code dspy.Predict}): model, temperature,
 * max tokens, {@code n}, stop sequences, seed, rollout id and extra provider parameters. Immutable; an unset
 * value ({@code null}) leaves the LM's own default in place. Layers combine with {@link #overriddenBy}.
 *
 * <pre>{@code
 * Predict qa = Predict.of("question -> answer")
 *     .withConfig(CallConfig.empty().withTemperature(0.7).withN(5));
 * }</pre>
 */
public final class CallConfig {

    private static final CallConfig EMPTY = new CallConfig(null, null, null, null, null, null, null, Map.of());

    private final String model;
    private final Double temperature;
    private final Integer maxTokens;
    private final Integer n;
    private final List<String> stop;
    private final Long seed;
    private final String rolloutId;
    private final Map<String, Object> extra;

    private CallConfig(String model, Double temperature, Integer maxTokens, Integer n, List<String> stop, Long seed,
                       String rolloutId, Map<String, Object> extra) {
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
     * @param model the model name (null: the LM's default)
     * @return a copy with it
     */
    public CallConfig withModel(String model) {
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param temperature sampling temperature, 0 to 2 (null: the LM's default)
     * @return a copy with it
     * @throws IllegalArgumentException when outside [0, 2]
     */
    public CallConfig withTemperature(Double temperature) {
        if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
            throw new IllegalArgumentException("temperature must be within [0, 2], got " + temperature);
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param maxTokens the most tokens to generate, at least 1 (null: the LM's default)
     * @return a copy with it
     */
    public CallConfig withMaxTokens(Integer maxTokens) {
        if (maxTokens != null && maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param n how many completions to ask for, at least 1; all are parsed into
     *          {@link io.dspex.Prediction#completions()}
     * @return a copy with it
     */
    public CallConfig withN(Integer n) {
        if (n != null && n < 1) {
            throw new IllegalArgumentException("n must be at least 1, got " + n);
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param stop stop sequences (null: none set)
     * @return a copy with them
     */
    public CallConfig withStop(List<String> stop) {
        return new CallConfig(model, temperature, maxTokens, n, stop == null ? null : List.copyOf(stop), seed,
                rolloutId, extra);
    }

    /**
     * @param seed the provider's sampling seed (null: none)
     * @return a copy with it
     */
    public CallConfig withSeed(Long seed) {
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param rolloutId a tag that is never sent but makes otherwise identical calls distinct for the cache
     *                  (DSPy's {@code rollout_id}); null for none
     * @return a copy with it
     */
    public CallConfig withRolloutId(String rolloutId) {
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    /**
     * @param key   an extra provider parameter, passed through into the request body
     * @param value its value (null removes it)
     * @return a copy with it
     */
    public CallConfig withExtra(String key, Object value) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("extra parameter name must not be blank");
        }
        Map<String, Object> e = new LinkedHashMap<>(extra);
        if (value == null) {
            e.remove(key);
        } else {
            e.put(key, value);
        }
        return new CallConfig(model, temperature, maxTokens, n, stop, seed, rolloutId,
                Collections.unmodifiableMap(e));
    }

    /** @return the model, or null */
    public String model() {
        return model;
    }

    /** @return the temperature, or null */
    public Double temperature() {
        return temperature;
    }

    /** @return the max tokens, or null */
    public Integer maxTokens() {
        return maxTokens;
    }

    /** @return the number of completions, or null (one) */
    public Integer n() {
        return n;
    }

    /** @return the stop sequences, or null */
    public List<String> stop() {
        return stop;
    }

    /** @return the seed, or null */
    public Long seed() {
        return seed;
    }

    /** @return the rollout id, or null */
    public String rolloutId() {
        return rolloutId;
    }

    /** @return extra provider parameters (never null) */
    public Map<String, Object> extra() {
        return extra;
    }

    /**
     * @param top a configuration whose set values win
     * @return this configuration with {@code top}'s set values on top (extra parameters merged)
     */
    public CallConfig overriddenBy(CallConfig top) {
        if (top == null || top == EMPTY) {
            return this;
        }
        if (this == EMPTY) {
            return top;
        }
        Map<String, Object> e = new LinkedHashMap<>(extra);
        e.putAll(top.extra);
        return new CallConfig(top.model != null ? top.model : model,
                top.temperature != null ? top.temperature : temperature,
                top.maxTokens != null ? top.maxTokens : maxTokens, top.n != null ? top.n : n,
                top.stop != null ? top.stop : stop, top.seed != null ? top.seed : seed,
                top.rolloutId != null ? top.rolloutId : rolloutId, Collections.unmodifiableMap(e));
    }

    /**
     * @param request a request
     * @return the request with this configuration's set values applied
     */
    public LmRequest applyTo(LmRequest request) {
        if (this == EMPTY) {
            return request;
        }
        LmRequest.Builder b = request.toBuilder();
        if (model != null) {
            b.model(model);
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (maxTokens != null) {
            b.maxTokens(maxTokens);
        }
        if (n != null) {
            b.n(n);
        }
        if (stop != null) {
            b.stop(stop);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (rolloutId != null) {
            b.rolloutId(rolloutId);
        }
        extra.forEach(b::extra);
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CallConfig c && Objects.equals(model, c.model) && Objects.equals(temperature, c.temperature)
                && Objects.equals(maxTokens, c.maxTokens) && Objects.equals(n, c.n) && Objects.equals(stop, c.stop)
                && Objects.equals(seed, c.seed) && Objects.equals(rolloutId, c.rolloutId) && extra.equals(c.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, temperature, maxTokens, n, stop, seed, rolloutId, extra);
    }

    @Override
    public String toString() {
        return "CallConfig[model=" + model + ", temperature=" + temperature + ", maxTokens=" + maxTokens + ", n=" + n
                + ", stop=" + stop + ", seed=" + seed + ", rolloutId=" + rolloutId + ", extra=" + extra.keySet() + "]";
    }
}

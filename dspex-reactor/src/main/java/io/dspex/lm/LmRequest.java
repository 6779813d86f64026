package io.dspex.lm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One request to a language model: the messages plus optional sampling parameters. Immutable; unset
 * parameters are {@code null} (the client's defaults, then the provider's, apply).
 *
 * <pre>{@code
 * LmRequest request = LmRequest.of(List.of(Message.user("Say hi")))
 *     .withTemperature(0.7)
 *     .withMaxTokens(64);
 * LmRequest other = request.toBuilder().n(3).seed(42L).build();
 * }</pre>
 *
 * <p>Two requests are {@link #equals equal} when all their fields are, including the {@link #rolloutId()},
 * so a cache keyed on the request treats different rollouts as different entries (as DSPy does).
 */
public final class LmRequest {

    /** Body keys the client owns; {@link #extra()} may not set them. */
    private static final Set<String> RESERVED = Set.of("messages", "stream", "stream_options");

    private final List<Message> messages;
    private final String model;
    private final Double temperature;
    private final Integer maxTokens;
    private final Integer n;
    private final List<String> stop;
    private final Map<String, Object> responseFormat;
    private final Long seed;
    private final Map<String, Object> extra;
    private final String rolloutId;

    private LmRequest(Builder b) {
        if (b.messages == null || b.messages.isEmpty()) {
            throw new IllegalArgumentException("LmRequest.messages must contain at least one message");
        }
        List<Message> ms = new ArrayList<>(b.messages.size());
        for (int i = 0; i < b.messages.size(); i++) {
            Message m = b.messages.get(i);
            if (m == null) {
                throw new IllegalArgumentException("LmRequest.messages[" + i + "] is null");
            }
            ms.add(m);
        }
        this.messages = Collections.unmodifiableList(ms);
        if (b.model != null && b.model.isBlank()) {
            throw new IllegalArgumentException("LmRequest.model must not be blank (use null for the client default)");
        }
        this.model = b.model;
        if (b.temperature != null && (b.temperature.isNaN() || b.temperature < 0 || b.temperature.isInfinite())) {
            throw new IllegalArgumentException("LmRequest.temperature must be a finite number >= 0, got " + b.temperature);
        }
        this.temperature = b.temperature;
        if (b.maxTokens != null && b.maxTokens < 1) {
            throw new IllegalArgumentException("LmRequest.maxTokens must be >= 1, got " + b.maxTokens);
        }
        this.maxTokens = b.maxTokens;
        if (b.n != null && b.n < 1) {
            throw new IllegalArgumentException("LmRequest.n must be >= 1, got " + b.n);
        }
        this.n = b.n;
        List<String> st = new ArrayList<>();
        if (b.stop != null) {
            for (int i = 0; i < b.stop.size(); i++) {
                String s = b.stop.get(i);
                if (s == null || s.isEmpty()) {
                    throw new IllegalArgumentException("LmRequest.stop[" + i + "] must be a non-empty string");
                }
                st.add(s);
            }
        }
        this.stop = Collections.unmodifiableList(st);
        this.responseFormat = b.responseFormat == null ? null : copyMap("responseFormat", b.responseFormat);
        this.seed = b.seed;
        Map<String, Object> ex = b.extra == null ? Map.of() : copyMap("extra", b.extra);
        for (String key : ex.keySet()) {
            if (RESERVED.contains(key)) {
                throw new IllegalArgumentException("LmRequest.extra must not set '" + key
                        + "': the client sets it (use the dedicated field or stream())");
            }
        }
        this.extra = ex;
        this.rolloutId = b.rolloutId;
    }

    private static Map<String, Object> copyMap(String field, Map<String, ?> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : map.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException("LmRequest." + field + " has a null key");
            }
            copy.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(copy);
    }

    /**
     * A request with the given messages and no parameters set.
     *
     * @param messages at least one message
     * @return the request
     * @throws IllegalArgumentException when the list is null, empty or holds a null
     */
    public static LmRequest of(List<Message> messages) {
        return builder().messages(messages).build();
    }

    /** @return a builder with nothing set */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder preset with this request's fields */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.messages = messages;
        b.model = model;
        b.temperature = temperature;
        b.maxTokens = maxTokens;
        b.n = n;
        b.stop = stop;
        b.responseFormat = responseFormat;
        b.seed = seed;
        b.extra = extra;
        b.rolloutId = rolloutId;
        return b;
    }

    /** @return the messages, in order; unmodifiable, never empty */
    public List<Message> messages() {
        return messages;
    }

    /** @return the model, or null for the client's default model */
    public String model() {
        return model;
    }

    /** @return the sampling temperature, or null when unset */
    public Double temperature() {
        return temperature;
    }

    /** @return the maximum number of tokens to generate ({@code max_tokens}), or null when unset */
    public Integer maxTokens() {
        return maxTokens;
    }

    /** @return how many choices to generate, or null when unset (the provider's default is 1) */
    public Integer n() {
        return n;
    }

    /** @return stop sequences; unmodifiable, empty when unset */
    public List<String> stop() {
        return stop;
    }

    /** @return the {@code response_format} object (e.g. {@code {"type":"json_object"}}), or null when unset */
    public Map<String, Object> responseFormat() {
        return responseFormat;
    }

    /** @return the sampling seed, or null when unset */
    public Long seed() {
        return seed;
    }

    /**
     * Provider-specific parameters copied into the JSON body as they are (e.g. {@code top_p},
     * {@code reasoning_effort}); they override the client's defaults of the same name.
     *
     * @return the extra parameters; unmodifiable, empty when none
     */
    public Map<String, Object> extra() {
        return extra;
    }

    /**
     * DSPy's rollout id: distinguishes otherwise identical requests (e.g. for caches). It is never sent to the
     * provider.
     *
     * @return the rollout id, or null when unset
     */
    public String rolloutId() {
        return rolloutId;
    }

    /**
     * @param messages the new messages
     * @return a copy with them
     */
    public LmRequest withMessages(List<Message> messages) {
        return toBuilder().messages(messages).build();
    }

    /**
     * @param model the model, or null for the client default
     * @return a copy with it
     */
    public LmRequest withModel(String model) {
        return toBuilder().model(model).build();
    }

    /**
     * @param temperature the temperature, or null to unset
     * @return a copy with it
     */
    public LmRequest withTemperature(Double temperature) {
        return toBuilder().temperature(temperature).build();
    }

    /**
     * @param maxTokens the token limit, or null to unset
     * @return a copy with it
     */
    public LmRequest withMaxTokens(Integer maxTokens) {
        return toBuilder().maxTokens(maxTokens).build();
    }

    /**
     * @param n the number of choices, or null to unset
     * @return a copy with it
     */
    public LmRequest withN(Integer n) {
        return toBuilder().n(n).build();
    }

    /**
     * @param stop stop sequences (null or empty to unset)
     * @return a copy with them
     */
    public LmRequest withStop(List<String> stop) {
        return toBuilder().stop(stop).build();
    }

    /**
     * @param responseFormat the response format object, or null to unset
     * @return a copy with it
     */
    public LmRequest withResponseFormat(Map<String, ?> responseFormat) {
        return toBuilder().responseFormat(responseFormat).build();
    }

    /**
     * @param seed the seed, or null to unset
     * @return a copy with it
     */
    public LmRequest withSeed(Long seed) {
        return toBuilder().seed(seed).build();
    }

    /**
     * @param extra the extra body parameters (replacing the current ones)
     * @return a copy with them
     */
    public LmRequest withExtra(Map<String, ?> extra) {
        return toBuilder().extra(extra).build();
    }

    /**
     * @param key an extra body parameter
     * @param value its value
     * @return a copy with it added or replaced
     */
    public LmRequest withExtra(String key, Object value) {
        return toBuilder().extra(key, value).build();
    }

    /**
     * @param rolloutId the rollout id, or null to unset
     * @return a copy with it
     */
    public LmRequest withRolloutId(String rolloutId) {
        return toBuilder().rolloutId(rolloutId).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof LmRequest r)) {
            return false;
        }
        return messages.equals(r.messages) && Objects.equals(model, r.model)
                && Objects.equals(temperature, r.temperature) && Objects.equals(maxTokens, r.maxTokens)
                && Objects.equals(n, r.n) && stop.equals(r.stop)
                && Objects.equals(responseFormat, r.responseFormat) && Objects.equals(seed, r.seed)
                && extra.equals(r.extra) && Objects.equals(rolloutId, r.rolloutId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(messages, model, temperature, maxTokens, n, stop, responseFormat, seed, extra, rolloutId);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LmRequest[messages=").append(messages.size());
        if (model != null) {
            sb.append(", model=").append(model);
        }
        if (temperature != null) {
            sb.append(", temperature=").append(temperature);
        }
        if (maxTokens != null) {
            sb.append(", maxTokens=").append(maxTokens);
        }
        if (n != null) {
            sb.append(", n=").append(n);
        }
        if (!stop.isEmpty()) {
            sb.append(", stop=").append(stop);
        }
        if (responseFormat != null) {
            sb.append(", responseFormat=").append(responseFormat);
        }
        if (seed != null) {
            sb.append(", seed=").append(seed);
        }
        if (!extra.isEmpty()) {
            sb.append(", extra=").append(extra.keySet());
        }
        if (rolloutId != null) {
            sb.append(", rolloutId=").append(rolloutId);
        }
        return sb.append(']').toString();
    }

    /**
     * Builds an {@link LmRequest}; {@link #build()} validates every field.
     *
     * <pre>{@code
     * LmRequest r = LmRequest.builder().messages(List.of(Message.user("hi"))).temperature(0.0).build();
     * }</pre>
     */
    public static final class Builder {
        private List<Message> messages;
        private String model;
        private Double temperature;
        private Integer maxTokens;
        private Integer n;
        private List<String> stop;
        private Map<String, ?> responseFormat;
        private Long seed;
        private Map<String, Object> extra;
        private String rolloutId;

        private Builder() {
        }

        /**
         * @param messages at least one message
         * @return this builder
         */
        public Builder messages(List<Message> messages) {
            this.messages = messages;
            return this;
        }

        /**
         * @param model the model, or null for the client default
         * @return this builder
         */
        public Builder model(String model) {
            this.model = model;
            return this;
        }

        /**
         * @param temperature a finite value {@code >= 0}, or null
         * @return this builder
         */
        public Builder temperature(Double temperature) {
            this.temperature = temperature;
            return this;
        }

        /**
         * @param maxTokens a value {@code >= 1}, or null
         * @return this builder
         */
        public Builder maxTokens(Integer maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /**
         * @param n a value {@code >= 1}, or null
         * @return this builder
         */
        public Builder n(Integer n) {
            this.n = n;
            return this;
        }

        /**
         * @param stop non-empty stop sequences, or null
         * @return this builder
         */
        public Builder stop(List<String> stop) {
            this.stop = stop;
            return this;
        }

        /**
         * @param responseFormat the {@code response_format} object, or null
         * @return this builder
         */
        public Builder responseFormat(Map<String, ?> responseFormat) {
            this.responseFormat = responseFormat;
            return this;
        }

        /**
         * @param seed the seed, or null
         * @return this builder
         */
        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param extra extra body parameters replacing the current ones, or null
         * @return this builder
         */
        public Builder extra(Map<String, ?> extra) {
            this.extra = extra == null ? null : new LinkedHashMap<>(extra);
            return this;
        }

        /**
         * @param key an extra body parameter
         * @param value its value
         * @return this builder
         */
        public Builder extra(String key, Object value) {
            if (key == null) {
                throw new IllegalArgumentException("LmRequest.extra key must not be null");
            }
            Map<String, Object> copy = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
            copy.put(key, value);
            this.extra = copy;
            return this;
        }

        /**
         * @param rolloutId the rollout id (never sent), or null
         * @return this builder
         */
        public Builder rolloutId(String rolloutId) {
            this.rolloutId = rolloutId;
            return this;
        }

        /**
         * @return the request
         * @throws IllegalArgumentException naming the field when a value is invalid
         */
        public LmRequest build() {
            return new LmRequest(this);
        }
    }
}

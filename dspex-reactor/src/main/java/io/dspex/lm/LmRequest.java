package io.dspex.lm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request to a language model: the messages, the call parameters ({@link CallConfig}) and, when an adapter asks
 * for structured output, a response format. Immutable; unset parameters fall through to the client's defaults, then
 * the provider's.
 *
 * <pre>{@code
 * LmRequest request = LmRequest.of(List.of(Message.user("Say hi")),
 *         CallConfig.empty().withTemperature(0.7).withMaxTokens(64));
 * LmRequest three = request.withConfig(request.config().withN(3));
 * }</pre>
 *
 * <p>Two requests are {@link #equals equal} when all their parts are, including the config's
 * {@link CallConfig#rolloutId() rollout id}, so a cache keyed on the request treats different rollouts as different
 * entries (as DSPy does).
 */
public final class LmRequest {

    private final List<Message> messages;
    private final CallConfig config;
    private final @Nullable Map<String, @Nullable Object> responseFormat;

    private LmRequest(List<Message> messages, CallConfig config,
                      @Nullable Map<String, @Nullable Object> responseFormat) {
        this.messages = messages;
        this.config = config;
        this.responseFormat = responseFormat;
    }

    /**
     * A request with the given messages and no parameters set.
     *
     * @param messages at least one message
     * @return the request
     * @throws IllegalArgumentException when the list is null, empty or holds a null (naming its index)
     */
    public static LmRequest of(List<Message> messages) {
        return new LmRequest(checkMessages(messages), CallConfig.empty(), null);
    }

    /**
     * @param messages at least one message
     * @param config   the call parameters (null: none)
     * @return the request
     * @throws IllegalArgumentException when the list is null, empty or holds a null (naming its index)
     */
    public static LmRequest of(List<Message> messages, @Nullable CallConfig config) {
        return new LmRequest(checkMessages(messages), config == null ? CallConfig.empty() : config, null);
    }

    private static List<Message> checkMessages(@Nullable List<Message> messages) {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("LmRequest.messages must contain at least one message");
        }
        List<Message> ms = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (m == null) {
                throw new IllegalArgumentException("LmRequest.messages[" + i + "] is null");
            }
            ms.add(m);
        }
        return Collections.unmodifiableList(ms);
    }

    /** @return the messages, in order; unmodifiable, never empty */
    public List<Message> messages() {
        return messages;
    }

    /** @return the call parameters ({@link CallConfig#empty()} when none are set) */
    public CallConfig config() {
        return config;
    }

    /** @return the {@code response_format} object an adapter asked for (e.g. {@code {"type":"json_object"}}) */
    public @Nullable Map<String, @Nullable Object> responseFormat() {
        return responseFormat;
    }

    /**
     * @param messages the new messages
     * @return a copy with them
     * @throws IllegalArgumentException when the list is null, empty or holds a null
     */
    public LmRequest withMessages(List<Message> messages) {
        return new LmRequest(checkMessages(messages), config, responseFormat);
    }

    /**
     * @param config the call parameters (null: none)
     * @return a copy with them
     */
    public LmRequest withConfig(@Nullable CallConfig config) {
        return new LmRequest(messages, config == null ? CallConfig.empty() : config, responseFormat);
    }

    /**
     * @param responseFormat the response format object, or null to unset
     * @return a copy with it
     * @throws IllegalArgumentException when it has a null key
     */
    public LmRequest withResponseFormat(@Nullable Map<String, ?> responseFormat) {
        Map<String, @Nullable Object> copy = null;
        if (responseFormat != null) {
            copy = new LinkedHashMap<>();
            for (Map.Entry<String, ?> e : responseFormat.entrySet()) {
                if (e.getKey() == null) {
                    throw new IllegalArgumentException("LmRequest.responseFormat has a null key");
                }
                copy.put(e.getKey(), e.getValue());
            }
            copy = Collections.unmodifiableMap(copy);
        }
        return new LmRequest(messages, config, copy);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return this == o || o instanceof LmRequest r && messages.equals(r.messages) && config.equals(r.config)
                && Objects.equals(responseFormat, r.responseFormat);
    }

    @Override
    public int hashCode() {
        return Objects.hash(messages, config, responseFormat);
    }

    /** @return the message count and the set parameters; never message text (it may be sensitive) */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LmRequest[messages=").append(messages.size());
        if (!config.isEmpty()) {
            sb.append(", config=").append(config);
        }
        if (responseFormat != null) {
            sb.append(", responseFormat=").append(responseFormat);
        }
        return sb.append(']').toString();
    }
}

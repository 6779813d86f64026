package io.dspex.lm;

import org.jspecify.annotations.Nullable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One request to a language model: the messages, the call parameters ({@link CallConfig}), and what an adapter or
 * agent adds per call: a response format for structured output, and the tools the model may call (OpenAI's function
 * format) with the tool choice. Immutable; unset parameters fall through to the client's defaults, then the
 * provider's.
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
    private final List<Map<String, Object>> tools;
    private final @Nullable Object toolChoice;

    private LmRequest(List<Message> messages, CallConfig config,
                      @Nullable Map<String, @Nullable Object> responseFormat, List<Map<String, Object>> tools,
                      @Nullable Object toolChoice) {
        this.messages = messages;
        this.config = config;
        this.responseFormat = responseFormat;
        this.tools = tools;
        this.toolChoice = toolChoice;
    }

    /**
     * A request with the given messages and no parameters set.
     *
     * @param messages at least one message
     * @return the request
     * @throws IllegalArgumentException when the list is null, empty or holds a null (naming its index)
     */
    public static LmRequest of(List<Message> messages) {
        return new LmRequest(checkMessages(messages), CallConfig.empty(), null, List.of(), null);
    }

    /**
     * @param messages at least one message
     * @param config   the call parameters (null: none)
     * @return the request
     * @throws IllegalArgumentException when the list is null, empty or holds a null (naming its index)
     */
    public static LmRequest of(List<Message> messages, @Nullable CallConfig config) {
        return new LmRequest(checkMessages(messages), config == null ? CallConfig.empty() : config, null, List.of(),
                null);
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
     * The tools the model may call, in OpenAI's function format:
     * {@code {"type": "function", "function": {"name": .., "description": .., "parameters": {JSON schema}}}}. Clients of
     * other providers translate them.
     *
     * @return the tools; unmodifiable, empty when none
     */
    public List<Map<String, Object>> tools() {
        return tools;
    }

    /**
     * @return OpenAI's {@code tool_choice}: {@code "auto"}, {@code "none"}, {@code "required"}, or a map naming one
     *         function; null when unset (the provider's default, {@code "auto"} when tools are given)
     */
    public @Nullable Object toolChoice() {
        return toolChoice;
    }

    /**
     * @param messages the new messages
     * @return a copy with them
     * @throws IllegalArgumentException when the list is null, empty or holds a null
     */
    public LmRequest withMessages(List<Message> messages) {
        return new LmRequest(checkMessages(messages), config, responseFormat, tools, toolChoice);
    }

    /**
     * @param config the call parameters (null: none)
     * @return a copy with them
     */
    public LmRequest withConfig(@Nullable CallConfig config) {
        return new LmRequest(messages, config == null ? CallConfig.empty() : config, responseFormat, tools,
                toolChoice);
    }

    /**
     * @param tools the tools the model may call, in OpenAI's function format (null or empty: none)
     * @return a copy with them
     * @throws IllegalArgumentException naming the index of a tool that is null or is not
     *                                  {@code {"type": "function", "function": {"name": ...}}}
     */
    public LmRequest withTools(@Nullable List<? extends Map<String, ?>> tools) {
        List<Map<String, Object>> copy = new ArrayList<>();
        if (tools != null) {
            for (int i = 0; i < tools.size(); i++) {
                Map<String, ?> t = tools.get(i);
                if (t == null || !"function".equals(t.get("type")) || !(t.get("function") instanceof Map<?, ?> f)
                        || !(f.get("name") instanceof String name) || name.isBlank()) {
                    throw new IllegalArgumentException("LmRequest.tools[" + i + "] must be {\"type\": \"function\", "
                            + "\"function\": {\"name\": ..., \"parameters\": ...}}, got " + t);
                }
                copy.add(deepCopy(t));
            }
        }
        return new LmRequest(messages, config, responseFormat,
                copy.isEmpty() ? List.of() : Collections.unmodifiableList(copy), toolChoice);
    }

    /**
     * @param toolChoice {@code "auto"}, {@code "none"}, {@code "required"}, or
     *                   {@code {"type": "function", "function": {"name": NAME}}}; null to unset
     * @return a copy with it
     * @throws IllegalArgumentException when it is none of those shapes
     */
    public LmRequest withToolChoice(@Nullable Object toolChoice) {
        Object choice = toolChoice;
        if (toolChoice instanceof String s) {
            if (!s.equals("auto") && !s.equals("none") && !s.equals("required")) {
                throw new IllegalArgumentException("toolChoice must be \"auto\", \"none\", \"required\" or a "
                        + "function, got \"" + s + "\"");
            }
        } else if (toolChoice instanceof Map<?, ?> m) {
            if (!"function".equals(m.get("type")) || !(m.get("function") instanceof Map<?, ?> f)
                    || !(f.get("name") instanceof String)) {
                throw new IllegalArgumentException("toolChoice naming a function must be {\"type\": \"function\", "
                        + "\"function\": {\"name\": NAME}}, got " + m);
            }
            choice = deepCopy(m);
        } else if (toolChoice != null) {
            throw new IllegalArgumentException("toolChoice must be a String or a Map, got "
                    + toolChoice.getClass().getName());
        }
        return new LmRequest(messages, config, responseFormat, tools, choice);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map<?, ?> m) {
                v = deepCopy(m);
            } else if (v instanceof List<?> l) {
                List<Object> items = new ArrayList<>(l.size());
                for (Object o : l) {
                    items.add(o instanceof Map<?, ?> m ? deepCopy(m) : o);
                }
                v = Collections.unmodifiableList(items);
            }
            out.put(String.valueOf(e.getKey()), v);
        }
        return Collections.unmodifiableMap(out);
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
        return new LmRequest(messages, config, copy, tools, toolChoice);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return this == o || o instanceof LmRequest r && messages.equals(r.messages) && config.equals(r.config)
                && Objects.equals(responseFormat, r.responseFormat) && tools.equals(r.tools)
                && Objects.equals(toolChoice, r.toolChoice);
    }

    @Override
    public int hashCode() {
        return Objects.hash(messages, config, responseFormat, tools, toolChoice);
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
        if (!tools.isEmpty()) {
            sb.append(", tools=").append(tools.size());
        }
        if (toolChoice != null) {
            sb.append(", toolChoice=").append(toolChoice);
        }
        return sb.append(']').toString();
    }
}

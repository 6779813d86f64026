package io.dspex.tool;

import io.dspex.internal.Json;
import io.dspex.internal.PyFormat;
import io.dspex.signature.CustomType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The tool calls a model asked for (DSPy's {@code dspy.ToolCalls}): the value of a {@code ToolCalls} output field.
 * With native function calling ({@code ChatAdapter.withNativeFunctionCalling()}) the adapter fills it from the
 * response's tool calls; without, the model writes it as JSON, {@code {"tool_calls": [{"name": ..., "args": {...}}]}},
 * as DSPy's {@link #description()} and {@link #jsonSchema()} tell it.
 *
 * <pre>{@code
 * Signature sig = Signature.parse("question, tools: list[Tool] -> answer, calls: ToolCalls");
 * Prediction p = Predict.of(sig).withAdapter(new ChatAdapter().withNativeFunctionCalling())
 *         .forward(Map.of("question", "Weather in Paris?", "tools", List.of(weather))).block();
 * ToolCalls calls = (ToolCalls) p.get("calls");
 * calls.execute(List.of(weather)).subscribe(r -> System.out.println(r.name() + " -> " + r.value()));
 * }</pre>
 *
 * <p>Immutable; compares by value.
 */
public final class ToolCalls implements CustomType {

    /**
     * One call (DSPy's {@code ToolCalls.ToolCall}).
     *
     * @param id   the provider's call id (what a tool message answers), or null when the model wrote the call as text
     * @param name the tool's name
     * @param args the arguments (unmodifiable)
     */
    public record ToolCall(@Nullable String id, String name, Map<String, Object> args) implements CustomType {

        /** @throws IllegalArgumentException when the name is blank or the arguments are null */
        public ToolCall {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a tool call needs a tool name");
            }
            if (args == null) {
                throw new IllegalArgumentException("the args of tool call " + name + " must not be null");
            }
            args = Tool.deepCopy(args);
        }

        /**
         * @param name the tool's name
         * @param args the arguments
         * @return a call without an id
         */
        public static ToolCall of(String name, Map<String, ?> args) {
            return new ToolCall(null, name, copy(args));
        }

        private static @Nullable Map<String, Object> copy(@Nullable Map<String, ?> args) {
            return args == null ? null : new LinkedHashMap<>(args);
        }

        /** @return DSPy's {@code ToolCall.format()}: {@code {"name": ..., "args": {...}}} */
        @Override
        public Map<String, Object> format() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("args", args);
            return m;
        }

        /**
         * Runs this call with the tool of its name (DSPy's {@code ToolCall.execute}).
         *
         * @param tools the tools to look the name up in
         * @return the tool's result (empty when it returned no value); a {@link ToolException} signal when no tool has
         *         this name, or from the tool
         */
        public Mono<Object> execute(List<Tool> tools) {
            return Mono.defer(() -> {
                for (Tool t : tools) {
                    if (t.name().equals(name)) {
                        return t.call(args);
                    }
                }
                return Mono.error(new ToolException(name, "Tool function '" + name + "' not found. Please pass the "
                        + "tool functions to the `execute` method."));
            });
        }
    }

    /**
     * The outcome of one call run by {@link #execute(List)} (DSPy's {@code ToolCallResults.ToolCallResult}).
     *
     * @param callId the call's id (null when it had none)
     * @param name   the tool's name
     * @param value  what the tool returned (null: no value), or the error's message when it failed
     * @param error  the failure, or null when the call succeeded
     */
    public record Result(@Nullable String callId, String name, @Nullable Object value, @Nullable Throwable error) {

        /** @return whether the call failed */
        public boolean isError() {
            return error != null;
        }
    }

    private final List<ToolCall> toolCalls;

    private ToolCalls(List<ToolCall> toolCalls) {
        this.toolCalls = toolCalls;
    }

    /**
     * @param toolCalls the calls, in order
     * @return the value
     * @throws IllegalArgumentException when the list or a call is null
     */
    public static ToolCalls of(List<ToolCall> toolCalls) {
        if (toolCalls == null) {
            throw new IllegalArgumentException("tool calls must not be null");
        }
        for (int i = 0; i < toolCalls.size(); i++) {
            if (toolCalls.get(i) == null) {
                throw new IllegalArgumentException("tool call " + i + " is null");
            }
        }
        return new ToolCalls(List.copyOf(toolCalls));
    }

    /**
     * DSPy's {@code ToolCalls.from_dict_list}: calls from maps with {@code name} and {@code args} (or
     * {@code arguments}, or OpenAI's {@code {"id": .., "function": {"name": .., "arguments": "{...}"}}}).
     *
     * @param dicts the calls as maps
     * @return the value
     * @throws IllegalArgumentException naming the call that has no name or whose arguments are not a JSON object
     */
    public static ToolCalls fromDictList(List<? extends Map<String, ?>> dicts) {
        if (dicts == null) {
            throw new IllegalArgumentException("tool calls must not be null");
        }
        List<ToolCall> calls = new ArrayList<>(dicts.size());
        for (int i = 0; i < dicts.size(); i++) {
            calls.add(normalize(dicts.get(i), i));
        }
        return new ToolCalls(Collections.unmodifiableList(calls));
    }

    /**
     * Builds the value from what a model wrote (DSPy's {@code validate_input}): {@code {"tool_calls": [...]}}, a list
     * of calls, or one call ({@code {"name": .., "args": {..}}}); each call as {@link #fromDictList} reads it.
     * Adapters call it to parse a {@code ToolCalls} output.
     *
     * @param value the JSON value (or a {@code ToolCalls})
     * @return the value
     * @throws IllegalArgumentException in DSPy's words, {@code Received invalid value for `dspy.ToolCalls`: ...}
     */
    public static ToolCalls validate(@Nullable Object value) {
        if (value instanceof ToolCalls tc) {
            return tc;
        }
        if (value instanceof List<?> l && l.stream().allMatch(o -> o instanceof Map<?, ?> m && isCall(m))) {
            return fromDictList(maps(l));
        }
        if (value instanceof Map<?, ?> m) {
            if (m.containsKey("tool_calls")) {
                if (m.get("tool_calls") instanceof List<?> l) {
                    return fromDictList(maps(l));
                }
            } else if (isCall(m)) {
                return fromDictList(maps(List.of(m)));
            }
        }
        throw new IllegalArgumentException("Received invalid value for `dspy.ToolCalls`: "
                + PyFormat.str(PyFormat.jsonable(value)));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, ?>> maps(List<?> l) {
        List<Map<String, ?>> out = new ArrayList<>(l.size());
        for (Object o : l) {
            if (!(o instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("Received invalid tool call value for `dspy.ToolCalls`: "
                        + PyFormat.str(PyFormat.jsonable(o)));
            }
            out.add((Map<String, ?>) o);
        }
        return out;
    }

    private static boolean isCall(Map<?, ?> m) {
        return (m.containsKey("name") && (m.containsKey("args") || m.containsKey("arguments")))
                || m.containsKey("function");
    }

    private static ToolCall normalize(@Nullable Map<String, ?> data, int index) {
        if (data == null) {
            throw new IllegalArgumentException("tool call " + index + " is null");
        }
        Object arguments;
        Object name;
        if (data.containsKey("function")) {
            if (!(data.get("function") instanceof Map<?, ?> f)) {
                throw new IllegalArgumentException("Received invalid function value for `dspy.ToolCalls`: "
                        + PyFormat.str(PyFormat.jsonable(data.get("function"))));
            }
            arguments = f.containsKey("arguments") ? f.get("arguments") : Map.of();
            name = f.get("name") != null ? f.get("name") : data.get("name");
        } else {
            arguments = data.containsKey("args") ? data.get("args")
                    : data.containsKey("arguments") ? data.get("arguments") : Map.of();
            name = data.get("name");
        }
        if (arguments instanceof String s) {
            arguments = parseArguments(s, name, index);
        } else if (!(arguments instanceof Map<?, ?>)) {
            arguments = Map.of();
        }
        if (!(name instanceof String n) || n.isBlank()) {
            throw new IllegalArgumentException("tool call " + index + " has no name: "
                    + PyFormat.str(PyFormat.jsonable(data)));
        }
        Object id = data.get("id") != null ? data.get("id") : data.get("call_id");
        @SuppressWarnings("unchecked")
        Map<String, Object> a = (Map<String, Object>) arguments;
        return new ToolCall(id == null ? null : id.toString(), n, a);
    }

    private static Object parseArguments(String text, @Nullable Object name, int index) {
        if (text.isBlank()) {
            return Map.of();
        }
        Object parsed;
        try {
            parsed = Json.MAPPER.readValue(text, Object.class);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the arguments of tool call " + index + " (" + name + ") are not valid "
                    + "JSON: " + text);
        }
        if (!(parsed instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("the arguments of tool call " + index + " (" + name + ") are not a "
                    + "JSON object: " + text);
        }
        return parsed;
    }

    /** @return DSPy's {@code ToolCalls.description()}, shown to the model for a {@code ToolCalls} output */
    public static String description() {
        return "Tool calls must be a JSON object with `tool_calls`, a list of calls. Each call must include `name` and "
                + "`args`. Example: {\"tool_calls\": [{\"name\": \"search\", \"args\": {\"query\": \"cats\"}}]}";
    }

    /**
     * @return DSPy's JSON schema of {@code ToolCalls}: {@code tool_calls}, a list of {@code ToolCall}s with
     *         {@code name} and {@code args} (the call id and the results left out, as DSPy leaves them out)
     */
    public static Map<String, Object> jsonSchema() {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("type", "object");
        args.put("additionalProperties", Boolean.TRUE);
        args.put("title", "Args");
        Map<String, Object> name = new LinkedHashMap<>();
        name.put("type", "string");
        name.put("title", "Name");
        Map<String, Object> callProps = new LinkedHashMap<>();
        callProps.put("name", name);
        callProps.put("args", args);
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("type", "object");
        call.put("properties", callProps);
        call.put("required", List.of("name", "args"));
        call.put("title", "ToolCall");
        Map<String, Object> items = new LinkedHashMap<>();
        items.put("$ref", "#/$defs/ToolCall");
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("type", "array");
        list.put("items", items);
        list.put("title", "Tool Calls");
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("tool_calls", list);
        Map<String, Object> defs = new LinkedHashMap<>();
        defs.put("ToolCall", call);
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("$defs", defs);
        schema.put("type", "object");
        schema.put("properties", props);
        schema.put("required", List.of("tool_calls"));
        schema.put("title", "ToolCalls");
        return schema;
    }

    /** @return the calls, in order (unmodifiable) */
    public List<ToolCall> toolCalls() {
        return toolCalls;
    }

    /** @return DSPy's {@code ToolCalls.format()}: {@code {"tool_calls": [{"name": .., "args": {..}}, ...]}} */
    @Override
    public Object format() {
        List<Object> calls = new ArrayList<>(toolCalls.size());
        for (ToolCall c : toolCalls) {
            calls.add(c.format());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool_calls", calls);
        return m;
    }

    /**
     * Runs every call, one after the other in order, each with the tool of its name; a call that fails yields a
     * {@link Result} holding its error, so one failure loses no other result.
     *
     * @param tools the tools to look names up in
     * @return one result per call, in order; cancelling cancels the call in flight
     */
    public Flux<Result> execute(List<Tool> tools) {
        if (tools == null) {
            return Flux.error(new IllegalArgumentException("tools must not be null"));
        }
        List<Tool> own = List.copyOf(tools);
        return Flux.fromIterable(toolCalls).concatMap(c -> c.execute(own)
                .map(v -> new Result(c.id(), c.name(), v, null))
                .defaultIfEmpty(new Result(c.id(), c.name(), null, null))
                .onErrorResume(e -> Mono.just(new Result(c.id(), c.name(), String.valueOf(e.getMessage()), e))));
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof ToolCalls t && t.toolCalls.equals(toolCalls);
    }

    @Override
    public int hashCode() {
        return Objects.hash(toolCalls);
    }

    @Override
    public String toString() {
        return "ToolCalls" + toolCalls;
    }
}

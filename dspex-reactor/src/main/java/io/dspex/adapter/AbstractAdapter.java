package io.dspex.adapter;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.dspex.Example;
import io.dspex.internal.Json;
import io.dspex.internal.PyFormat;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import io.dspex.signature.CustomType;
import io.dspex.signature.Field;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import io.dspex.tool.Tool;
import io.dspex.tool.ToolCalls;
import io.dspex.types.History;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * What DSPy's ChatAdapter and JSONAdapter share: demos, the user turns, value rendering (custom types included), the
 * task text, and native function calling (DSPy's base {@code Adapter}: {@code _call_preprocess} and
 * {@code _call_postprocess}).
 */
abstract class AbstractAdapter implements Adapter {

    /** DSPy's {@code serialize_model} for custom types, applied at any depth of a rendered value. */
    static final UnaryOperator<Object> CUSTOM = v -> v instanceof CustomType c ? c.serialize() : v;

    /** Whether tools go in the request's {@code tools} and tool calls come back from the response. */
    final boolean nativeFunctionCalling;

    AbstractAdapter(boolean nativeFunctionCalling) {
        this.nativeFunctionCalling = nativeFunctionCalling;
    }

    static final String INCOMPLETE_PREFIX =
            "This is an example of the task, though some input or output fields are not supplied.";
    static final String NOT_SUPPLIED = "Not supplied for this particular example. ";
    static final String NOT_SUPPLIED_HISTORY = "Not supplied for this conversation history message. ";
    static final String NOTE = "        # note: the value you produce ";

    /** Everything about a signature that does not depend on the call: computed once per Signature instance. */
    static final class Prepared {
        final Signature signature;
        final String system;
        final String outputRequirements;
        final Field[] inputs;
        final FieldType[] inputTypes;
        final String[] inputHeaders;
        final Field[] outputs;
        final FieldType[] outputTypes;
        final String[] outputHeaders;
        final Map<String, Integer> outputIndex;
        final List<String> outputNames;
        /** The input of type {@code Tool} or {@code list[Tool]} (DSPy's tool call input field), or null. */
        final @Nullable String toolsInput;
        /** The output of type {@code ToolCalls}, or null. */
        final @Nullable String callsOutput;
        /** The signature without those two fields, what native function calling formats and parses. */
        private volatile @Nullable Signature withoutTools;
        /** The first input of type {@code History} (DSPy's {@code _get_history_field_name}), or null. */
        final @Nullable String historyInput;
        /** The signature without that field: what the past turns and the current input are formatted with. */
        private volatile @Nullable Signature withoutHistory;

        Prepared(Signature sig, AbstractAdapter adapter) {
            this.signature = sig;
            List<Field> in = sig.inputFields();
            List<Field> out = sig.outputFields();
            inputs = in.toArray(new Field[0]);
            outputs = out.toArray(new Field[0]);
            inputTypes = new FieldType[inputs.length];
            inputHeaders = new String[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                inputTypes[i] = inputs[i].type();
                inputHeaders[i] = "[[ ## " + inputs[i].name() + " ## ]]\n";
            }
            outputTypes = new FieldType[outputs.length];
            outputHeaders = new String[outputs.length];
            Map<String, Integer> idx = new HashMap<>();
            List<String> names = new ArrayList<>(outputs.length);
            for (int i = 0; i < outputs.length; i++) {
                outputTypes[i] = outputs[i].type();
                outputHeaders[i] = "[[ ## " + outputs[i].name() + " ## ]]\n";
                idx.put(outputs[i].name(), i);
                names.add(outputs[i].name());
            }
            outputIndex = idx;
            outputNames = Collections.unmodifiableList(names);
            toolsInput = toolsInput(in);
            callsOutput = callsOutput(out);
            historyInput = historyInput(in);
            system = fieldDescription(in, out) + "\n" + adapter.fieldStructure(this) + "\n"
                    + taskDescription(sig.instructions());
            outputRequirements = adapter.outputRequirements(this);
        }
    }

    /** DSPy's {@code _get_tool_call_input_field_name}: the first input typed {@code Tool} or {@code list[Tool]}. */
    private static @Nullable String toolsInput(List<Field> inputs) {
        for (Field f : inputs) {
            FieldType t = f.type();
            if (t.javaClass() == Tool.class
                    || (t.kind() == FieldType.Kind.LIST && t.args().get(0).javaClass() == Tool.class)) {
                return f.name();
            }
        }
        return null;
    }

    /** DSPy's {@code _get_tool_call_output_field_name}: the first output typed {@code ToolCalls}. */
    private static @Nullable String callsOutput(List<Field> outputs) {
        for (Field f : outputs) {
            if (f.type().javaClass() == ToolCalls.class) {
                return f.name();
            }
        }
        return null;
    }

    /** DSPy's {@code _get_history_field_name}: the first input typed {@code History}. */
    private static @Nullable String historyInput(List<Field> inputs) {
        for (Field f : inputs) {
            if (f.type().javaClass() == History.class) {
                return f.name();
            }
        }
        return null;
    }

    /** @return the signature without the history input (computed once) */
    final Signature withoutHistory(Prepared p) {
        Signature s = p.withoutHistory;
        if (s == null) {
            s = p.signature.delete(p.historyInput);
            p.withoutHistory = s;
        }
        return s;
    }

    /** @return the signature without the tools input and the tool calls output (computed once) */
    final Signature withoutTools(Prepared p) {
        Signature s = p.withoutTools;
        if (s == null) {
            s = p.signature.delete(p.callsOutput).delete(p.toolsInput);
            p.withoutTools = s;
        }
        return s;
    }

    private final Cache<Signature, Prepared> cache = Caffeine.newBuilder().weakKeys().build();
    private volatile @Nullable Prepared last;

    final Prepared prepared(Signature sig) {
        if (sig == null) {
            throw new IllegalArgumentException("signature must not be null");
        }
        Prepared p = last;
        if (p != null && p.signature == sig) {
            return p;
        }
        p = cache.get(sig, s -> new Prepared(s, this));
        last = p;
        return p;
    }

    /** @return the structure part of the system message */
    abstract String fieldStructure(Prepared p);

    /** @return the last paragraph of the final user message */
    abstract String outputRequirements(Prepared p);

    /** @return the assistant turn of a demo */
    abstract String assistantContent(Prepared p, Map<String, @Nullable Object> values, String missing);

    // ---------------------------------------------------------------- format

    @Override
    public List<Message> format(Signature signature, List<Example> demos, Map<String, ?> inputs) {
        Prepared p = prepared(signature);
        if (inputs == null) {
            throw new IllegalArgumentException("inputs must not be null");
        }
        checkInputs(p, inputs);
        int nDemos = demos == null ? 0 : demos.size();
        List<Message> messages = new ArrayList<>(2 + 2 * nDemos);
        messages.add(Message.system(p.system));
        if (nDemos > 0) {
            formatDemos(p, demos, messages);
        }
        if (p.historyInput == null) {
            messages.add(Message.user(userContent(p, inputs, "", true)));
        } else {
            Prepared current = prepared(withoutHistory(p));
            formatHistory(p.historyInput, current, inputs, messages);
            messages.add(Message.user(userContent(current, inputs, "", true)));
        }
        return withContentParts(messages);
    }

    // ---------------------------------------------------------------- conversation history

    /**
     * DSPy's {@code format_conversation_history}: every past turn of the {@code History} input as a user message (its
     * input fields) and an assistant message (its output fields), formatted with the signature without the history
     * field. With native function calling, a turn holding tool calls (a {@code ToolCalls}, or a map with
     * {@code tool_calls}) gets an assistant message only for its other outputs that have a value, and none when
     * there are none (DSPy sends tool calls back only with their results, which a {@code History} does not hold).
     *
     * @throws IllegalArgumentException naming the turn and the field when a turn holds none of the input fields, or
     *                                  lacks an output field (one that a tool-calls turn may leave out aside)
     */
    private void formatHistory(String field, Prepared p, Map<String, ?> inputs, List<Message> messages) {
        if (!inputs.containsKey(field)) {
            return; // as DSPy: no history given, no past turns (a conversation's first turn)
        }
        List<Map<String, @Nullable Object>> turns = history(field, inputs.get(field)).messages();
        for (int i = 0; i < turns.size(); i++) {
            Map<String, @Nullable Object> turn = turns.get(i);
            boolean hasInput = false;
            for (Field f : p.inputs) {
                hasInput |= turn.containsKey(f.name());
            }
            if (!hasInput) {
                throw new IllegalArgumentException("history input '" + field + "', turn " + i + ": holds none of the "
                        + "input fields " + names(p.inputs) + " (it holds " + turn.keySet() + ")");
            }
            boolean toolTurn = nativeFunctionCalling && hasToolCalls(turn);
            if (!toolTurn) {
                for (Field f : p.outputs) {
                    if (!turn.containsKey(f.name())) {
                        throw new IllegalArgumentException("history input '" + field + "', turn " + i
                                + ": missing output field '" + f.name() + "' (every turn holds the outputs "
                                + names(p.outputs) + "; it holds " + turn.keySet() + ")");
                    }
                }
            }
            messages.add(Message.user(userContent(p, turn, "", false)));
            if (!toolTurn) {
                messages.add(Message.assistant(assistantContent(p, turn, NOT_SUPPLIED_HISTORY)));
                continue;
            }
            Signature shown = p.signature;
            for (Field f : p.outputs) {
                if (f.type().javaClass() == ToolCalls.class || turn.get(f.name()) == null) {
                    shown = shown.delete(f.name());
                }
            }
            if (!shown.outputFields().isEmpty()) {
                String content = assistantContent(prepared(shown), turn, NOT_SUPPLIED_HISTORY);
                if (!content.isEmpty()) {
                    messages.add(Message.assistant(content));
                }
            }
        }
    }

    /** The history input's value: a {@code History}, or what converts to one ({@code {"messages": [...]}}). */
    private static History history(String field, @Nullable Object value) {
        if (value instanceof History h) {
            return h;
        }
        if (value == null) {
            throw new IllegalArgumentException("history input '" + field + "' is null: leave it out of the inputs "
                    + "or pass History.empty()");
        }
        try {
            return (History) FieldType.of(History.class).convert(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("history input '" + field + "' is not a History: " + e.getMessage(),
                    e);
        }
    }

    /** DSPy's {@code _tool_calls_from_message}: whether a value of the turn is tool calls. */
    private static boolean hasToolCalls(Map<String, @Nullable Object> turn) {
        for (Object v : turn.values()) {
            if (v instanceof ToolCalls || (v instanceof Map<?, ?> m && m.containsKey("tool_calls"))) {
                return true;
            }
        }
        return false;
    }

    private static List<String> names(Field[] fields) {
        List<String> out = new ArrayList<>(fields.length);
        for (Field f : fields) {
            out.add(f.name());
        }
        return out;
    }

    // ---------------------------------------------------------------- native function calling

    /**
     * DSPy's {@code _call_preprocess} and {@code format}: with native function calling and a {@code ToolCalls}
     * output, the tools input's {@link Tool}s go in the request's {@code tools} and both fields are left out of the
     * prompt.
     */
    @Override
    public LmRequest formatRequest(Signature signature, List<Example> demos, Map<String, ?> inputs,
                                   @Nullable CallConfig config) {
        Prepared p = prepared(signature);
        if (inputs == null) {
            throw new IllegalArgumentException("inputs must not be null");
        }
        Signature shown = signature;
        List<Map<String, Object>> tools = List.of();
        if (nativeFunctionCalling && p.callsOutput != null) {
            if (p.toolsInput == null) {
                throw new IllegalArgumentException("You provided an output field " + p.callsOutput + " to receive the "
                        + "tool calls information, but did not provide any tools as the input. Please provide a list "
                        + "of tools as the input by adding an input field with type `list[dspy.Tool]`.");
            }
            tools = functionSchemas(p.toolsInput, inputs.get(p.toolsInput));
            shown = withoutTools(p);
        }
        LmRequest request = LmRequest.of(format(shown, demos, inputs), config);
        Map<String, Object> rf = responseFormat(signature).orElse(null);
        if (rf != null) {
            request = request.withResponseFormat(rf);
        }
        return tools.isEmpty() ? request : request.withTools(tools);
    }

    private static List<Map<String, Object>> functionSchemas(String field, @Nullable Object given) {
        List<?> items = given instanceof List<?> l ? l : given == null ? List.of() : List.of(given);
        List<Map<String, Object>> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof Tool t)) {
                throw new IllegalArgumentException("input field '" + field + "' must hold Tools, but item " + i
                        + " is " + (items.get(i) == null ? "null" : items.get(i).getClass().getName()));
            }
            out.add(t.toFunctionSchema());
        }
        return out;
    }

    /**
     * DSPy's {@code _call_postprocess} for one choice: the text parsed (with native function calling, against the
     * signature without the tool fields; a failure then counts as no outputs when tool calls came back), every
     * output that is missing set to null, and the response's tool calls as the {@code ToolCalls} output.
     */
    @Override
    public Map<String, @Nullable Object> parse(Signature signature, LmResponse.Choice choice) {
        Prepared p = prepared(signature);
        if (choice == null) {
            throw new IllegalArgumentException("choice must not be null");
        }
        Signature processed = nativeFunctionCalling && p.callsOutput != null && p.toolsInput != null
                ? withoutTools(p) : signature;
        String text = choice.text();
        boolean calls = !choice.toolCalls().isEmpty() && p.callsOutput != null;
        Map<String, @Nullable Object> value;
        if (!text.isEmpty() && !calls) {
            value = parse(processed, text);
        } else if (calls) {
            value = Map.of();
            if (!text.isEmpty() && !processed.outputFields().isEmpty()) {
                try {
                    value = parse(processed, text);
                } catch (AdapterParseException e) {
                    value = Map.of();
                }
            }
        } else {
            throw new AdapterParseException(name(), text, p.outputNames, null,
                    "The LM returned an empty or null response.", null);
        }
        if (processed == signature && !calls) {
            return value;
        }
        Map<String, @Nullable Object> out = new LinkedHashMap<>();
        for (Field f : p.outputs) {
            out.put(f.name(), value.get(f.name()));
        }
        if (calls) {
            out.put(p.callsOutput, toolCalls(choice.toolCalls(), text));
        }
        return Collections.unmodifiableMap(out);
    }

    private ToolCalls toolCalls(List<ToolCall> calls, String completion) {
        List<Map<String, Object>> dicts = new ArrayList<>(calls.size());
        for (ToolCall c : calls) {
            Object args;
            if (c.arguments().isBlank()) {
                args = Map.of();
            } else {
                args = LenientJson.read(c.arguments());
                if (!(args instanceof Map<?, ?>)) {
                    throw new AdapterParseException(name(), completion, List.of(), null, "The arguments of tool call "
                            + c.name() + " (id " + c.id() + ") are not a JSON object: " + c.arguments(), null);
                }
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("id", c.id());
            d.put("name", c.name());
            d.put("args", args);
            dicts.add(d);
        }
        return ToolCalls.fromDictList(dicts);
    }

    /** @return the adapter's DSPy name, as parse errors name it */
    abstract String name();

    // ---------------------------------------------------------------- content parts

    /**
     * DSPy's {@code _expand_legacy_custom_type_markers_in_chat_message}: a user message holding a custom type's
     * serialized content parts becomes a message of parts, split around each marker pair.
     */
    static List<Message> withContentParts(List<Message> messages) {
        List<Message> out = null;
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (m.role() == Message.Role.USER && m.content().contains(CustomType.START)) {
                if (out == null) {
                    out = new ArrayList<>(messages);
                }
                out.set(i, Message.user(splitParts(m.content())));
            }
        }
        return out == null ? messages : out;
    }

    static List<Message.Part> splitParts(String text) {
        List<Message.Part> parts = new ArrayList<>();
        int last = 0;
        int from = 0;
        while (true) {
            int start = text.indexOf(CustomType.START, from);
            if (start < 0) {
                break;
            }
            int end = text.indexOf(CustomType.END, start + CustomType.START.length());
            if (end < 0) {
                break;
            }
            if (start > last) {
                parts.add(new Message.Part.Text(text.substring(last, start)));
            }
            String payload = PyFormat.strip(text.substring(start + CustomType.START.length(), end));
            parts.addAll(payloadParts(payload));
            last = end + CustomType.END.length();
            from = last;
        }
        if (last < text.length()) {
            parts.add(new Message.Part.Text(text.substring(last)));
        }
        return parts;
    }

    private static List<Message.Part> payloadParts(String payload) {
        Object parsed = parsePayload(payload);
        if (!(parsed instanceof List<?> blocks)) {
            return List.of(new Message.Part.Text(payload));
        }
        List<Message.Part> out = new ArrayList<>(blocks.size());
        for (Object b : blocks) {
            if (!(b instanceof Map<?, ?> block)) {
                out.add(new Message.Part.Text(PyFormat.str(b)));
                continue;
            }
            Object type = block.get("type");
            if ("text".equals(type)) {
                out.add(new Message.Part.Text(block.get("text") == null ? "" : String.valueOf(block.get("text"))));
            } else if ("image_url".equals(type)) {
                Object image = block.get("image_url");
                Object url = image instanceof Map<?, ?> im ? im.get("url") : image;
                out.add(new Message.Part.ImageUrl(url == null ? "" : String.valueOf(url)));
            } else {
                throw new IllegalArgumentException("a custom type rendered a content part of type '" + type
                        + "', but a message part is text or image_url: " + PyFormat.str(PyFormat.jsonable(block)));
            }
        }
        return out;
    }

    /** DSPy's {@code _parse_legacy_payload}: JSON, else doubly quoted JSON (from a list or dict), else lenient JSON. */
    private static @Nullable Object parsePayload(String payload) {
        try {
            return Json.MAPPER.readValue(payload, Object.class);
        } catch (java.io.IOException | RuntimeException notJson) {
            // next parser
        }
        try {
            Object unquoted = Json.MAPPER.readValue("\"" + payload + "\"", Object.class);
            if (unquoted instanceof String inner) {
                return Json.MAPPER.readValue(inner, Object.class);
            }
        } catch (java.io.IOException | RuntimeException notDoublyQuoted) {
            // next parser
        }
        Object lenient = LenientJson.read(payload);
        return lenient == LenientJson.FAILED ? null : lenient;
    }

    // ---------------------------------------------------------------- user content of any fields

    /** DSPy's {@code format_user_message_content(signature, values)}: the input blocks present, joined, stripped. */
    @Override
    public String formatUserContent(Signature signature, Map<String, ?> values) {
        if (signature == null || values == null) {
            throw new IllegalArgumentException("signature and values must not be null");
        }
        StringBuilder sb = new StringBuilder();
        for (Field f : signature.inputFields()) {
            if (values.containsKey(f.name())) {
                sb.append("\n\n[[ ## ").append(f.name()).append(" ## ]]\n");
                renderValue(f.type(), values.get(f.name()), sb);
            }
        }
        return PyFormat.strip(sb.append("\n\n"));
    }

    private static void checkInputs(Prepared p, Map<String, ?> inputs) {
        List<String> missing = null;
        for (Field f : p.inputs) {
            if (!inputs.containsKey(f.name()) && !f.name().equals(p.historyInput)) {
                if (missing == null) {
                    missing = new ArrayList<>();
                }
                missing.add(f.name());
            }
        }
        if (missing != null) {
            throw new IllegalArgumentException("missing input field" + (missing.size() == 1 ? " " : "s ")
                    + missing + " for signature '" + p.signature.spec() + "'; the inputs hold " + inputs.keySet());
        }
    }

    private void formatDemos(Prepared p, List<Example> demos, List<Message> messages) {
        List<Map<String, Object>> complete = new ArrayList<>(demos.size());
        List<Map<String, Object>> incomplete = new ArrayList<>();
        for (int d = 0; d < demos.size(); d++) {
            Example demo = demos.get(d);
            if (demo == null) {
                throw new IllegalArgumentException("demo " + d + " is null");
            }
            Map<String, Object> values = demo.toMap();
            boolean isComplete = true;
            boolean hasInput = false;
            boolean hasOutput = false;
            for (Field f : p.inputs) {
                boolean has = values.containsKey(f.name());
                hasInput |= has;
                isComplete &= has && values.get(f.name()) != null;
            }
            for (Field f : p.outputs) {
                boolean has = values.containsKey(f.name());
                hasOutput |= has;
                isComplete &= has && values.get(f.name()) != null;
            }
            if (isComplete) {
                complete.add(values);
            } else if (hasInput && hasOutput) {
                incomplete.add(values);
            }
        }
        for (Map<String, Object> demo : incomplete) {
            messages.add(Message.user(userContent(p, demo, INCOMPLETE_PREFIX, false)));
            messages.add(Message.assistant(assistantContent(p, demo, NOT_SUPPLIED)));
        }
        for (Map<String, Object> demo : complete) {
            messages.add(Message.user(userContent(p, demo, "", false)));
            messages.add(Message.assistant(assistantContent(p, demo, NOT_SUPPLIED_HISTORY)));
        }
    }

    /** DSPy's format_user_message_content: prefix, the present input blocks, the requirements; joined, stripped. */
    final String userContent(Prepared p, Map<String, ?> values, String prefix, boolean mainRequest) {
        int size = prefix.length() + p.outputRequirements.length() + 8;
        for (int i = 0; i < p.inputs.length; i++) {
            Object v = values.get(p.inputs[i].name());
            size += p.inputHeaders[i].length() + 4 + (v instanceof String s ? s.length() : 64);
        }
        StringBuilder sb = new StringBuilder(size);
        sb.append(prefix);
        for (int i = 0; i < p.inputs.length; i++) {
            String name = p.inputs[i].name();
            if (values.containsKey(name)) {
                sb.append("\n\n").append(p.inputHeaders[i]);
                renderValue(p.inputTypes[i], values.get(name), sb);
            }
        }
        if (mainRequest) {
            sb.append("\n\n").append(p.outputRequirements);
        }
        sb.append("\n\n");
        return PyFormat.strip(sb);
    }

    /** DSPy's format_field_value: a list given to a str field renders as a numbered list; else JSON or str(). */
    static void renderValue(FieldType type, @Nullable Object value, StringBuilder sb) {
        if (value instanceof String s) {
            sb.append(s);
            return;
        }
        if (value instanceof List<?> l && type.isString()) {
            formatList(l, sb);
            return;
        }
        Object j = jsonable(value);
        if (j instanceof Map || j instanceof List) {
            PyFormat.dumps(j, false, sb);
        } else {
            sb.append(PyFormat.str(j));
        }
    }

    /** DSPy's {@code serialize_for_json}: a JSON-able tree, custom types serialized (markers around their parts). */
    static @Nullable Object jsonable(@Nullable Object value) {
        return PyFormat.jsonable(value, CUSTOM);
    }

    static String renderValue(FieldType type, @Nullable Object value) {
        StringBuilder sb = new StringBuilder();
        renderValue(type, value, sb);
        return sb.toString();
    }

    private static void formatList(List<?> items, StringBuilder sb) {
        if (items.isEmpty()) {
            sb.append("N/A");
            return;
        }
        if (items.size() == 1) {
            formatBlob(itemText(items.get(0)), sb);
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append('\n');
            }
            sb.append('[').append(i + 1).append("] ");
            formatBlob(itemText(items.get(i)), sb);
        }
    }

    private static String itemText(Object item) {
        return item instanceof String s ? s : renderValue(FieldType.ANY, item);
    }

    private static void formatBlob(String blob, StringBuilder sb) {
        if (blob.indexOf('\n') < 0 && blob.indexOf('«') < 0 && blob.indexOf('»') < 0) {
            sb.append('«').append(blob).append('»');
            return;
        }
        sb.append("«««\n    ").append(blob.replace("\n", "\n    ")).append("\n»»»");
    }

    // ---------------------------------------------------------------- system message parts

    static String fieldDescription(List<Field> inputs, List<Field> outputs) {
        return "Your input fields are:\n" + describeFields(inputs) + "\nYour output fields are:\n"
                + describeFields(outputs);
    }

    private static String describeFields(List<Field> fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i);
            if (i > 0) {
                sb.append('\n');
            }
            sb.append(i + 1).append(". `").append(f.name()).append("` (").append(f.type().dspyName()).append("): ")
                    .append(f.description());
            typeDescriptions(f.type(), sb);
            if (!f.constraints().isEmpty()) {
                sb.append("\nConstraints: ").append(f.constraintsText());
            }
        }
        return PyFormat.strip(sb.toString());
    }

    /**
     * DSPy's {@code Type description of NAME: ...} lines, one per custom type inside the field's type (depth first,
     * as {@code extract_custom_type_from_annotation} finds them), for the types that have a description.
     */
    private static void typeDescriptions(FieldType t, StringBuilder sb) {
        if (t.kind() == FieldType.Kind.CUSTOM) {
            String d = t.typeDescription();
            if (!d.isEmpty()) {
                sb.append("\n    Type description of ").append(t.dspyName()).append(": ").append(d);
            }
            return;
        }
        for (FieldType a : t.args()) {
            typeDescriptions(a, sb);
        }
    }

    /** The placeholder of a field in the structure part: {@code {name}} plus, for outputs, the type note. */
    static String placeholder(Field f) {
        String note = f.isInput() ? "" : typeNote(f.type());
        return "{" + f.name() + "}" + (note.isEmpty() ? "" : NOTE + note);
    }

    /** DSPy's format_field_with_value for the user role: header blocks joined by blank lines, stripped. */
    static String headerBlocks(Field[] fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                sb.append("\n\n");
            }
            sb.append("[[ ## ").append(fields[i].name()).append(" ## ]]\n").append(placeholder(fields[i]));
        }
        return PyFormat.strip(sb.toString());
    }

    static String taskDescription(String instructions) {
        StringBuilder sb = new StringBuilder("In adhering to this structure, your objective is: ");
        for (String line : PyFormat.splitlines(PyFormat.dedent(instructions))) {
            sb.append("\n        ").append(line);
        }
        return sb.toString();
    }

    /** DSPy's translate_field_type: the {@code # note: the value you produce ...} text of an output type; "" for str. */
    static String typeNote(FieldType t) {
        return switch (t.kind()) {
            case STR -> "";
            case BOOL -> "must be True or False";
            case INT -> "must be a single int value";
            case FLOAT -> "must be a single float value";
            case ENUM -> "must be one of: " + joinChoices(t);
            case LITERAL -> "must exactly match (no extra characters) one of: " + joinChoices(t);
            default -> "must adhere to the JSON schema: " + t.jsonSchema();
        };
    }

    private static String joinChoices(FieldType t) {
        StringBuilder sb = new StringBuilder();
        for (Object v : t.choices()) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append(PyFormat.str(v));
        }
        return sb.toString();
    }

    static String typeInfo(FieldType t) {
        if (t.javaClass() == ToolCalls.class) {
            return " (must be a JSON object like {\"tool_calls\": [{\"name\": \"...\", \"args\": {...}}]})";
        }
        return t.isString() ? "" : " (must be formatted as a valid Python " + t.dspyName() + ")";
    }

    // ---------------------------------------------------------------- parse helpers

    /** DSPy's parse_value for a text value: str as is, enums and Literals matched, else lenient JSON then lax. */
    static @Nullable Object parseText(FieldType t, String text) {
        switch (t.kind()) {
            case STR:
                return text;
            case ENUM:
            case LITERAL:
                return t.convert(text);
            case OPTIONAL:
                if (t.args().get(0).isString()) {
                    return text;
                }
                break;
            default:
                break;
        }
        Object candidate = LenientJson.read(text);
        if (candidate == LenientJson.FAILED) {
            candidate = text;
        }
        try {
            return t.convert(candidate);
        } catch (IllegalArgumentException e) {
            if (t.kind() == FieldType.Kind.CUSTOM && candidate != text) {
                // as DSPy: a custom type may parse the raw text itself
                try {
                    return t.convert(text);
                } catch (IllegalArgumentException ignored) {
                    throw e;
                }
            }
            throw e;
        }
    }

    /** Adds null for missing Optional outputs; fails when other outputs are missing. */
    static Map<String, @Nullable Object> finish(Prepared p, @Nullable Object[] values, boolean[] found,
                                                List<String> parsedOrder, String adapterName, String completion) {
        Map<String, @Nullable Object> out = new LinkedHashMap<>(p.outputs.length * 2);
        boolean missing = false;
        for (int i = 0; i < p.outputs.length; i++) {
            if (found[i]) {
                out.put(p.outputs[i].name(), values[i]);
            } else if (p.outputTypes[i].isOptional()) {
                out.put(p.outputs[i].name(), null);
            } else {
                missing = true;
            }
        }
        if (missing) {
            throw new AdapterParseException(adapterName, completion, p.outputNames, parsedOrder, null, null);
        }
        return Collections.unmodifiableMap(out);
    }

    static AdapterParseException fieldFailure(Prepared p, String adapterName, String completion, String field,
                                              @Nullable Object value, IllegalArgumentException e) {
        String shown = value instanceof String s ? s : PyFormat.str(jsonable(value));
        return new AdapterParseException(adapterName, completion, p.outputNames, null,
                "Failed to parse field " + field + " with value " + shown + " from the LM response. Error message: "
                        + e.getMessage(), e);
    }
}

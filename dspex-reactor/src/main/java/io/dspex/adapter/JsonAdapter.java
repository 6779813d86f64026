package io.dspex.adapter;

import io.dspex.internal.PyFormat;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * DSPy 3.3's {@code JSONAdapter}: the same system description and task as {@link ChatAdapter}, but the model is
 * asked for one JSON object holding the output fields. Prompts are byte-identical with DSPy's; values in user
 * turns render as in {@link ChatAdapter}, demo replies and the output structure as 2-space indented JSON with
 * non-ASCII characters kept as they are (DSPy's {@code json.dumps(..., indent=2, ensure_ascii=False)}).
 *
 * <pre>{@code
 * JsonAdapter json = new JsonAdapter();
 * Signature sig = Signature.parse("question -> answer, confidence: float");
 * json.parse(sig, "Sure! {\"answer\": \"Paris\", \"confidence\": 0.9}"); // {answer=Paris, confidence=0.9}
 * json.responseFormat(sig); // {type=json_schema, json_schema={name=DSPyProgramOutputs, strict=true, schema=...}}
 * }</pre>
 *
 * <p><b>Parsing</b> takes the first balanced {@code {...}} in the reply (as DSPy's regular expression does), reads
 * it leniently (code fences, single quotes, Python literals, trailing commas, unquoted keys), ignores keys that
 * are no output field and converts each value by type: a number or boolean given for a {@code str} output becomes
 * its Python text ({@code 42} → {@code "42"}, {@code true} → {@code "True"}); a string given for another type is
 * read leniently first ({@code "0.9"} → 0.9). A missing {@code Optional[...]} output is null.
 */
public final class JsonAdapter extends AbstractAdapter {

    private static final String NAME = "JSONAdapter";

    /**
     * Creates the adapter, with native function calling on as DSPy's {@code JSONAdapter()} has it; it is stateless
     * apart from a per-signature cache of the prompt parts.
     */
    public JsonAdapter() {
        this(true);
    }

    private JsonAdapter(boolean nativeFunctionCalling) {
        super(nativeFunctionCalling);
    }

    /**
     * @return an adapter that uses native function calling (DSPy's {@code use_native_function_calling=True}, already
     *         the default of a {@code JsonAdapter}); see {@link ChatAdapter#withNativeFunctionCalling()}
     */
    public JsonAdapter withNativeFunctionCalling() {
        return withNativeFunctionCalling(true);
    }

    /**
     * @param on whether tools go in the request's {@code tools} and tool calls come back from the response (on), or
     *           are rendered in the prompt and parsed from the reply text (off)
     * @return an adapter with that setting
     */
    public JsonAdapter withNativeFunctionCalling(boolean on) {
        return on == nativeFunctionCalling ? this : new JsonAdapter(on);
    }

    /** @return whether this adapter uses native function calling */
    public boolean usesNativeFunctionCalling() {
        return nativeFunctionCalling;
    }

    @Override
    String name() {
        return NAME;
    }

    @Override
    String fieldStructure(Prepared p) {
        Map<String, Object> placeholders = new LinkedHashMap<>();
        for (int i = 0; i < p.outputs.length; i++) {
            placeholders.put(p.outputs[i].name(), placeholder(p.outputs[i]));
        }
        String s = "All interactions will be structured in the following way, with the appropriate values filled in."
                + "\n\nInputs will have the following structure:\n\n" + headerBlocks(p.inputs)
                + "\n\nOutputs will be a JSON object with the following fields.\n\n"
                + PyFormat.dumpsIndent2(placeholders, false);
        return PyFormat.strip(s);
    }

    @Override
    String outputRequirements(Prepared p) {
        StringBuilder sb = new StringBuilder("Respond with a JSON object in the following order of fields: ");
        for (int i = 0; i < p.outputs.length; i++) {
            if (i > 0) {
                sb.append(", then ");
            }
            sb.append('`').append(p.outputs[i].name()).append('`').append(typeInfo(p.outputTypes[i]));
        }
        return sb.append('.').toString();
    }

    @Override
    String assistantContent(Prepared p, Map<String, @Nullable Object> values, String missing) {
        Map<String, @Nullable Object> out = new LinkedHashMap<>();
        for (int i = 0; i < p.outputs.length; i++) {
            String name = p.outputs[i].name();
            out.put(name, jsonable(values.containsKey(name) ? values.get(name) : missing));
        }
        return PyFormat.dumpsIndent2(out, false);
    }

    @Override
    public Map<String, @Nullable Object> parse(Signature signature, String completion) {
        Prepared p = prepared(signature);
        if (completion == null) {
            throw new IllegalArgumentException("completion must not be null");
        }
        String text = completion;
        String object = LenientJson.firstObject(completion);
        if (object != null) {
            text = object;
        }
        Object read = LenientJson.read(text);
        if (!(read instanceof Map<?, ?> map)) {
            throw new AdapterParseException(NAME, text, p.outputNames, null,
                    "LM response cannot be serialized to a JSON object.", null);
        }
        int n = p.outputs.length;
        Object[] values = new Object[n];
        boolean[] found = new boolean[n];
        List<String> order = new ArrayList<>(n);
        for (Map.Entry<?, ?> e : map.entrySet()) {
            Integer idx = p.outputIndex.get(String.valueOf(e.getKey()));
            if (idx == null || found[idx]) {
                continue;
            }
            Object v = e.getValue();
            FieldType t = p.outputTypes[idx];
            try {
                values[idx] = v instanceof String s ? parseText(t, s) : convertJson(t, v);
            } catch (IllegalArgumentException ex) {
                throw fieldFailure(p, NAME, text, p.outputs[idx].name(), v, ex);
            }
            found[idx] = true;
            order.add(p.outputs[idx].name());
        }
        return finish(p, values, found, order, NAME, text);
    }

    private static @Nullable Object convertJson(FieldType t, @Nullable Object v) {
        if (t.isString()) {
            return PyFormat.str(v);
        }
        return t.convert(v);
    }

    /**
     * A strict {@code json_schema} response format built from the output fields (all required, no additional
     * properties, named {@code DSPyProgramOutputs}) when every output type can be expressed strictly; else
     * {@code {"type": "json_object"}} (an output is a {@code dict} or {@code Any}, or a {@code ToolCalls} output
     * without native function calling). With native function calling a {@code ToolCalls} output is left out of the
     * schema, as DSPy leaves it out.
     *
     * @param signature the signature
     * @return the response format
     */
    @Override
    public Optional<Map<String, Object>> responseFormat(Signature signature) {
        Prepared p = prepared(signature);
        for (int i = 0; i < p.outputs.length; i++) {
            if (!skipped(p, i) && !p.outputTypes[i].strictSchemaCapable()) {
                return Optional.of(Map.of("type", "json_object"));
            }
        }
        Map<String, Map<String, Object>> defs = new TreeMap<>();
        Map<String, Object> props = new LinkedHashMap<>();
        for (int i = 0; i < p.outputs.length; i++) {
            if (skipped(p, i)) {
                continue;
            }
            Map<String, Object> s = p.outputTypes[i].schema(defs);
            if (!s.containsKey("$ref")) {
                s.put("title", PyFormat.title(p.outputs[i].name()).replace('_', ' '));
            }
            if (!p.outputs[i].description().isEmpty()) {
                s.put("description", p.outputs[i].description());
            }
            props.put(p.outputs[i].name(), s);
        }
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        if (!defs.isEmpty()) {
            schema.put("$defs", new LinkedHashMap<String, Object>(defs));
        }
        schema.put("properties", props);
        schema.put("title", "DSPyProgramOutputs");
        strict(schema);
        Map<String, Object> jsonSchema = new LinkedHashMap<>();
        jsonSchema.put("name", "DSPyProgramOutputs");
        jsonSchema.put("strict", Boolean.TRUE);
        jsonSchema.put("schema", schema);
        Map<String, Object> format = new LinkedHashMap<>();
        format.put("type", "json_schema");
        format.put("json_schema", jsonSchema);
        return Optional.of(Collections.unmodifiableMap(format));
    }

    /** With native function calling, DSPy leaves the {@code ToolCalls} output out of the structured output model. */
    private boolean skipped(Prepared p, int output) {
        return nativeFunctionCalling && p.outputs[output].name().equals(p.callsOutput);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof JsonAdapter j && j.nativeFunctionCalling == nativeFunctionCalling;
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(nativeFunctionCalling) + 31;
    }

    @Override
    public String toString() {
        return "JsonAdapter" + (nativeFunctionCalling ? "" : "[nativeFunctionCalling=false]");
    }

    /** OpenAI strict mode: every object lists all its properties as required and allows no others. */
    @SuppressWarnings("unchecked")
    private static void strict(Object node) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> map = (Map<String, Object>) m;
            map.remove("default");
            Object props = map.get("properties");
            if (props instanceof Map<?, ?> pm) {
                map.put("required", new ArrayList<>((java.util.Set<String>) pm.keySet()));
                map.put("additionalProperties", Boolean.FALSE);
            }
            for (Object v : map.values()) {
                if (v != props) {
                    strict(v);
                }
            }
            if (props instanceof Map<?, ?> pm) {
                for (Object v : pm.values()) {
                    strict(v);
                }
            }
        } else if (node instanceof List<?> l) {
            for (Object o : l) {
                strict(o);
            }
        }
    }
}

package io.dspex;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.internal.Json;
import io.dspex.internal.PyFormat;
import io.dspex.signature.CustomType;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DSPy's JSON program state ({@code module.save("x.json")}): writing it byte for byte as DSPy 3.3 does
 * ({@code orjson.dumps(state, option=OPT_INDENT_2 | OPT_APPEND_NEWLINE)}) and applying it onto a program.
 */
final class ProgramState {

    private static final Logger LOG = LoggerFactory.getLogger(ProgramState.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String METADATA = "metadata";

    private ProgramState() {
    }

    // ------------------------------------------------------------------ save

    static void save(Program program, Path path) {
        if (path == null) {
            throw new IllegalArgumentException("path must not be null");
        }
        String json = toJson(program);
        try {
            Files.write(path, json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write program state to " + path + ": " + e.getMessage(), e);
        }
    }

    static String toJson(Program program) {
        Map<String, Predictor> predictors = program.namedPredictors();
        ObjectNode root;
        if (isBarePredictor(predictors)) {
            // DSPy's Predict.dump_state is the predictor's own state, not a map of named predictors.
            root = dump(Predictor.SELF, predictors.get(Predictor.SELF));
        } else {
            root = NODES.objectNode();
            for (Map.Entry<String, Predictor> e : predictors.entrySet()) {
                if (METADATA.equals(e.getKey())) {
                    throw new ProgramStateException("a predictor named '" + METADATA + "' cannot be saved: DSPy's "
                            + "format uses that key for the file's metadata");
                }
                root.set(e.getKey(), dump(e.getKey(), e.getValue()));
            }
        }
        ObjectNode versions = NODES.objectNode();
        versions.put("python", "3.11");
        versions.put("dspy", "3.3.1");
        versions.put("cloudpickle", "3.1");
        ObjectNode metadata = NODES.objectNode();
        metadata.set("dependency_versions", versions);
        root.set(METADATA, metadata);
        StringBuilder sb = new StringBuilder();
        write(root, 0, sb);
        return sb.append('\n').toString();
    }

    /** A program that is one predictor (DSPy's bare {@code Predict}) saves its state flat. */
    private static boolean isBarePredictor(Map<String, Predictor> predictors) {
        return predictors.size() == 1 && predictors.containsKey(Predictor.SELF);
    }

    /**
     * DSPy's {@code serialize_object} for a demo value that holds custom types (an {@code Image}, a {@code Tool}, at
     * any depth, e.g. inside a {@code History}): each replaced by its {@link CustomType#serialize()} (an image by its
     * marker text), records as their components; any other value is written as it is.
     */
    private static @Nullable Object stateValue(@Nullable Object value) {
        boolean[] custom = {false};
        Object j = PyFormat.jsonable(value, v -> {
            if (v instanceof CustomType c) {
                custom[0] = true;
                return c.serialize();
            }
            return v;
        });
        return custom[0] ? j : value;
    }

    private static ObjectNode dump(String name, Predictor p) {
        ObjectNode state = NODES.objectNode();
        state.set("traces", NODES.arrayNode());
        state.set("train", NODES.arrayNode());
        ArrayNode demos = NODES.arrayNode();
        List<Example> ds = p.demos();
        for (int i = 0; i < ds.size(); i++) {
            ObjectNode demo = NODES.objectNode();
            for (Map.Entry<String, Object> kv : ds.get(i).toMap().entrySet()) {
                try {
                    demo.set(kv.getKey(), Json.MAPPER.valueToTree(stateValue(kv.getValue())));
                } catch (IllegalArgumentException ex) {
                    throw new ProgramStateException("predictor '" + name + "', demo " + i + ", key '" + kv.getKey()
                            + "': value of type " + kv.getValue().getClass().getName() + " cannot be written as JSON: "
                            + ex.getMessage(), ex);
                }
            }
            demos.add(demo);
        }
        state.set("demos", demos);
        ObjectNode sig = NODES.objectNode();
        sig.put("instructions", p.signature().instructions());
        ArrayNode fields = NODES.arrayNode();
        for (Field f : p.signature().fields()) {
            ObjectNode fn = NODES.objectNode();
            fn.put("prefix", f.prefix());
            fn.put("description", f.description().isEmpty() ? "${" + f.name() + "}" : f.description());
            fields.add(fn);
        }
        sig.set("fields", fields);
        state.set("signature", sig);
        state.set("lm", NODES.nullNode());
        return state;
    }

    /** orjson's OPT_INDENT_2 layout: two spaces per level, {@code ": "} after keys, empty containers inline. */
    static void write(JsonNode node, int indent, StringBuilder sb) {
        if (node.isObject()) {
            if (node.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                sb.append(" ".repeat(indent + 2));
                string(e.getKey(), sb);
                sb.append(": ");
                write(e.getValue(), indent + 2, sb);
                sb.append(it.hasNext() ? ",\n" : "\n");
            }
            sb.append(" ".repeat(indent)).append('}');
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            for (int i = 0; i < node.size(); i++) {
                sb.append(" ".repeat(indent + 2));
                write(node.get(i), indent + 2, sb);
                sb.append(i < node.size() - 1 ? ",\n" : "\n");
            }
            sb.append(" ".repeat(indent)).append(']');
        } else if (node.isTextual()) {
            string(node.textValue(), sb);
        } else if (node.isBoolean()) {
            sb.append(node.booleanValue() ? "true" : "false");
        } else if (node.isIntegralNumber()) {
            sb.append(node.bigIntegerValue().toString());
        } else if (node.isFloat()) {
            sb.append(pyFloat(Double.parseDouble(Float.toString(node.floatValue()))));
        } else if (node.isNumber()) {
            sb.append(pyFloat(node.doubleValue()));
        } else if (node.isBinary()) {
            string(node.asText(), sb);
        } else {
            sb.append("null");
        }
    }

    /** A JSON string as orjson writes it: UTF-8 as is, short escapes, other control characters as lower-case \\u. */
    private static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * A double as orjson writes it (ryu's shortest round-trip digits, laid out as ryu's {@code format64}):
     * {@code 1.0}, {@code 0.1}, {@code 0.00001}, {@code 1e-6}, {@code 1e16}, {@code 1.5e300}; NaN and infinities
     * as {@code null}.
     */
    static String pyFloat(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return "null";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Math.abs(d));
        BigDecimal shortest = exact;
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == Math.abs(d)) {
                shortest = r;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        String digits = shortest.unscaledValue().toString();
        int len = digits.length();
        int k = -shortest.scale(); // value = digits * 10^k
        int kk = len + k;
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (k >= 0 && kk <= 16) {
            sb.append(digits).append("0".repeat(k)).append(".0");
        } else if (kk > 0 && kk <= 16) {
            sb.append(digits, 0, kk).append('.').append(digits, kk, len);
        } else if (kk > -5 && kk <= 0) {
            sb.append("0.").append("0".repeat(-kk)).append(digits);
        } else if (len == 1) {
            sb.append(digits).append('e').append(kk - 1);
        } else {
            sb.append(digits.charAt(0)).append('.').append(digits, 1, len).append('e').append(kk - 1);
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ load

    static Program load(Program program, Path path) {
        if (path == null) {
            throw new IllegalArgumentException("path must not be null");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read program state from " + path + ": " + e.getMessage(), e);
        }
        return apply(program, new String(bytes, StandardCharsets.UTF_8), path.toString());
    }

    static Program apply(Program program, String json, String source) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ProgramStateException(source + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr()), e);
        }
        if (root == null || !root.isObject()) {
            throw new ProgramStateException(source + " must hold a JSON object of predictor states, got "
                    + (root == null || root.isMissingNode() ? "nothing (the file is empty)"
                    : root.getNodeType().toString().toLowerCase()));
        }
        Map<String, Predictor> predictors = program.namedPredictors();
        if (isBarePredictor(predictors) && root.has("signature") && !root.has(Predictor.SELF)) {
            // A bare predictor's state, saved flat as DSPy saves it; files that wrap it under "self" load too.
            ObjectNode wrapped = NODES.objectNode();
            ObjectNode state = ((ObjectNode) root).deepCopy();
            state.remove(METADATA);
            wrapped.set(Predictor.SELF, state);
            root = wrapped;
        }
        Set<String> inFile = new LinkedHashSet<>();
        root.fieldNames().forEachRemaining(inFile::add);
        inFile.remove(METADATA);
        Set<String> missing = new LinkedHashSet<>(predictors.keySet());
        missing.removeAll(inFile);
        Set<String> extra = new LinkedHashSet<>(inFile);
        extra.removeAll(predictors.keySet());
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new ProgramStateException(source + " does not match the program: "
                    + (missing.isEmpty() ? "" : "no state for predictor(s) " + missing + (extra.isEmpty() ? "" : "; "))
                    + (extra.isEmpty() ? "" : "predictor(s) " + extra + " are not in the program")
                    + " (the program's predictors are " + predictors.keySet() + ", the file's " + inFile + ")");
        }
        Map<String, Predictor> replaced = new LinkedHashMap<>();
        for (Map.Entry<String, Predictor> e : predictors.entrySet()) {
            replaced.put(e.getKey(), applyOne(e.getKey(), e.getValue(), root.get(e.getKey()), source));
        }
        return program.withNamedPredictors(replaced);
    }

    private static Predictor applyOne(String name, Predictor p, JsonNode state, String source) {
        String where = source + ", predictor '" + name + "'";
        if (!state.isObject()) {
            throw new ProgramStateException(where + ": state must be an object, got " + type(state));
        }
        for (String listKey : List.of("traces", "train")) {
            JsonNode n = state.get(listKey);
            if (n != null && !n.isArray()) {
                throw new ProgramStateException(where + ": '" + listKey + "' must be a list, got " + type(n));
            }
        }
        JsonNode lm = state.get("lm");
        if (lm != null && !lm.isNull()) {
            LOG.warn("{}: the saved 'lm' settings are ignored; configure the language model in Java", where);
        }
        Signature sig = signature(where, p.signature(), required(state, "signature", where));
        JsonNode demosNode = required(state, "demos", where);
        if (!demosNode.isArray()) {
            throw new ProgramStateException(where + ": 'demos' must be a list, got " + type(demosNode));
        }
        List<Example> demos = new ArrayList<>();
        for (int i = 0; i < demosNode.size(); i++) {
            JsonNode d = demosNode.get(i);
            if (!d.isObject()) {
                throw new ProgramStateException(where + ", demo " + i + ": must be an object, got " + type(d));
            }
            try {
                Map<String, Object> values = Json.MAPPER.convertValue(d, new TypeReference<LinkedHashMap<String, Object>>() {
                });
                demos.add(Example.of(values));
            } catch (IllegalArgumentException ex) {
                throw new ProgramStateException(where + ", demo " + i + ": " + ex.getMessage(), ex);
            }
        }
        return p.withSignature(sig).withDemos(demos);
    }

    private static Signature signature(String where, Signature current, JsonNode node) {
        if (!node.isObject()) {
            throw new ProgramStateException(where + ": 'signature' must be an object, got " + type(node));
        }
        JsonNode instructions = required(node, "instructions", where + ", signature");
        if (!instructions.isTextual()) {
            throw new ProgramStateException(where + ", signature: 'instructions' must be a string, got "
                    + type(instructions));
        }
        JsonNode fields = required(node, "fields", where + ", signature");
        if (!fields.isArray()) {
            throw new ProgramStateException(where + ", signature: 'fields' must be a list, got " + type(fields));
        }
        List<Field> own = current.fields();
        if (fields.size() != own.size()) {
            List<String> names = own.stream().map(Field::name).toList();
            throw new ProgramStateException(where + ": the file has " + fields.size() + " signature fields, the "
                    + "program's signature " + current.spec() + " has " + own.size() + " " + names);
        }
        Signature sig = current.withInstructions(instructions.textValue());
        for (int i = 0; i < own.size(); i++) {
            String fname = own.get(i).name();
            String fwhere = where + ", field " + i + " ('" + fname + "')";
            JsonNode f = fields.get(i);
            if (!f.isObject()) {
                throw new ProgramStateException(fwhere + ": must be an object, got " + type(f));
            }
            JsonNode prefix = required(f, "prefix", fwhere);
            JsonNode desc = required(f, "description", fwhere);
            if (!prefix.isTextual() || !desc.isTextual()) {
                throw new ProgramStateException(fwhere + ": 'prefix' and 'description' must be strings, got "
                        + type(prefix) + " and " + type(desc));
            }
            String d = desc.textValue().equals("${" + fname + "}") ? "" : desc.textValue();
            sig = sig.withUpdatedField(fname, x -> x.withPrefix(prefix.textValue()).withDescription(d));
        }
        return sig;
    }

    private static JsonNode required(JsonNode node, String key, String where) {
        JsonNode v = node.get(key);
        if (v == null) {
            throw new ProgramStateException(where + ": missing '" + key + "'");
        }
        return v;
    }

    private static String type(JsonNode n) {
        return n.getNodeType().toString().toLowerCase();
    }
}

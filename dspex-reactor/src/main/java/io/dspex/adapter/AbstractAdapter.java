package io.dspex.adapter;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.dspex.Example;
import io.dspex.internal.PyFormat;
import io.dspex.lm.Message;
import io.dspex.signature.Field;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What DSPy's ChatAdapter and JSONAdapter share: demos, the user turns, value rendering, the task text. */
abstract class AbstractAdapter implements Adapter {

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
            system = fieldDescription(in, out) + "\n" + adapter.fieldStructure(this) + "\n"
                    + taskDescription(sig.instructions());
            outputRequirements = adapter.outputRequirements(this);
        }
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
        messages.add(Message.user(userContent(p, inputs, "", true)));
        return messages;
    }

    private static void checkInputs(Prepared p, Map<String, ?> inputs) {
        List<String> missing = null;
        for (Field f : p.inputs) {
            if (!inputs.containsKey(f.name())) {
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
        Object j = PyFormat.jsonable(value);
        if (j instanceof Map || j instanceof List) {
            PyFormat.dumps(j, false, sb);
        } else {
            sb.append(PyFormat.str(j));
        }
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
            if (!f.constraints().isEmpty()) {
                sb.append("\nConstraints: ").append(f.constraintsText());
            }
        }
        return PyFormat.strip(sb.toString());
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
        return t.convert(candidate);
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
        String shown = value instanceof String s ? s : PyFormat.str(PyFormat.jsonable(value));
        return new AdapterParseException(adapterName, completion, p.outputNames, null,
                "Failed to parse field " + field + " with value " + shown + " from the LM response. Error message: "
                        + e.getMessage(), e);
    }
}

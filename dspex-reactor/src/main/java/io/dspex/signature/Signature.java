package io.dspex.signature;

import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * What one step of a program does: typed input fields, typed output fields and instructions (DSPy's
 * {@code dspy.Signature}). Immutable; compares by value (instructions and fields).
 *
 * <pre>{@code
 * Signature qa = Signature.parse("question, context: list[str] -> answer, confidence: float");
 * qa.instructions(); // "Given the fields `question`, `context`, produce the fields `answer`, `confidence`."
 *
 * Signature typed = Signature.builder()
 *     .instructions("Extract the person.")
 *     .input("text", "str", "a paragraph")
 *     .output("person", Person.class)
 *     .build();
 * }</pre>
 *
 * <p><b>Default instructions.</b> As in DSPy, a signature created without instructions gets
 * {@code Given the fields `a`, `b`, produce the fields `c`, `d`.}, computed from its fields when it is created.
 * Edits ({@link #prepend}, {@link #append}, {@link #insert}, {@link #delete}, {@link #withUpdatedField}) carry the
 * current instructions over unchanged, exactly as DSPy's {@code Signature.insert} and {@code delete} do — so
 * {@code ChainOfThought}'s prepended {@code reasoning} field does not appear in them, byte for byte as in DSPy.
 */
public final class Signature {

    private final String instructions;
    private final List<Field> inputs;
    private final List<Field> outputs;
    private final List<Field> fields;
    private int hash;
    /** {@link #spec()}, built on first use (a racy single check: a String is safe to publish so). */
    private @Nullable String spec;

    private Signature(@Nullable String instructions, List<Field> inputs, List<Field> outputs) {
        this.inputs = Collections.unmodifiableList(new ArrayList<>(inputs));
        this.outputs = Collections.unmodifiableList(new ArrayList<>(outputs));
        List<Field> all = new ArrayList<>(inputs.size() + outputs.size());
        all.addAll(inputs);
        all.addAll(outputs);
        this.fields = Collections.unmodifiableList(all);
        this.instructions = instructions == null ? defaultInstructions(inputs, outputs) : instructions;
    }

    private static Signature checked(String instructions, List<Field> inputs, List<Field> outputs) {
        Set<String> seen = new HashSet<>();
        for (Field f : inputs) {
            if (!f.isInput()) {
                throw new SignatureException("field '" + f.name() + "' is an output field but was given as an input");
            }
            if (!seen.add(f.name())) {
                throw new SignatureException("duplicate field name '" + f.name() + "'");
            }
        }
        for (Field f : outputs) {
            if (f.isInput()) {
                throw new SignatureException("field '" + f.name() + "' is an input field but was given as an output");
            }
            if (!seen.add(f.name())) {
                throw new SignatureException(inputs.stream().anyMatch(i -> i.name().equals(f.name()))
                        ? "field '" + f.name() + "' is both an input and an output"
                        : "duplicate field name '" + f.name() + "'");
            }
        }
        return new Signature(instructions, inputs, outputs);
    }

    /** DSPy's default instructions for these fields. */
    static String defaultInstructions(List<Field> inputs, List<Field> outputs) {
        StringBuilder sb = new StringBuilder("Given the fields ");
        names(inputs, sb);
        sb.append(", produce the fields ");
        names(outputs, sb);
        return sb.append('.').toString();
    }

    private static void names(List<Field> fs, StringBuilder sb) {
        for (int i = 0; i < fs.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append('`').append(fs.get(i).name()).append('`');
        }
    }

    /**
     * Parses DSPy's string syntax: comma-separated inputs, {@code ->}, comma-separated outputs; each field is
     * {@code name} ({@code str}) or {@code name: type}.
     *
     * @param spec e.g. {@code "question, context: list[str] -> answer, confidence: float"}
     * @return the signature, with DSPy's default instructions
     * @throws SignatureException naming the problem and its column: missing {@code ->}, an empty side, a duplicate
     *                            or invalid name, an unknown type, unbalanced brackets, a field on both sides
     */
    public static Signature parse(String spec) {
        return parse(spec, null);
    }

    /**
     * Parses DSPy's string syntax with given instructions.
     *
     * @param spec         see {@link #parse(String)}
     * @param instructions the instructions; {@code null} for DSPy's default
     * @return the signature
     * @throws SignatureException naming the problem and its column
     */
    public static Signature parse(String spec, @Nullable String instructions) {
        return parse(spec, instructions, Map.of());
    }

    /**
     * Parses DSPy's string syntax with your own type names (DSPy's {@code custom_types}): records, enums and
     * {@link CustomType}s, by the name the spec uses.
     *
     * <pre>{@code
     * Signature sig = Signature.parse("question, notes: list[Note] -> verdict: Note", null,
     *         Map.of("Note", Note.class));
     * }</pre>
     *
     * @param spec         see {@link #parse(String)}
     * @param instructions the instructions; {@code null} for DSPy's default
     * @param types        type names to Java types; they win over DSPy's built-in names ({@code Tool},
     *                     {@code ToolCalls}, {@code Image}, {@code History})
     * @return the signature
     * @throws SignatureException naming the problem and its column, including a name whose type cannot be a field
     *                            type
     */
    public static Signature parse(String spec, @Nullable String instructions, Map<String, ? extends Type> types) {
        if (types == null) {
            throw new SignatureException("types must not be null (use Map.of())");
        }
        if (spec == null) {
            throw new SignatureException("signature spec must not be null");
        }
        int arrow = spec.indexOf("->");
        if (arrow < 0) {
            throw new SignatureException("missing '->' between inputs and outputs", spec, spec.length() + 1);
        }
        int second = spec.indexOf("->", arrow + 2);
        if (second >= 0) {
            throw new SignatureException("more than one '->'", spec, second + 1);
        }
        List<Field> in = side(spec, 0, arrow, true, types);
        List<Field> out = side(spec, arrow + 2, spec.length(), false, types);
        Set<String> inNames = new HashSet<>();
        for (Field f : in) {
            inNames.add(f.name());
        }
        for (Field f : out) {
            if (inNames.contains(f.name())) {
                throw new SignatureException("field '" + f.name() + "' appears on both sides of '->'", spec,
                        columnOfName(spec, arrow + 2, f.name()));
            }
        }
        return new Signature(instructions, in, out);
    }

    private static int columnOfName(String spec, int from, String name) {
        int i = from;
        while ((i = spec.indexOf(name, i)) >= 0) {
            boolean startOk = i == 0 || !isIdentPart(spec.charAt(i - 1));
            int end = i + name.length();
            boolean endOk = end >= spec.length() || !isIdentPart(spec.charAt(end));
            if (startOk && endOk) {
                return i + 1;
            }
            i = end;
        }
        return from + 1;
    }

    private static boolean isIdentPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static List<Field> side(String spec, int start, int end, boolean input,
                                    Map<String, ? extends Type> types) {
        String which = input ? "input" : "output";
        // split at top-level commas
        List<int[]> segments = new ArrayList<>();
        int depth = 0;
        int lastOpen = -1;
        char quote = 0;
        int segStart = start;
        for (int i = start; i < end; i++) {
            char c = spec.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '[') {
                if (depth == 0) {
                    lastOpen = i;
                }
                depth++;
            } else if (c == ']') {
                if (depth == 0) {
                    throw new SignatureException("unbalanced brackets: ']' without a matching '['", spec, i + 1);
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                segments.add(new int[] {segStart, i});
                segStart = i + 1;
            }
        }
        if (depth > 0) {
            throw new SignatureException("unbalanced brackets: '[' is never closed", spec, lastOpen + 1);
        }
        segments.add(new int[] {segStart, end});
        List<Field> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int k = 0; k < segments.size(); k++) {
            int s = segments.get(k)[0];
            int e = segments.get(k)[1];
            while (s < e && Character.isWhitespace(spec.charAt(s))) {
                s++;
            }
            while (e > s && Character.isWhitespace(spec.charAt(e - 1))) {
                e--;
            }
            if (s == e) {
                if (segments.size() == 1) {
                    throw new SignatureException("empty " + which + " side: no " + which + " fields "
                            + (input ? "before" : "after") + " '->'", spec, input ? end + 1 : start + 1);
                }
                if (k == segments.size() - 1 && k > 0) {
                    continue; // a trailing comma, as Python allows
                }
                throw new SignatureException("empty " + which + " field (two commas in a row?)", spec,
                        segments.get(k)[0] + 1);
            }
            int colon = spec.indexOf(':', s);
            if (colon >= e) {
                colon = -1;
            }
            int nameEnd = colon < 0 ? e : colon;
            while (nameEnd > s && Character.isWhitespace(spec.charAt(nameEnd - 1))) {
                nameEnd--;
            }
            String name = spec.substring(s, nameEnd);
            if (name.isEmpty()) {
                throw new SignatureException("missing field name before ':'", spec, s + 1);
            }
            int bad = invalidIdentifierAt(name);
            if (bad >= 0) {
                throw new SignatureException("invalid field name '" + name + "': a name is a Python identifier "
                        + "(letters, digits, '_', not starting with a digit, not a keyword)", spec, s + bad + 1);
            }
            if (!names.add(name)) {
                throw new SignatureException("duplicate field name '" + name + "'", spec, s + 1);
            }
            TypeModel type = colon < 0 ? TypeModel.STR
                    : TypeParser.parse(spec.substring(colon + 1, e), spec, colon + 1, types);
            FieldType ft = FieldType.wrap(type);
            out.add(input ? Field.input(name, ft) : Field.output(name, ft));
        }
        return out;
    }

    private static final Set<String> KEYWORDS = Set.of("False", "None", "True", "and", "as", "assert", "async",
            "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from",
            "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
            "while", "with", "yield");

    /** @return the index of the first character that makes {@code name} no Python identifier, or -1 when valid */
    static int invalidIdentifierAt(String name) {
        if (name.isEmpty()) {
            return 0;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c == '_' || Character.isLetter(c) || (i > 0 && Character.isDigit(c));
            if (!ok) {
                return i;
            }
        }
        return KEYWORDS.contains(name) ? 0 : -1;
    }

    /** @return a builder for a signature with Java or DSPy types and descriptions */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the instructions (DSPy's default text when none were given) */
    public String instructions() {
        return instructions;
    }

    /** @return the input fields, in order */
    public List<Field> inputFields() {
        return inputs;
    }

    /** @return the output fields, in order */
    public List<Field> outputFields() {
        return outputs;
    }

    /** @return all fields: inputs, then outputs */
    public List<Field> fields() {
        return fields;
    }

    /**
     * @param name a field name
     * @return the field, if this signature has it
     */
    public Optional<Field> field(String name) {
        for (Field f : fields) {
            if (f.name().equals(name)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** @return DSPy's short form, e.g. {@code "question, context -> answer"} */
    public String spec() {
        String s = spec;
        if (s == null) {
            s = buildSpec();
            spec = s;
        }
        return s;
    }

    private String buildSpec() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < inputs.size(); i++) {
            sb.append(i > 0 ? ", " : "").append(inputs.get(i).name());
        }
        sb.append(" -> ");
        for (int i = 0; i < outputs.size(); i++) {
            sb.append(i > 0 ? ", " : "").append(outputs.get(i).name());
        }
        return sb.toString();
    }

    /**
     * @param instructions the new instructions
     * @return a copy with them
     * @throws IllegalArgumentException when null
     */
    public Signature withInstructions(String instructions) {
        if (instructions == null) {
            throw new IllegalArgumentException("instructions must not be null");
        }
        return new Signature(instructions, inputs, outputs);
    }

    /**
     * Adds a field at the start of the inputs (for an input field) or of the outputs (for an output field).
     *
     * @param field the field
     * @return a copy with it; instructions unchanged
     * @throws SignatureException when a field of that name exists
     */
    public Signature prepend(Field field) {
        return insert(0, field);
    }

    /**
     * Adds a field at the end of the inputs (for an input field) or of the outputs (for an output field).
     *
     * @param field the field
     * @return a copy with it; instructions unchanged
     * @throws SignatureException when a field of that name exists
     */
    public Signature append(Field field) {
        return insert(-1, field);
    }

    /**
     * Inserts a field into the inputs or the outputs, according to its kind, as DSPy's {@code insert} does.
     *
     * @param index position in that list; negative counts from the end ({@code -1} appends)
     * @param field the field
     * @return a copy with it; instructions unchanged
     * @throws SignatureException when the index is out of range or a field of that name exists
     */
    public Signature insert(int index, Field field) {
        if (field == null) {
            throw new IllegalArgumentException("field must not be null");
        }
        List<Field> in = new ArrayList<>(inputs);
        List<Field> out = new ArrayList<>(outputs);
        List<Field> target = field.isInput() ? in : out;
        int i = index < 0 ? index + target.size() + 1 : index;
        if (i < 0 || i > target.size()) {
            throw new SignatureException("invalid index " + index + " for " + target.size() + " "
                    + (field.isInput() ? "input" : "output") + " fields of " + spec());
        }
        if (field(field.name()).isPresent()) {
            throw new SignatureException("field '" + field.name() + "' already exists in " + spec());
        }
        target.add(i, field);
        return checked(instructions, in, out);
    }

    /**
     * @param name the field to remove
     * @return a copy without it; instructions unchanged
     * @throws IllegalArgumentException naming the field when there is no such field
     */
    public Signature delete(String name) {
        if (field(name).isEmpty()) {
            throw new IllegalArgumentException("no field '" + name + "' in " + spec());
        }
        List<Field> in = new ArrayList<>(inputs);
        List<Field> out = new ArrayList<>(outputs);
        in.removeIf(f -> f.name().equals(name));
        out.removeIf(f -> f.name().equals(name));
        return new Signature(instructions, in, out);
    }

    /**
     * Replaces one field by a function of it (DSPy's {@code with_updated_fields}), keeping its position.
     *
     * <pre>{@code
     * sig.withUpdatedField("answer", f -> f.withDescription("one word"));
     * }</pre>
     *
     * @param name   the field to update
     * @param update the change; must keep the field an input or an output
     * @return a copy with the updated field; instructions unchanged
     * @throws IllegalArgumentException when there is no such field, or the update changes its kind or renames it
     *                                  onto another field
     */
    public Signature withUpdatedField(String name, UnaryOperator<Field> update) {
        Field old = field(name).orElseThrow(() -> new IllegalArgumentException("no field '" + name + "' in "
                + spec()));
        Field updated = update.apply(old);
        if (updated == null) {
            throw new IllegalArgumentException("the update of field '" + name + "' returned null");
        }
        if (updated.isInput() != old.isInput()) {
            throw new SignatureException("the update of field '" + name + "' changed it from "
                    + (old.isInput() ? "input to output" : "output to input") + "; delete and insert it instead");
        }
        List<Field> in = new ArrayList<>(inputs);
        List<Field> out = new ArrayList<>(outputs);
        List<Field> target = old.isInput() ? in : out;
        target.set(target.indexOf(old), updated);
        return checked(instructions, in, out);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof Signature s && s.hashCode() == hashCode() && s.instructions.equals(instructions)
                && s.inputs.equals(inputs) && s.outputs.equals(outputs);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = 31 * (31 * instructions.hashCode() + inputs.hashCode()) + outputs.hashCode();
            hash = h;
        }
        return h;
    }

    @Override
    public String toString() {
        return "Signature(" + spec() + ", instructions=" + instructions + ")";
    }

    /**
     * Builds a {@link Signature} field by field; types are DSPy type strings or Java types.
     *
     * <pre>{@code
     * Signature s = Signature.builder()
     *     .input("question", String.class)
     *     .output("answers", "list[str]", "a few short answers")
     *     .build();
     * }</pre>
     */
    public static final class Builder {
        private @Nullable String instructions;
        private final List<Field> inputs = new ArrayList<>();
        private final List<Field> outputs = new ArrayList<>();

        private Builder() {
        }

        /**
         * @param instructions the instructions (null for DSPy's default)
         * @return this builder
         */
        public Builder instructions(@Nullable String instructions) {
            this.instructions = instructions;
            return this;
        }

        /**
         * @param name field name
         * @param type DSPy type string
         * @return this builder
         */
        public Builder input(String name, String type) {
            inputs.add(Field.input(name, type));
            return this;
        }

        /**
         * @param name field name
         * @param type Java type
         * @return this builder
         */
        public Builder input(String name, Type type) {
            inputs.add(Field.input(name, type));
            return this;
        }

        /**
         * @param name field name
         * @param type DSPy type string
         * @param description description
         * @return this
         */
        public Builder input(String name, String type, @Nullable String description) {
            inputs.add(Field.input(name, type, description));
            return this;
        }

        /**
         * @param name field name
         * @param type Java type
         * @param description description
         * @return this builder
         */
        public Builder input(String name, Type type, @Nullable String description) {
            inputs.add(Field.input(name, type, description));
            return this;
        }

        /**
         * @param name field name
         * @param type DSPy type string
         * @return this builder
         */
        public Builder output(String name, String type) {
            outputs.add(Field.output(name, type));
            return this;
        }

        /**
         * @param name field name
         * @param type Java type
         * @return this builder
         */
        public Builder output(String name, Type type) {
            outputs.add(Field.output(name, type));
            return this;
        }

        /**
         * @param name field name
         * @param type DSPy type string
         * @param description description
         * @return this
         */
        public Builder output(String name, String type, @Nullable String description) {
            outputs.add(Field.output(name, type, description));
            return this;
        }

        /**
         * @param name field name
         * @param type Java type
         * @param description description
         * @return this builder
         */
        public Builder output(String name, Type type, @Nullable String description) {
            outputs.add(Field.output(name, type, description));
            return this;
        }

        /**
         * @param field an input or output field
         * @return this builder
         */
        public Builder field(Field field) {
            (field.isInput() ? inputs : outputs).add(field);
            return this;
        }

        /**
         * @return the signature
         * @throws SignatureException on a duplicate name or when there is no output field
         */
        public Signature build() {
            if (outputs.isEmpty()) {
                throw new SignatureException("a signature needs at least one output field");
            }
            return checked(instructions, inputs, outputs);
        }
    }
}

package io.dspex.signature;

import java.lang.reflect.Type;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One named, typed input or output of a {@link Signature} (DSPy's {@code InputField}/{@code OutputField}).
 * Immutable; compares by value.
 *
 * <pre>{@code
 * Field q = Field.input("question", "str", "a trivia question");
 * Field a = Field.output("answer_list", "list[str]");
 * a.prefix();   // "Answer List:"
 * }</pre>
 */
public final class Field {

    private final String name;
    private final boolean input;
    private final FieldType type;
    private final String description;
    private final String prefix;
    private final Map<Constraint, Object> constraints;

    private Field(String name, boolean input, FieldType type, String description, String prefix) {
        this(name, input, type, description, prefix, Map.of());
    }

    private Field(String name, boolean input, FieldType type, String description, String prefix,
                  Map<Constraint, Object> constraints) {
        this.name = name;
        this.input = input;
        this.type = type;
        this.description = description;
        this.prefix = prefix;
        this.constraints = constraints;
    }

    /**
     * A constraint on a field's value, as DSPy takes them from pydantic's {@code Field(ge=.., le=..)} keyword
     * arguments. Adapters describe constraints to the model on the field's line
     * ({@code Constraints: greater than or equal to: 0, less than or equal to: 1}); they are not checked when a
     * reply is parsed.
     */
    public enum Constraint {
        /** pydantic's {@code gt}. */
        GT("greater than: "),
        /** pydantic's {@code ge}. */
        GE("greater than or equal to: "),
        /** pydantic's {@code lt}. */
        LT("less than: "),
        /** pydantic's {@code le}. */
        LE("less than or equal to: "),
        /** pydantic's {@code min_length}. */
        MIN_LENGTH("minimum length: "),
        /** pydantic's {@code max_length}. */
        MAX_LENGTH("maximum length: "),
        /** pydantic's {@code multiple_of}. */
        MULTIPLE_OF("a multiple of the given number: "),
        /** pydantic's {@code allow_inf_nan}. */
        ALLOW_INF_NAN("allow 'inf', '-inf', 'nan' values: ");

        private final String text;

        Constraint(String text) {
            this.text = text;
        }
    }

    private static Field create(String name, boolean input, FieldType type, @Nullable String description) {
        checkName(name);
        if (type == null) {
            throw new IllegalArgumentException("type of field '" + name + "' must not be null");
        }
        return new Field(name, input, type, description == null ? "" : description, inferPrefix(name) + ":");
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new SignatureException("field name must not be null or empty");
        }
        int bad = Signature.invalidIdentifierAt(name);
        if (bad >= 0) {
            throw new SignatureException("invalid field name '" + name + "': a name is a Python identifier "
                    + "(letters, digits, '_', not starting with a digit, not a keyword)");
        }
    }

    /**
     * @param name the field name
     * @return a {@code str} input field
     */
    public static Field input(String name) {
        return create(name, true, FieldType.STR, "");
    }

    /**
     * @param name field name
     * @param type DSPy type string
     * @return an input field
     */
    public static Field input(String name, String type) {
        return create(name, true, FieldType.parse(type), "");
    }

    /**
     * @param name field name
     * @param type Java type
     * @return an input field
     */
    public static Field input(String name, Type type) {
        return create(name, true, FieldType.of(type), "");
    }

    /**
     * @param name field name
     * @param type DSPy type string
     * @param description its description
     * @return an input
     */
    public static Field input(String name, String type, @Nullable String description) {
        return create(name, true, FieldType.parse(type), description);
    }

    /**
     * @param name field name
     * @param type Java type
     * @param description its description
     * @return an input field
     */
    public static Field input(String name, Type type, @Nullable String description) {
        return create(name, true, FieldType.of(type), description);
    }

    /**
     * @param name field name
     * @param type the field type
     * @return an input field
     */
    public static Field input(String name, FieldType type) {
        return create(name, true, type, "");
    }

    /**
     * @param name the field name
     * @return a {@code str} output field
     */
    public static Field output(String name) {
        return create(name, false, FieldType.STR, "");
    }

    /**
     * @param name field name
     * @param type DSPy type string
     * @return an output field
     */
    public static Field output(String name, String type) {
        return create(name, false, FieldType.parse(type), "");
    }

    /**
     * @param name field name
     * @param type Java type
     * @return an output field
     */
    public static Field output(String name, Type type) {
        return create(name, false, FieldType.of(type), "");
    }

    /**
     * @param name field name
     * @param type DSPy type string
     * @param description its description
     * @return an output
     */
    public static Field output(String name, String type, @Nullable String description) {
        return create(name, false, FieldType.parse(type), description);
    }

    /**
     * @param name field name
     * @param type Java type
     * @param description its description
     * @return an output field
     */
    public static Field output(String name, Type type, @Nullable String description) {
        return create(name, false, FieldType.of(type), description);
    }

    /**
     * @param name field name
     * @param type the field type
     * @return an output field
     */
    public static Field output(String name, FieldType type) {
        return create(name, false, type, "");
    }

    /** @return the field name, a Python identifier */
    public String name() {
        return name;
    }

    /** @return true for an input field, false for an output field */
    public boolean isInput() {
        return input;
    }

    /** @return the field's type */
    public FieldType type() {
        return type;
    }

    /** @return the description, or the empty string when the field has none */
    public String description() {
        return description;
    }

    /**
     * @return the prefix, by default DSPy's inferred one: {@code question} → {@code Question:},
     *         {@code some_field} → {@code Some Field:}, {@code camelCase} → {@code Camel Case:}
     */
    public String prefix() {
        return prefix;
    }

    /**
     * @param description the new description (null means none)
     * @return a copy with it
     */
    public Field withDescription(@Nullable String description) {
        return new Field(name, input, type, description == null ? "" : description, prefix, constraints);
    }

    /**
     * @param prefix the new prefix
     * @return a copy with it
     */
    public Field withPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("prefix of field '" + name + "' must not be null");
        }
        return new Field(name, input, type, description, prefix, constraints);
    }

    /**
     * @param type the new type
     * @return a copy with it
     */
    public Field withType(FieldType type) {
        if (type == null) {
            throw new IllegalArgumentException("type of field '" + name + "' must not be null");
        }
        return new Field(name, input, type, description, prefix, constraints);
    }

    /**
     * @param type the new type as a DSPy type string
     * @return a copy with it
     */
    public Field withType(String type) {
        return withType(FieldType.parse(type));
    }

    /**
     * @param type the new type as a Java type
     * @return a copy with it
     */
    public Field withType(Type type) {
        return withType(FieldType.of(type));
    }

    private static final Pattern P1 = Pattern.compile("(.)([A-Z][a-z]+)");
    private static final Pattern P2 = Pattern.compile("([a-z0-9])([A-Z])");
    private static final Pattern P3 = Pattern.compile("([a-zA-Z])(\\p{Nd})");
    private static final Pattern P4 = Pattern.compile("(\\p{Nd})([a-zA-Z])");

    /** DSPy's {@code infer_prefix}: camelCase and digits split into words, words title-cased, acronyms kept. */
    static String inferPrefix(String name) {
        String s = P1.matcher(name).replaceAll("$1_$2");
        s = P2.matcher(s).replaceAll("$1_$2");
        s = P3.matcher(s).replaceAll("$1_$2");
        s = P4.matcher(s).replaceAll("$1_$2");
        String[] words = s.split("_", -1);
        StringBuilder sb = new StringBuilder(name.length() + 4);
        for (int i = 0; i < words.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            String w = words[i];
            if (isUpper(w)) {
                sb.append(w);
            } else if (!w.isEmpty()) {
                sb.appendCodePoint(Character.toTitleCase(w.codePointAt(0)));
                sb.append(w.substring(Character.charCount(w.codePointAt(0))).toLowerCase(java.util.Locale.ROOT));
            }
        }
        return sb.toString();
    }

    /** Python's {@code str.isupper()}: at least one cased character and no lower-case one. */
    private static boolean isUpper(String w) {
        boolean cased = false;
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            if (Character.isLowerCase(c) || Character.isTitleCase(c)) {
                return false;
            }
            if (Character.isUpperCase(c)) {
                cased = true;
            }
        }
        return cased;
    }

    /**
     * Adds a constraint, described to the model in the order added (DSPy keeps the keyword arguments' order).
     *
     * <pre>{@code
     * Field score = Field.output("score", "float").withConstraint(Field.Constraint.GE, 0).withConstraint(Field.Constraint.LE, 1);
     * // rendered: 2. `score` (float): \nConstraints: greater than or equal to: 0, less than or equal to: 1
     * }</pre>
     *
     * @param constraint which constraint
     * @param value      its bound: a number, or a boolean for {@link Constraint#ALLOW_INF_NAN}; rendered as Python
     *                   prints it ({@code 0}, {@code 0.5}, {@code True})
     * @return a copy with the constraint (replacing an earlier value of the same constraint in its place)
     * @throws IllegalArgumentException when either is null or the value is not a number or boolean
     */
    public Field withConstraint(Constraint constraint, Object value) {
        if (constraint == null || value == null) {
            throw new IllegalArgumentException("constraint and value of field '" + name + "' must not be null");
        }
        if (!(value instanceof Number || value instanceof Boolean)) {
            throw new IllegalArgumentException("constraint " + constraint + " of field '" + name
                    + "' takes a number or boolean, got " + value.getClass().getSimpleName());
        }
        Map<Constraint, Object> c = new LinkedHashMap<>(constraints);
        c.put(constraint, value);
        return new Field(name, input, type, description, prefix, Collections.unmodifiableMap(c));
    }

    /** @return the constraints in the order added (empty when none) */
    public Map<Constraint, Object> constraints() {
        return constraints;
    }

    /**
     * @return the constraints as DSPy describes them to the model, e.g.
     *         {@code greater than or equal to: 0, less than or equal to: 1}; empty when none
     */
    public String constraintsText() {
        if (constraints.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Constraint, Object> e : constraints.entrySet()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(e.getKey().text).append(io.dspex.internal.PyFormat.str(e.getValue()));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Field f && f.input == input && f.name.equals(name) && f.type.equals(type)
                && f.description.equals(description) && f.prefix.equals(prefix) && f.constraints.equals(constraints);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, input, type, description, prefix, constraints);
    }

    @Override
    public String toString() {
        return (input ? "InputField(" : "OutputField(") + name + ": " + type
                + (description.isEmpty() ? "" : ", desc=" + description)
                + (constraints.isEmpty() ? "" : ", constraints=" + constraintsText()) + ")";
    }
}

package io.dspex.signature;

import io.dspex.internal.PyFormat;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The type of a signature field, shared by every adapter: its DSPy name, its JSON schema, how a value of it
 * renders in a prompt and how a model's reply converts back to a Java value.
 *
 * <p>Types come from DSPy type strings ({@code str}, {@code int}, {@code float}, {@code bool}, {@code list[T]},
 * {@code dict[K, V]}, {@code Literal['a', 'b']}, {@code Optional[T]}, DSPy's types {@code Tool},
 * {@code ToolCalls}, {@code Image} and {@code History}, your own names through {@link #parse(String, Map)}, nested) or from Java types
 * ({@code String}, {@code Integer}/{@code int}, {@code Long}/{@code long}, {@code Double}/{@code double},
 * {@code Float}, {@code Boolean}/{@code boolean}, records, enums, {@link CustomType}s, {@code List<T>},
 * {@code Map<String, V>}, {@code Optional<T>}).
 *
 * <pre>{@code
 * FieldType.parse("Optional[str]").dspyName();   // "Union[str, NoneType]"
 * FieldType.parse("list[int]").jsonSchema();      // {"type": "array", "items": {"type": "integer"}}
 * FieldType.of(Person.class).dspyName();          // "Person"
 * }</pre>
 *
 * <p><b>Java values of parsed outputs.</b> {@code str} gives a {@code String}; {@code int} an {@code Integer}
 * (a {@code Long} or {@code BigInteger} when it does not fit), or exactly the Java class the type was made from
 * ({@code Long}, {@code Short}, ...); {@code float} a {@code Double} (or {@code Float}/{@code BigDecimal});
 * {@code bool} a {@code Boolean}; lists an unmodifiable {@code List}; dicts an unmodifiable {@code Map};
 * {@code Optional[T]} the value or {@code null} (a record component declared {@code Optional<T>} gets a
 * {@code java.util.Optional}); {@code Literal} the matching literal; a record an instance built through its
 * canonical constructor from the component names; an enum its constant; a {@link CustomType} what its
 * {@code validate} method builds (see there), or the record it is built from a JSON object.
 *
 * <p><b>Enum values.</b> An enum constant's <em>value</em> — what it renders as in prompts and JSON schemas and
 * what a reply is matched against first — is what Jackson writes for it: its {@code name()}, unless the enum
 * declares a {@code @JsonValue}. A reply matches a constant by value, then by name.
 *
 * <p>Instances are immutable and compare by value.
 */
public final class FieldType {

    /** What a type is, as DSPy's adapters distinguish it. */
    public enum Kind {
        /** {@code str}. */
        STR,
        /** {@code int}. */
        INT,
        /** {@code float}. */
        FLOAT,
        /** {@code bool}. */
        BOOL,
        /** {@code Any} (also the element of a bare {@code list} or {@code dict}). */
        ANY,
        /** {@code list[T]}. */
        LIST,
        /** {@code dict[K, V]}. */
        DICT,
        /** {@code Optional[T]}. */
        OPTIONAL,
        /** {@code Literal[...]}. */
        LITERAL,
        /** A Java enum. */
        ENUM,
        /** A Java record (a pydantic model). */
        RECORD,
        /**
         * A {@link CustomType} (DSPy's {@code dspy.Type}: {@code Tool}, {@code ToolCalls}, {@code Image},
         * {@code History}, or your own): rendered by its {@code format()}, named by its simple class name.
         */
        CUSTOM
    }

    /** {@code str}. */
    public static final FieldType STR = new FieldType(TypeModel.STR);

    /** {@code Any}: values pass through unconverted. */
    public static final FieldType ANY = new FieldType(TypeModel.ANY);

    private final TypeModel model;

    private FieldType(TypeModel model) {
        this.model = model;
    }

    static FieldType wrap(TypeModel model) {
        return model == TypeModel.STR ? STR : model == TypeModel.ANY ? ANY : new FieldType(model);
    }

    /**
     * Parses a DSPy type string.
     *
     * @param type e.g. {@code "list[str]"}, {@code "dict[str, int]"}, {@code "Literal['yes', 'no']"},
     *             {@code "Optional[float]"}
     * @return the type
     * @throws SignatureException naming the problem and its column (unknown type, unbalanced brackets, ...)
     */
    public static FieldType parse(String type) {
        if (type == null) {
            throw new SignatureException("type string must not be null");
        }
        return wrap(TypeParser.parse(type, type, 0, Map.of()));
    }

    /**
     * Parses a DSPy type string that may name your own types (DSPy's {@code custom_types}): records, enums or
     * {@link CustomType}s, by the name used in the string.
     *
     * <pre>{@code
     * FieldType.parse("list[Note]", Map.of("Note", Note.class)).dspyName();   // "list[Note]"
     * }</pre>
     *
     * @param type  the type string
     * @param names your type names to Java types; they win over DSPy's built-in names
     * @return the type
     * @throws SignatureException naming the problem and its column
     * @throws IllegalArgumentException naming a name whose Java type cannot be described to a model
     */
    public static FieldType parse(String type, Map<String, ? extends Type> names) {
        if (type == null) {
            throw new SignatureException("type string must not be null");
        }
        if (names == null) {
            throw new IllegalArgumentException("names must not be null (use Map.of())");
        }
        return wrap(TypeParser.parse(type, type, 0, names));
    }

    /**
     * Describes a Java type.
     *
     * @param type a {@code Class} (String, numbers, Boolean, a record, an enum) or a parameterized type
     *             ({@code List<T>}, {@code Map<String, V>}, {@code Optional<T>})
     * @return the type
     * @throws IllegalArgumentException naming the type when it cannot be described to a model
     */
    public static FieldType of(Type type) {
        return wrap(JavaTypes.model(type));
    }

    /** @return the name DSPy prints for this type: {@code str}, {@code list[str]}, {@code Union[str, NoneType]},
     *      {@code Literal['yes', 'no']}, a record's or enum's simple class name */
    public String dspyName() {
        return model.dspyName();
    }

    /**
     * @return the type's JSON schema as pydantic 2 produces it for the equivalent Python type, rendered compactly
     *         ({@code ", "} and {@code ": "}) with {@code type} first and all other keys sorted, recursively
     */
    public String jsonSchema() {
        return model.jsonSchema();
    }

    /** @return whether this is plain {@code str} */
    public boolean isString() {
        return model.isString();
    }

    /** @return whether this is {@code Optional[T]} (a missing output of this type parses as null) */
    public boolean isOptional() {
        return model.isOptional();
    }

    /** @return what kind of type this is */
    public Kind kind() {
        return model.kind();
    }

    /**
     * The type's arguments, as Python's {@code typing.get_args} lists them: a list's item type; a dict's key and value
     * types; an {@code Optional}'s content type; empty for every other kind.
     *
     * <pre>{@code
     * FieldType.parse("dict[str, int]").args();   // [str, int]
     * }</pre>
     *
     * @return the type arguments, in order (unmodifiable)
     */
    public List<FieldType> args() {
        return switch (model.kind()) {
            case LIST, OPTIONAL -> List.of(wrap(model.first()));
            case DICT -> List.of(wrap(model.first()), wrap(model.second()));
            default -> List.of();
        };
    }

    /**
     * @return the Java class behind a record, enum or {@link CustomType} type, or behind a scalar made from a Java
     *         type ({@code Long}, {@code Float}, ...); null for every other type
     */
    public @Nullable Class<?> javaClass() {
        return model.javaClass();
    }

    /**
     * DSPy's {@code Type.description()} of a {@link CustomType}: what the adapters append to a field's description
     * as {@code Type description of NAME: ...}.
     *
     * @return the custom type's description; empty for a custom type without one and for every other kind
     */
    public String typeDescription() {
        return model.kind() == Kind.CUSTOM ? model.customDescription() : "";
    }

    /**
     * The values a {@code Literal} or enum type allows, as they appear in prompts and JSON: the literals, or each enum
     * constant's value (see the class comment); empty for every other kind.
     *
     * @return the allowed values, in declaration order (unmodifiable)
     */
    public List<Object> choices() {
        return switch (model.kind()) {
            case LITERAL -> model.literals();
            case ENUM -> List.of(PyFormat.enumValues(model.javaClass()));
            default -> List.of();
        };
    }

    /**
     * Converts a value read from a model's reply (a JSON value read leniently, or raw text) to this type's Java value,
     * with pydantic's lax coercion: {@code "4"} and {@code 4.0} to {@code 4} for {@code int}, {@code "true"} to
     * {@code true} for {@code bool}, a JSON object to a record through its canonical constructor, and so on. The
     * class comment lists the Java value of each kind.
     *
     * <pre>{@code
     * FieldType.parse("list[int]").convert(List.of("1", 2));   // [1, 2]
     * }</pre>
     *
     * @param value the value to convert (null only fits {@code Optional} and {@code Any})
     * @return the converted value
     * @throws IllegalArgumentException with a pydantic-like message naming the position that does not fit
     */
    public @Nullable Object convert(@Nullable Object value) {
        return model.convert(value);
    }

    /**
     * @return the type's JSON schema as a tree (pydantic 2's {@code model_json_schema}, records and enums under
     *         {@code $defs}); a fresh, mutable copy
     */
    public Map<String, Object> schema() {
        return model.schema();
    }

    /**
     * The type's JSON schema for use inside a larger schema (an object over several fields): records and enums are
     * referenced as {@code #/$defs/Name} and their definitions added to {@code defs}, keyed by simple class name.
     *
     * @param defs the shared {@code $defs}, added to
     * @return the inline schema (a fresh, mutable tree)
     */
    public Map<String, Object> schema(Map<String, Map<String, Object>> defs) {
        if (defs == null) {
            throw new IllegalArgumentException("defs must not be null");
        }
        return model.inlineSchema(defs);
    }

    /**
     * @return whether OpenAI-style strict structured outputs can express this type: no open-ended object
     *         ({@code dict}, {@code Any}) anywhere inside it
     */
    public boolean strictSchemaCapable() {
        return model.strictSchemaCapable();
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof FieldType f && f.model.equals(model);
    }

    @Override
    public int hashCode() {
        return model.hashCode();
    }

    /** @return the DSPy name */
    @Override
    public String toString() {
        return model.dspyName();
    }
}

package io.dspex;

import io.dspex.internal.JavaTypes;
import io.dspex.internal.TypeModel;
import java.lang.reflect.Type;

/**
 * The type of a signature field, shared by every adapter: its DSPy name, its JSON schema, how a value of it
 * renders in a prompt and how a model's reply converts back to a Java value.
 *
 * <p>Types come from DSPy type strings ({@code str}, {@code int}, {@code float}, {@code bool}, {@code list[T]},
 * {@code dict[K, V]}, {@code Literal['a', 'b']}, {@code Optional[T]}, nested) or from Java types ({@code String},
 * {@code Integer}/{@code int}, {@code Long}/{@code long}, {@code Double}/{@code double}, {@code Float},
 * {@code Boolean}/{@code boolean}, records, enums, {@code List<T>}, {@code Map<String, V>}, {@code Optional<T>}).
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
 * canonical constructor from the component names; an enum its constant.
 *
 * <p><b>Enum values.</b> An enum constant's <em>value</em> — what it renders as in prompts and JSON schemas and
 * what a reply is matched against first — is what Jackson writes for it: its {@code name()}, unless the enum
 * declares a {@code @JsonValue}. A reply matches a constant by value, then by name.
 *
 * <p>Instances are immutable and compare by value.
 */
public final class FieldType {

    static {
        TypeModel.installBridge(t -> t.model);
    }

    /** {@code str}. */
    public static final FieldType STR = new FieldType(TypeModel.STR);

    private final TypeModel model;

    private FieldType(TypeModel model) {
        this.model = model;
    }

    static FieldType wrap(TypeModel model) {
        return model == TypeModel.STR ? STR : new FieldType(model);
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
        return wrap(TypeParser.parse(type, type, 0));
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

    @Override
    public boolean equals(Object o) {
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

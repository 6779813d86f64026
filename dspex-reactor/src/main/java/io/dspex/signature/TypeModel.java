package io.dspex.signature;

import io.dspex.internal.PyFormat;
import io.dspex.signature.FieldType.Kind;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The structure behind {@link FieldType}: what kind of type it is, its DSPy name, its pydantic-2 JSON schema, and
 * how parsed values convert to Java values. {@code FieldType} is its public face.
 */
final class TypeModel {

    /** {@code str}. */
    public static final TypeModel STR = new TypeModel(Kind.STR, null, null, null, null);
    /** {@code int} from a type string (Integer, or Long/BigInteger when large). */
    public static final TypeModel INT = new TypeModel(Kind.INT, null, null, null, null);
    /** {@code float} from a type string (Double). */
    public static final TypeModel FLOAT = new TypeModel(Kind.FLOAT, null, null, null, null);
    /** {@code bool}. */
    public static final TypeModel BOOL = new TypeModel(Kind.BOOL, null, null, null, null);
    /** {@code Any}: no conversion. */
    public static final TypeModel ANY = new TypeModel(Kind.ANY, null, null, null, null);

    private final Kind kind;
    /** Target Java class for scalars when it came from a Java type (Integer, Long, Float, ...); enum/record class. */
    private final @Nullable Class<?> javaClass;
    private final @Nullable TypeModel a;
    private final @Nullable TypeModel b;
    private final @Nullable List<Object> literals;
    /** Whether a bare {@code list} or {@code dict} (no type arguments). */
    private final boolean bare;

    private volatile @Nullable List<Component> components;
    private volatile @Nullable String dspyName;
    private volatile @Nullable String schemaJson;
    private volatile @Nullable String customDescription;

    private TypeModel(Kind kind, @Nullable Class<?> javaClass, @Nullable TypeModel a, @Nullable TypeModel b,
                      @Nullable List<Object> literals) {
        this(kind, javaClass, a, b, literals, false);
    }

    private TypeModel(Kind kind, @Nullable Class<?> javaClass, @Nullable TypeModel a, @Nullable TypeModel b,
                      @Nullable List<Object> literals, boolean bare) {
        this.kind = kind;
        this.javaClass = javaClass;
        this.a = a;
        this.b = b;
        this.literals = literals;
        this.bare = bare;
    }

    /** @return a scalar model converting to a specific Java class (e.g. {@code Long}) */
    public static TypeModel scalar(Kind kind, Class<?> target) {
        return new TypeModel(kind, target, null, null, null);
    }

    /** @return {@code list[item]} */
    public static TypeModel list(TypeModel item) {
        return new TypeModel(Kind.LIST, null, item, null, null);
    }

    /** @return bare {@code list} */
    public static TypeModel bareList() {
        return new TypeModel(Kind.LIST, null, ANY, null, null, true);
    }

    /** @return {@code dict[key, value]} */
    public static TypeModel dict(TypeModel key, TypeModel value) {
        return new TypeModel(Kind.DICT, null, key, value, null);
    }

    /** @return bare {@code dict} */
    public static TypeModel bareDict() {
        return new TypeModel(Kind.DICT, null, STR, ANY, null, true);
    }

    /** @return {@code Optional[inner]} (never nested: {@code Optional[Optional[T]]} is {@code Optional[T]}) */
    public static TypeModel optional(TypeModel inner) {
        return inner.kind == Kind.OPTIONAL ? inner : new TypeModel(Kind.OPTIONAL, null, inner, null, null);
    }

    /** @return {@code Literal[values...]}; values are String, Integer/Long or Boolean */
    public static TypeModel literal(List<Object> values) {
        return new TypeModel(Kind.LITERAL, null, null, null, Collections.unmodifiableList(new ArrayList<>(values)));
    }

    /** @return the model of a Java enum */
    public static TypeModel enumType(Class<?> enumClass) {
        return new TypeModel(Kind.ENUM, enumClass, null, null, null);
    }

    /** @return the model of a Java record; its components are resolved lazily (records may refer to themselves) */
    public static TypeModel record(Class<?> recordClass) {
        return new TypeModel(Kind.RECORD, recordClass, null, null, null);
    }

    /** @return the model of a {@link CustomType} class */
    public static TypeModel custom(Class<?> customClass) {
        return new TypeModel(Kind.CUSTOM, customClass, null, null, null);
    }

    /** The optional static methods of a {@link CustomType} class (DSPy's classmethods), found once per class. */
    private record Statics(@Nullable Method description, @Nullable Method jsonSchema, @Nullable Method validate) {
    }

    private static final ClassValue<Statics> STATICS = new ClassValue<>() {
        @Override
        protected Statics computeValue(Class<?> type) {
            return new Statics(staticMethod(type, "description", String.class),
                    staticMethod(type, "jsonSchema", Map.class), staticMethod(type, "validate", null, Object.class));
        }
    };

    private static @Nullable Method staticMethod(Class<?> type, String name, @Nullable Class<?> returns,
                                                 Class<?>... params) {
        Method m;
        try {
            m = type.getMethod(name, params);
        } catch (NoSuchMethodException e) {
            return null;
        }
        if (!Modifier.isStatic(m.getModifiers()) || (returns != null && !returns.isAssignableFrom(m.getReturnType()))
                || (returns == null && !type.isAssignableFrom(m.getReturnType()))) {
            return null;
        }
        m.setAccessible(true);
        return m;
    }

    private @Nullable Object invokeStatic(Method m, Object... args) {
        try {
            return m.invoke(null, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException(javaClass.getSimpleName() + "." + m.getName() + " failed: " + cause,
                    cause);
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException("cannot call " + javaClass.getName() + "." + m.getName()
                    + ": make it public and its package exported or opened to io.dspex.reactor", e);
        }
    }

    /** @return whether a custom type's schema comes from its record components (it declares no jsonSchema()) */
    private boolean customRecord() {
        return kind == Kind.CUSTOM && javaClass.isRecord() && STATICS.get(javaClass).jsonSchema() == null;
    }

    /** @return DSPy's {@code Type.description()} of a custom type; "" when it declares none */
    public String customDescription() {
        String d = customDescription;
        if (d == null) {
            Method m = kind == Kind.CUSTOM ? STATICS.get(javaClass).description() : null;
            Object v = m == null ? "" : invokeStatic(m);
            d = v == null ? "" : v.toString();
            customDescription = d;
        }
        return d;
    }

    /** A custom type's declared schema, or {@code {"type": "object", "title": NAME}}: a fresh, mutable copy. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> declaredSchema() {
        Method m = STATICS.get(javaClass).jsonSchema();
        if (m == null) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("type", "object");
            s.put("title", javaClass.getSimpleName());
            return s;
        }
        Object v = invokeStatic(m);
        if (!(v instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(javaClass.getSimpleName() + ".jsonSchema() returned " + v
                    + " instead of a map");
        }
        return (Map<String, Object>) mutableCopy(v);
    }

    private static @Nullable Object mutableCopy(@Nullable Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), mutableCopy(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(mutableCopy(x)));
            return out;
        }
        return v;
    }

    /**
     * One component of a record.
     *
     * @param name    the component name (the JSON property name)
     * @param type    its model
     * @param rawType its erased Java type (for the canonical constructor)
     */
    public record Component(String name, TypeModel type, Class<?> rawType) {
    }

    /** @return the record's components, in declaration order */
    public List<Component> components() {
        List<Component> c = components;
        if (c == null) {
            RecordComponent[] rcs = javaClass.getRecordComponents();
            List<Component> list = new ArrayList<>(rcs.length);
            for (RecordComponent rc : rcs) {
                list.add(new Component(rc.getName(), JavaTypes.model(rc.getGenericType()), rc.getType()));
            }
            c = Collections.unmodifiableList(list);
            components = c;
        }
        return c;
    }

    /** @return what kind of type this is */
    public Kind kind() {
        return kind;
    }

    /** @return the enum or record class, the Java target of a scalar made from a Java type, or null */
    public @Nullable Class<?> javaClass() {
        return javaClass;
    }

    /** @return list item, dict key, or optional content */
    public @Nullable TypeModel first() {
        return a;
    }

    /** @return dict value type */
    public @Nullable TypeModel second() {
        return b;
    }

    /** @return the values of a {@code Literal}, else null */
    public @Nullable List<Object> literals() {
        return literals;
    }

    /** @return whether this is plain {@code str} */
    public boolean isString() {
        return kind == Kind.STR;
    }

    /** @return whether this is {@code Optional[T]} */
    public boolean isOptional() {
        return kind == Kind.OPTIONAL;
    }

    // ---------------------------------------------------------------- names

    /** @return the name DSPy prints for this type, e.g. {@code list[str]}, {@code Union[str, NoneType]} */
    public String dspyName() {
        String n = dspyName;
        if (n == null) {
            n = computeName();
            dspyName = n;
        }
        return n;
    }

    private String computeName() {
        switch (kind) {
            case STR: return "str";
            case INT: return "int";
            case FLOAT: return "float";
            case BOOL: return "bool";
            case ANY: return "Any";
            case LIST: return bare ? "list" : "list[" + a.dspyName() + "]";
            case DICT: return bare ? "dict" : "dict[" + a.dspyName() + ", " + b.dspyName() + "]";
            case OPTIONAL: return "Union[" + a.dspyName() + ", NoneType]";
            case LITERAL: {
                StringBuilder sb = new StringBuilder("Literal[");
                for (int i = 0; i < literals.size(); i++) {
                    if (i > 0) {
                        sb.append(", ");
                    }
                    Object v = literals.get(i);
                    sb.append(v instanceof String s ? quoteLiteral(s) : PyFormat.str(v));
                }
                return sb.append(']').toString();
            }
            default: return javaClass.getSimpleName();
        }
    }

    private static String quoteLiteral(String s) {
        boolean single = s.indexOf('\'') >= 0;
        boolean dbl = s.indexOf('"') >= 0;
        if (single && !dbl) {
            return "\"" + s + "\"";
        }
        if (single) {
            return "'" + s.replace("'", "\\'") + "'";
        }
        return "'" + s + "'";
    }

    // ---------------------------------------------------------------- JSON schema

    /** @return the pydantic-2 JSON schema of this type as a tree (insertion order; see {@link #sortKeys}) */
    public Map<String, Object> schema() {
        Map<String, Map<String, Object>> defs = new TreeMap<>();
        Set<Class<?>> building = new LinkedHashSet<>();
        Map<String, Object> s;
        if (kind == Kind.CUSTOM && !customRecord()) {
            return declaredSchema();
        }
        if (kind == Kind.RECORD || kind == Kind.ENUM || kind == Kind.CUSTOM) {
            building.add(javaClass);
            s = definition(defs, building);
            building.remove(javaClass);
            if (defs.containsKey(javaClass.getSimpleName())) {
                // recursive: pydantic puts the model itself under $defs and references it
                defs.put(javaClass.getSimpleName(), s);
                s = new LinkedHashMap<>();
                s.put("$ref", "#/$defs/" + javaClass.getSimpleName());
            }
        } else {
            s = inline(defs, building);
        }
        if (!defs.isEmpty()) {
            Map<String, Object> withDefs = new LinkedHashMap<>();
            withDefs.put("$defs", new LinkedHashMap<String, Object>(defs));
            withDefs.putAll(s);
            s = withDefs;
        }
        return s;
    }

    /**
     * The schema of this type for use inside a larger schema: records and enums are referenced and their
     * definitions added to {@code defs} (keyed by simple name).
     *
     * @param defs the shared {@code $defs}
     * @return the inline schema
     */
    public Map<String, Object> inlineSchema(Map<String, Map<String, Object>> defs) {
        return inline(defs, new LinkedHashSet<>());
    }

    /** @return the schema as compact JSON ({@code ", "}, {@code ": "}), {@code type} first, other keys sorted */
    public String jsonSchema() {
        String j = schemaJson;
        if (j == null) {
            j = PyFormat.dumps(sortKeys(schema()), false);
            schemaJson = j;
        }
        return j;
    }

    /** Reorders every object's keys: {@code type} first, then code-point order (DSPy's move_type_to_front). */
    @SuppressWarnings("unchecked")
    public static @Nullable Object sortKeys(@Nullable Object node) {
        if (node instanceof Map<?, ?> m) {
            List<String> keys = new ArrayList<>((Set<String>) m.keySet());
            keys.sort((x, y) -> {
                boolean tx = x.equals("type");
                boolean ty = y.equals("type");
                if (tx != ty) {
                    return tx ? -1 : 1;
                }
                return x.compareTo(y);
            });
            Map<String, Object> out = new LinkedHashMap<>();
            for (String k : keys) {
                out.put(k, sortKeys(m.get(k)));
            }
            return out;
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(sortKeys(o));
            }
            return out;
        }
        return node;
    }

    private Map<String, Object> inline(Map<String, Map<String, Object>> defs, Set<Class<?>> building) {
        Map<String, Object> s = new LinkedHashMap<>();
        switch (kind) {
            case STR -> s.put("type", "string");
            case INT -> s.put("type", "integer");
            case FLOAT -> s.put("type", "number");
            case BOOL -> s.put("type", "boolean");
            case ANY -> { }
            case LIST -> {
                s.put("type", "array");
                s.put("items", a.inline(defs, building));
            }
            case DICT -> {
                s.put("type", "object");
                s.put("additionalProperties", b.kind == Kind.ANY ? Boolean.TRUE : b.inline(defs, building));
            }
            case OPTIONAL -> {
                Map<String, Object> none = new LinkedHashMap<>();
                none.put("type", "null");
                s.put("anyOf", List.of(a.inline(defs, building), none));
            }
            case LITERAL -> {
                String t = literalJsonType();
                if (t != null) {
                    s.put("type", t);
                }
                if (literals.size() == 1) {
                    s.put("const", literals.get(0));
                } else {
                    s.put("enum", new ArrayList<>(literals));
                }
            }
            case CUSTOM -> {
                if (customRecord()) {
                    s.put("$ref", reference(defs, building));
                } else {
                    Map<String, Object> declared = declaredSchema();
                    Object own = declared.remove("$defs");
                    if (own instanceof Map<?, ?> od) {
                        od.forEach((k, v) -> defs.putIfAbsent(String.valueOf(k), castMap(v)));
                    }
                    s.putAll(declared);
                }
            }
            case ENUM, RECORD -> s.put("$ref", reference(defs, building));
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object v) {
        return v instanceof Map<?, ?> ? (Map<String, Object>) v : new LinkedHashMap<>();
    }

    /** Adds this record's or enum's definition to {@code defs} (once) and returns its {@code $ref}. */
    private String reference(Map<String, Map<String, Object>> defs, Set<Class<?>> building) {
        String name = javaClass.getSimpleName();
        if (!defs.containsKey(name) && !building.contains(javaClass)) {
            building.add(javaClass);
            defs.put(name, new LinkedHashMap<>()); // reserve (recursion)
            defs.put(name, definition(defs, building));
            building.remove(javaClass);
        } else if (building.contains(javaClass) && !defs.containsKey(name)) {
            defs.put(name, new LinkedHashMap<>()); // marks recursion on the top-level type
        }
        return "#/$defs/" + name;
    }

    private @Nullable String literalJsonType() {
        boolean allStr = true;
        boolean allInt = true;
        boolean allBool = true;
        for (Object v : literals) {
            allStr &= v instanceof String;
            allInt &= v instanceof Integer || v instanceof Long;
            allBool &= v instanceof Boolean;
        }
        return allStr ? "string" : allInt ? "integer" : allBool ? "boolean" : null;
    }

    private Map<String, Object> definition(Map<String, Map<String, Object>> defs, Set<Class<?>> building) {
        Map<String, Object> s = new LinkedHashMap<>();
        String name = javaClass.getSimpleName();
        if (kind == Kind.ENUM) {
            Object[] values = PyFormat.enumValues(javaClass);
            boolean allStr = true;
            boolean allInt = true;
            for (Object v : values) {
                allStr &= v instanceof String;
                allInt &= v instanceof Integer || v instanceof Long;
            }
            if (allStr) {
                s.put("type", "string");
            } else if (allInt) {
                s.put("type", "integer");
            }
            s.put("enum", List.of(values));
            s.put("title", name);
            return s;
        }
        s.put("type", "object");
        Map<String, Object> props = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        for (Component c : components()) {
            Map<String, Object> p = c.type.inline(defs, building);
            if (!p.containsKey("$ref")) {
                p.put("title", PyFormat.title(c.name).replace('_', ' '));
            }
            if (c.type.kind == Kind.OPTIONAL) {
                p.put("default", null);
            } else {
                required.add(c.name);
            }
            props.put(c.name, p);
        }
        s.put("properties", props);
        if (!required.isEmpty()) {
            s.put("required", required);
        }
        s.put("title", name);
        return s;
    }

    /**
     * Whether OpenAI-style strict structured outputs can express this type: no open-ended objects ({@code dict},
     * {@code Any}).
     */
    public boolean strictSchemaCapable() {
        return strictCapable(new LinkedHashSet<>());
    }

    private boolean strictCapable(Set<Class<?>> seen) {
        switch (kind) {
            case ANY:
            case DICT:
                return false;
            case LIST:
            case OPTIONAL:
                return a.strictCapable(seen);
            case CUSTOM:
                if (!customRecord()) {
                    return false;
                }
                // a custom record: like any record
            case RECORD:
                if (!seen.add(javaClass)) {
                    return true;
                }
                for (Component c : components()) {
                    if (!c.type.strictCapable(seen)) {
                        return false;
                    }
                }
                return true;
            default:
                return true;
        }
    }

    // ---------------------------------------------------------------- conversion

    /**
     * Converts a candidate (a JSON-able value read leniently, or a raw string) to this type's Java value, with
     * pydantic-like lax coercion ({@code "4"} to 4, 4.0 to 4, {@code "true"} to true).
     *
     * @throws IllegalArgumentException with a pydantic-like message when it does not fit
     */
    public @Nullable Object convert(@Nullable Object v) {
        switch (kind) {
            case STR:
                if (v instanceof String) {
                    return v;
                }
                if (v instanceof Number || v instanceof Boolean) {
                    return PyFormat.str(v);
                }
                throw mismatch("a valid string", v);
            case INT:
                return toInt(v);
            case FLOAT:
                return toFloat(v);
            case BOOL:
                return toBool(v);
            case ANY:
                return v;
            case LIST: {
                if (!(v instanceof List<?> l)) {
                    throw mismatch("a valid list", v);
                }
                List<Object> out = new ArrayList<>(l.size());
                for (int i = 0; i < l.size(); i++) {
                    try {
                        out.add(a.convert(l.get(i)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("item " + i + ": " + e.getMessage(), e);
                    }
                }
                return Collections.unmodifiableList(out);
            }
            case DICT: {
                if (!(v instanceof Map<?, ?> m)) {
                    throw mismatch("a valid dictionary", v);
                }
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    Object key = e.getKey();
                    if (a.kind != Kind.STR && key instanceof String ks) {
                        key = a.convert(ks);
                    } else {
                        key = a.convert(key);
                    }
                    try {
                        out.put(key, b.convert(e.getValue()));
                    } catch (IllegalArgumentException ex) {
                        throw new IllegalArgumentException("key '" + key + "': " + ex.getMessage(), ex);
                    }
                }
                return Collections.unmodifiableMap(out);
            }
            case OPTIONAL:
                return v == null ? null : a.convert(v);
            case LITERAL:
                return toLiteral(v);
            case ENUM:
                return toEnum(v);
            case RECORD:
                return toRecord(v);
            case CUSTOM:
                return toCustom(v);
            default:
                throw new IllegalStateException("unknown kind " + kind);
        }
    }

    private IllegalArgumentException mismatch(String expected, @Nullable Object v) {
        return new IllegalArgumentException("Input should be " + expected + ", got " + describe(v));
    }

    private static String describe(@Nullable Object v) {
        if (v == null) {
            return "None";
        }
        StringBuilder sb = new StringBuilder();
        Object j = v;
        if (j instanceof String s) {
            PyFormat.appendStringRepr(s.length() > 80 ? s.substring(0, 80) + "..." : s, sb);
        } else {
            String s = PyFormat.str(j);
            sb.append(s.length() > 80 ? s.substring(0, 80) + "..." : s);
        }
        return sb.toString();
    }

    private Object toInt(Object v) {
        BigInteger big = null;
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            big = BigInteger.valueOf(((Number) v).longValue());
        } else if (v instanceof BigInteger bi) {
            big = bi;
        } else if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
            BigDecimal bd = v instanceof BigDecimal d ? d : BigDecimal.valueOf(((Number) v).doubleValue());
            try {
                big = bd.toBigIntegerExact();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("Input should be a valid integer, got a number with a "
                        + "fractional part: " + describe(v));
            }
        } else if (v instanceof String s) {
            String t = PyFormat.strip(s).replace("_", "");
            try {
                big = new BigInteger(t);
            } catch (NumberFormatException e) {
                try {
                    big = new BigDecimal(t).toBigIntegerExact();
                } catch (NumberFormatException | ArithmeticException e2) {
                    throw new IllegalArgumentException("Input should be a valid integer, unable to parse string "
                            + "as an integer: " + describe(v));
                }
            }
        }
        if (big == null) {
            throw mismatch("a valid integer", v);
        }
        Class<?> t = javaClass;
        if (t == null) {
            return big.bitLength() < 32 ? (Object) big.intValue()
                    : big.bitLength() < 64 ? (Object) big.longValue() : big;
        }
        try {
            if (t == Integer.class) {
                return big.intValueExact();
            }
            if (t == Long.class) {
                return big.longValueExact();
            }
            if (t == Short.class) {
                return big.shortValueExact();
            }
            if (t == Byte.class) {
                return big.byteValueExact();
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("Input " + big + " is out of range for " + t.getSimpleName());
        }
        return big;
    }

    private Object toFloat(Object v) {
        double d;
        if (v instanceof Number n) {
            if (javaClass == BigDecimal.class) {
                return v instanceof BigDecimal ? v : new BigDecimal(n.toString());
            }
            d = n.doubleValue();
        } else if (v instanceof String s) {
            String t = PyFormat.strip(s).toLowerCase(Locale.ROOT);
            try {
                if (javaClass == BigDecimal.class) {
                    return new BigDecimal(t);
                }
                d = switch (t) {
                    case "inf", "+inf", "infinity" -> Double.POSITIVE_INFINITY;
                    case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
                    case "nan" -> Double.NaN;
                    default -> Double.parseDouble(t.replace("_", ""));
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Input should be a valid number, unable to parse string as a "
                        + "number: " + describe(v));
            }
        } else {
            throw mismatch("a valid number", v);
        }
        return javaClass == Float.class ? (Object) (float) d : (Object) d;
    }

    private Object toBool(Object v) {
        if (v instanceof Boolean) {
            return v;
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            long l = n.longValue();
            if (l == 0 || l == 1) {
                return l == 1;
            }
        }
        if (v instanceof String s) {
            switch (PyFormat.strip(s).toLowerCase(Locale.ROOT)) {
                case "true", "t", "yes", "y", "on", "1":
                    return Boolean.TRUE;
                case "false", "f", "no", "n", "off", "0":
                    return Boolean.FALSE;
                default:
                    break;
            }
        }
        throw mismatch("a valid boolean", v);
    }

    private Object toLiteral(Object v) {
        for (Object lit : literals) {
            if (literalEquals(lit, v)) {
                return lit;
            }
        }
        if (v instanceof String s) {
            String t = PyFormat.strip(s);
            if ((t.startsWith("Literal[") || t.startsWith("str[")) && t.endsWith("]")) {
                t = t.substring(t.indexOf('[') + 1, t.length() - 1);
            }
            if (t.length() > 1 && t.charAt(0) == t.charAt(t.length() - 1)
                    && (t.charAt(0) == '"' || t.charAt(0) == '\'')) {
                t = t.substring(1, t.length() - 1);
            }
            for (Object lit : literals) {
                if (literalEquals(lit, t) || (!(lit instanceof String) && PyFormat.str(lit).equals(t))) {
                    return lit;
                }
            }
        }
        StringBuilder allowed = new StringBuilder("(");
        for (int i = 0; i < literals.size(); i++) {
            if (i > 0) {
                allowed.append(", ");
            }
            Object lit = literals.get(i);
            if (lit instanceof String s) {
                PyFormat.appendStringRepr(s, allowed);
            } else {
                allowed.append(PyFormat.str(lit));
            }
        }
        allowed.append(literals.size() == 1 ? ",)" : ")");
        throw new IllegalArgumentException(describe(v) + " is not one of " + allowed);
    }

    private static boolean literalEquals(@Nullable Object lit, @Nullable Object v) {
        if (lit instanceof Number ln && v instanceof Number vn && !(v instanceof Double) && !(v instanceof Float)) {
            return ln.longValue() == vn.longValue();
        }
        return lit.equals(v);
    }

    private Object toEnum(Object v) {
        if (javaClass.isInstance(v)) {
            return v;
        }
        Object[] constants = javaClass.getEnumConstants();
        Object[] values = PyFormat.enumValues(javaClass);
        for (int i = 0; i < values.length; i++) {
            if (Objects.equals(values[i], v) || (values[i] instanceof Number vn && v instanceof Number n
                    && vn.longValue() == n.longValue())) {
                return constants[i];
            }
        }
        if (v instanceof String s) {
            for (Object c : constants) {
                if (((Enum<?>) c).name().equals(s)) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException(PyFormat.str(v) + " is not a valid name or value for the enum "
                + javaClass.getSimpleName());
    }

    private @Nullable Object toCustom(@Nullable Object v) {
        if (javaClass.isInstance(v)) {
            return v;
        }
        Method validate = STATICS.get(javaClass).validate();
        if (validate != null) {
            Object built = invokeStatic(validate, v);
            if (built == null) {
                throw new IllegalArgumentException(javaClass.getSimpleName() + ".validate returned null for "
                        + describe(v));
            }
            return built;
        }
        if (javaClass.isRecord()) {
            return toRecord(v);
        }
        throw mismatch("an instance of " + javaClass.getSimpleName(), v);
    }

    private Object toRecord(Object v) {
        if (javaClass.isInstance(v)) {
            return v;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw mismatch("a valid dictionary or instance of " + javaClass.getSimpleName(), v);
        }
        List<Component> comps = components();
        Object[] args = new Object[comps.size()];
        Class<?>[] types = new Class<?>[comps.size()];
        for (int i = 0; i < comps.size(); i++) {
            Component c = comps.get(i);
            types[i] = c.rawType;
            boolean present = m.containsKey(c.name);
            Object raw = m.get(c.name);
            Object val;
            if (c.type.kind == Kind.OPTIONAL) {
                Object inner;
                try {
                    inner = raw == null ? null : c.type.a.convert(raw);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(javaClass.getSimpleName() + "." + c.name + ": "
                            + e.getMessage(), e);
                }
                val = c.rawType == Optional.class ? Optional.ofNullable(inner) : inner;
            } else {
                if (!present) {
                    throw new IllegalArgumentException(javaClass.getSimpleName() + "." + c.name
                            + ": Field required");
                }
                try {
                    val = c.type.convert(raw);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(javaClass.getSimpleName() + "." + c.name + ": "
                            + e.getMessage(), e);
                }
                if (val == null && c.rawType.isPrimitive()) {
                    throw new IllegalArgumentException(javaClass.getSimpleName() + "." + c.name
                            + ": Input should not be None");
                }
            }
            args[i] = val;
        }
        try {
            Constructor<?> ctor = javaClass.getDeclaredConstructor(types);
            ctor.setAccessible(true);
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalArgumentException(javaClass.getSimpleName() + " rejected the values: "
                    + cause.getMessage(), cause);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot construct " + javaClass.getSimpleName() + ": "
                    + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- equality

    @Override
    public boolean equals(@Nullable Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TypeModel t) || t.kind != kind || t.bare != bare) {
            return false;
        }
        return Objects.equals(javaClass, t.javaClass) && Objects.equals(a, t.a) && Objects.equals(b, t.b)
                && Objects.equals(literals, t.literals);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, javaClass, a, b, literals, bare);
    }

    @Override
    public String toString() {
        return dspyName();
    }
}

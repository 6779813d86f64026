package io.dspex.signature;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Maps Java reflection types to {@link TypeModel}s. Not for users. */
final class JavaTypes {

    private JavaTypes() {
    }

    /**
     * @param type a Java type: String, boxed or primitive numbers and booleans, records, enums, {@code List<T>},
     *             {@code Map<K, V>}, {@code Optional<T>}, {@code Object} (Any)
     * @return its model
     * @throws IllegalArgumentException naming the type when DSPEx cannot describe it to a model
     */
    public static TypeModel model(Type type) {
        if (type == null) {
            throw new IllegalArgumentException("field type must not be null");
        }
        if (type instanceof Class<?> c) {
            return ofClass(c);
        }
        if (type instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type[] args = p.getActualTypeArguments();
            if (raw == Optional.class) {
                return TypeModel.optional(model(args[0]));
            }
            if (List.class.isAssignableFrom(raw) || raw == Collection.class || raw == Iterable.class) {
                return TypeModel.list(model(args[0]));
            }
            if (Map.class.isAssignableFrom(raw)) {
                return TypeModel.dict(model(args[0]), model(args[1]));
            }
            throw unsupported(type);
        }
        if (type instanceof WildcardType w) {
            Type[] upper = w.getUpperBounds();
            return upper.length == 0 ? TypeModel.ANY : model(upper[0]);
        }
        if (type instanceof TypeVariable<?>) {
            return TypeModel.ANY;
        }
        if (type instanceof GenericArrayType) {
            throw unsupported(type);
        }
        throw unsupported(type);
    }

    private static TypeModel ofClass(Class<?> c) {
        if (c == String.class || c == CharSequence.class || c == Character.class || c == char.class) {
            return TypeModel.STR;
        }
        if (c == Integer.class || c == int.class) {
            return TypeModel.scalar(FieldType.Kind.INT, Integer.class);
        }
        if (c == Long.class || c == long.class) {
            return TypeModel.scalar(FieldType.Kind.INT, Long.class);
        }
        if (c == Short.class || c == short.class) {
            return TypeModel.scalar(FieldType.Kind.INT, Short.class);
        }
        if (c == Byte.class || c == byte.class) {
            return TypeModel.scalar(FieldType.Kind.INT, Byte.class);
        }
        if (c == BigInteger.class) {
            return TypeModel.scalar(FieldType.Kind.INT, BigInteger.class);
        }
        if (c == Double.class || c == double.class) {
            return TypeModel.scalar(FieldType.Kind.FLOAT, Double.class);
        }
        if (c == Float.class || c == float.class) {
            return TypeModel.scalar(FieldType.Kind.FLOAT, Float.class);
        }
        if (c == BigDecimal.class) {
            return TypeModel.scalar(FieldType.Kind.FLOAT, BigDecimal.class);
        }
        if (c == Boolean.class || c == boolean.class) {
            return TypeModel.BOOL;
        }
        if (c == Object.class) {
            return TypeModel.ANY;
        }
        if (CustomType.class.isAssignableFrom(c) && c != CustomType.class) {
            return TypeModel.custom(c);
        }
        if (c.isEnum()) {
            return TypeModel.enumType(c);
        }
        if (c.isRecord()) {
            return TypeModel.record(c);
        }
        if (c == List.class || c == Collection.class) {
            return TypeModel.bareList();
        }
        if (c == Map.class) {
            return TypeModel.bareDict();
        }
        throw unsupported(c);
    }

    private static IllegalArgumentException unsupported(Type t) {
        return new IllegalArgumentException("unsupported field type " + t.getTypeName()
                + ": use String, Integer/int, Long/long, Double/double, Float, Boolean/boolean, a record, an enum,"
                + " a CustomType, List<T>, Map<String, V> or Optional<T>");
    }
}

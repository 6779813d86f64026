package io.dspex.flink.internal;

import io.dspex.flink.ProgramInput;
import io.dspex.flink.ProgramResult;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.jspecify.annotations.Nullable;

/**
 * Flink's type information of a record serialized as JSON by a {@link JsonSerializer}: an atomic type (not a key,
 * no fields Flink addresses), so Flink neither analyses it as a POJO nor falls back to Kryo.
 *
 * @param <T> the record type
 */
public final class JsonTypeInfo<T> extends TypeInformation<T> {

    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final JsonSerializer<T> serializer;

    private JsonTypeInfo(Class<T> type, JsonSerializer<T> serializer) {
        this.type = type;
        this.serializer = serializer;
    }

    /** @return the type information of {@link ProgramInput} */
    public static JsonTypeInfo<ProgramInput> programInput() {
        return new JsonTypeInfo<>(ProgramInput.class, new ProgramInputSerializer());
    }

    /** @return the type information of {@link ProgramResult} */
    public static JsonTypeInfo<ProgramResult> programResult() {
        return new JsonTypeInfo<>(ProgramResult.class, new ProgramResultSerializer());
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return type;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return serializer;
    }

    @Override
    public String toString() {
        return "JsonTypeInfo<" + type.getSimpleName() + ">";
    }

    @Override
    public boolean equals(@Nullable Object obj) {
        return obj instanceof JsonTypeInfo<?> other && other.type == type;
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public boolean canEqual(@Nullable Object obj) {
        return obj instanceof JsonTypeInfo<?>;
    }

    /** Named by {@code @TypeInfo} on {@link ProgramInput}; Flink instantiates it by reflection. */
    public static final class InputFactory extends TypeInfoFactory<ProgramInput> {
        /** For Flink. */
        public InputFactory() {
        }

        @Override
        public TypeInformation<ProgramInput> createTypeInfo(Type t, Map<String, TypeInformation<?>> generics) {
            return programInput();
        }
    }

    /** Named by {@code @TypeInfo} on {@link ProgramResult}; Flink instantiates it by reflection. */
    public static final class ResultFactory extends TypeInfoFactory<ProgramResult> {
        /** For Flink. */
        public ResultFactory() {
        }

        @Override
        public TypeInformation<ProgramResult> createTypeInfo(Type t, Map<String, TypeInformation<?>> generics) {
            return programResult();
        }
    }
}

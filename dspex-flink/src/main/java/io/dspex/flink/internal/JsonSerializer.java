package io.dspex.flink.internal;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.jspecify.annotations.Nullable;

/**
 * A Flink serializer of an immutable record as length-prefixed UTF-8 JSON. Stateless, so one instance may serve
 * every thread ({@link #duplicate()} returns it).
 *
 * @param <T> the record type
 */
public abstract class JsonSerializer<T> extends TypeSerializer<T> {

    private static final long serialVersionUID = 1L;

    /** For subclasses. */
    protected JsonSerializer() {
    }

    /**
     * @param value a record
     * @return its JSON
     */
    protected abstract byte[] toBytes(T value);

    /**
     * @param bytes JSON written by {@link #toBytes}
     * @return the record
     */
    protected abstract T fromBytes(byte[] bytes);

    @Override
    public boolean isImmutableType() {
        return true;
    }

    @Override
    public TypeSerializer<T> duplicate() {
        return this;
    }

    @Override
    public T copy(T from) {
        return from;
    }

    @Override
    public T copy(T from, T reuse) {
        return from;
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(T record, DataOutputView target) throws IOException {
        byte[] bytes = toBytes(record);
        target.writeInt(bytes.length);
        target.write(bytes);
    }

    @Override
    public T deserialize(DataInputView source) throws IOException {
        byte[] bytes = new byte[source.readInt()];
        source.readFully(bytes);
        return fromBytes(bytes);
    }

    @Override
    public T deserialize(T reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        byte[] bytes = new byte[source.readInt()];
        source.readFully(bytes);
        target.writeInt(bytes.length);
        target.write(bytes);
    }

    @Override
    public boolean equals(@Nullable Object obj) {
        return obj != null && obj.getClass() == getClass();
    }

    @Override
    public int hashCode() {
        return getClass().hashCode();
    }
}

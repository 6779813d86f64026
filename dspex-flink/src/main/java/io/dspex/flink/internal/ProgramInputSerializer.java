package io.dspex.flink.internal;

import io.dspex.Example;
import io.dspex.flink.ProgramInput;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;

/** Flink's serializer of {@link ProgramInput}: {@code {"id": .., "example": {"data": .., "input_keys": ..}}}. */
public final class ProgramInputSerializer extends JsonSerializer<ProgramInput> {

    private static final long serialVersionUID = 1L;

    /** Creates the serializer (stateless). */
    public ProgramInputSerializer() {
    }

    @Override
    protected byte[] toBytes(ProgramInput value) {
        return Rows.write(value);
    }

    @Override
    protected ProgramInput fromBytes(byte[] bytes) {
        return Rows.readInput(bytes);
    }

    @Override
    public ProgramInput createInstance() {
        return new ProgramInput("", Example.of(Map.of()));
    }

    @Override
    public TypeSerializerSnapshot<ProgramInput> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer's snapshot in checkpoints and savepoints; Flink restores it by reflection. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<ProgramInput> {
        /** For Flink's restore. */
        public Snapshot() {
            super(ProgramInputSerializer::new);
        }
    }
}

package io.dspex.flink.internal;

import io.dspex.flink.ProgramResult;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;

/** Flink's serializer of {@link ProgramResult}: {@code {"id": .., "outputs": {..}, "error": .., "score": ..}}. */
public final class ProgramResultSerializer extends JsonSerializer<ProgramResult> {

    private static final long serialVersionUID = 1L;

    /** Creates the serializer (stateless). */
    public ProgramResultSerializer() {
    }

    @Override
    protected byte[] toBytes(ProgramResult value) {
        return Rows.write(value);
    }

    @Override
    protected ProgramResult fromBytes(byte[] bytes) {
        return Rows.readResult(bytes);
    }

    @Override
    public ProgramResult createInstance() {
        return new ProgramResult("", Map.of(), null, null);
    }

    @Override
    public TypeSerializerSnapshot<ProgramResult> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer's snapshot in checkpoints and savepoints; Flink restores it by reflection. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<ProgramResult> {
        /** For Flink's restore. */
        public Snapshot() {
            super(ProgramResultSerializer::new);
        }
    }
}

package io.dspex.flink.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.flink.ProgramInput;
import io.dspex.flink.ProgramResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The records Flink moves between operators: their own serializers (not Kryo), exact round trips, output rows. */
class RecordsTest {

    static <T> T roundTrip(TypeInformation<T> info, T value) throws Exception {
        TypeSerializer<T> s = info.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(64);
        s.serialize(value, out);
        T back = s.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        DataOutputSerializer copied = new DataOutputSerializer(64);
        s.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertThat(copied.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
        return back;
    }

    @Test
    void flinkUsesTheirOwnSerializersNotKryo() {
        assertThat(TypeInformation.of(ProgramInput.class)).isNotInstanceOf(GenericTypeInfo.class)
                .hasToString("JsonTypeInfo<ProgramInput>");
        assertThat(TypeInformation.of(ProgramResult.class)).isNotInstanceOf(GenericTypeInfo.class)
                .hasToString("JsonTypeInfo<ProgramResult>");
    }

    @Test
    void anInputRoundTripsWithItsMarkedInputsAndNestedValues() throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("question", "Why? \u00e9\u4e2d\ud83d\ude00");
        values.put("context", List.of("a", "b"));
        values.put("meta", Map.of("n", 3));
        values.put("answer", "because");
        ProgramInput in = new ProgramInput("x-1", Example.of(values).withInputs("question", "context", "meta"));

        ProgramInput back = roundTrip(TypeInformation.of(ProgramInput.class), in);

        assertThat(back).isEqualTo(in);
        assertThat(back.programInputs().keys()).containsExactly("question", "context", "meta");
        assertThat(back.example().labels().toMap()).containsEntry("answer", "because");
    }

    @Test
    void resultsRoundTripAndWriteOneJsonLine() throws Exception {
        Map<String, Object> outputs = new LinkedHashMap<>();
        outputs.put("answer", "4");
        outputs.put("id", "an output named id");
        outputs.put("items", List.of(1, 2));
        ProgramResult ok = new ProgramResult("q-1", outputs, null, 1.0);
        ProgramResult failed = new ProgramResult(null, Map.of(), "InvalidInput: no id", null);

        assertThat(roundTrip(TypeInformation.of(ProgramResult.class), ok)).isEqualTo(ok);
        assertThat(roundTrip(TypeInformation.of(ProgramResult.class), failed)).isEqualTo(failed);
        assertThat(ok.toJsonLine()).isEqualTo(
                "{\"id\":\"q-1\",\"answer\":\"4\",\"output_id\":\"an output named id\",\"items\":[1,2],\"score\":1.0}");
        assertThat(failed.toJsonLine()).isEqualTo("{\"id\":null,\"error\":\"InvalidInput: no id\"}");
        assertThat(ok.isSuccess()).isTrue();
        assertThat(failed.isSuccess()).isFalse();
    }
}

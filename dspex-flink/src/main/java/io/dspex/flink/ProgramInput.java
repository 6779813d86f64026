package io.dspex.flink;

import io.dspex.Example;
import io.dspex.flink.internal.JsonTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One input of a program on Flink: an id that names it in the output, and the example. When the example marks
 * input keys ({@link Example#withInputs}), the program receives {@link Example#inputs()} and the other keys (labels)
 * stay for the metric, as in {@link io.dspex.evaluate.Evaluate}; otherwise it receives every key.
 *
 * <p>Flink serializes it as JSON (its own serializer, not Kryo): the example's values travel as JSON values
 * (records and enums become maps and strings).
 *
 * <pre>{@code
 * new ProgramInput("q-1", Example.of(Map.of("question", "What is 2+2?", "answer", "4")).withInputs("question"))
 * }</pre>
 *
 * @param id      the input's id, written with its result (unique ids make the output checkable)
 * @param example the inputs, and labels when the input keys are marked
 */
@TypeInfo(JsonTypeInfo.InputFactory.class)
public record ProgramInput(String id, Example example) {

    /** @throws IllegalArgumentException when the id or the example is null */
    public ProgramInput {
        if (id == null) {
            throw new IllegalArgumentException("ProgramInput id must not be null");
        }
        if (example == null) {
            throw new IllegalArgumentException("ProgramInput example must not be null (id " + id + ")");
        }
    }

    /** @return what the program receives: the marked inputs, or the whole example when none are marked */
    public Example programInputs() {
        return example.inputKeys().isEmpty() ? example : example.inputs();
    }
}

package io.dspex.flink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.flink.internal.JsonTypeInfo;
import io.dspex.flink.internal.Rows;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInfo;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one {@link ProgramInput}: its id and the program's outputs, or the error that stopped it (a
 * failed input is a result, not a failed job). In evaluation mode it also carries the metric's score, which is the
 * failure score 0 for a failed input, as {@link io.dspex.evaluate.Evaluate} counts it.
 *
 * <pre>{@code
 * results.filter(ProgramResult::isSuccess).map(r -> r.outputs().get("answer"))
 * }</pre>
 *
 * @param id      the input's id (null only for an input line that had none)
 * @param outputs the prediction's fields as JSON values (records become maps), empty when the program failed
 * @param error   {@code "ErrorType: message"} when the program or the metric failed, else null
 * @param score   the metric's score in evaluation mode, else null
 */
@TypeInfo(JsonTypeInfo.ResultFactory.class)
public record ProgramResult(@Nullable String id, Map<String, @Nullable Object> outputs, @Nullable String error,
                            @Nullable Double score) {

    /** Keys of an output row that an output field of the same name must not replace. */
    private static final Set<String> RESERVED = Set.of("id", "error", "score");

    /** @throws IllegalArgumentException when outputs is null */
    public ProgramResult {
        if (outputs == null) {
            throw new IllegalArgumentException("ProgramResult outputs must not be null (use an empty map)");
        }
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    /** @return whether the program (and the metric, in evaluation mode) succeeded */
    public boolean isSuccess() {
        return error == null;
    }

    /**
     * The output row: {@code {"id": .., <output fields>..}}, or {@code {"id": .., "error": ".."}}, with
     * {@code "score"} in evaluation mode. An output field named {@code id}, {@code error} or {@code score} is written
     * as {@code output_<name>}.
     *
     * @return one line of JSON, without the newline
     */
    public String toJsonLine() {
        ObjectNode line = Rows.MAPPER.createObjectNode();
        if (id == null) {
            line.putNull("id");
        } else {
            line.put("id", id);
        }
        outputs.forEach((k, v) -> line.set(RESERVED.contains(k) ? "output_" + k : k, Rows.MAPPER.valueToTree(v)));
        if (error != null) {
            line.put("error", error);
        }
        if (score != null) {
            line.put("score", score);
        }
        try {
            return Rows.MAPPER.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write the result of input " + id + " as JSON", e);
        }
    }
}

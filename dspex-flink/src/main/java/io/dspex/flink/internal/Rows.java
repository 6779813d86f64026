package io.dspex.flink.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import io.dspex.Example;
import io.dspex.flink.ProgramInput;
import io.dspex.flink.ProgramResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The JSON form of the records, on the wire between operators and in output rows. */
public final class Rows {

    /** Thread-safe once configured; shared by every serializer and function of a JVM. */
    public static final ObjectMapper MAPPER = new ObjectMapper().registerModule(new Jdk8Module());

    private static final TypeReference<LinkedHashMap<String, @Nullable Object>> MAP = new TypeReference<>() { };

    private Rows() {
    }

    /**
     * @param values any values (records, enums, Optionals, collections, JSON scalars)
     * @return them as plain JSON values (maps, lists, strings, numbers, booleans, null), in their order
     * @throws IllegalArgumentException when a value cannot be written as JSON
     */
    public static Map<String, @Nullable Object> jsonValues(Map<String, ?> values) {
        return MAPPER.convertValue(values, MAP);
    }

    static byte[] write(ProgramInput in) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", in.id());
        node.set("example", MAPPER.valueToTree(in.example()));
        return bytes(node);
    }

    static ProgramInput readInput(byte[] bytes) {
        JsonNode node = tree(bytes);
        try {
            return new ProgramInput(node.get("id").asText(), MAPPER.treeToValue(node.get("example"), Example.class));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot read a ProgramInput: " + e.getOriginalMessage(), e);
        }
    }

    static byte[] write(ProgramResult r) {
        ObjectNode node = MAPPER.createObjectNode();
        if (r.id() == null) {
            node.putNull("id");
        } else {
            node.put("id", r.id());
        }
        node.set("outputs", MAPPER.valueToTree(r.outputs()));
        if (r.error() != null) {
            node.put("error", r.error());
        }
        if (r.score() != null) {
            node.put("score", r.score());
        }
        return bytes(node);
    }

    static ProgramResult readResult(byte[] bytes) {
        JsonNode node = tree(bytes);
        JsonNode id = node.get("id");
        JsonNode error = node.get("error");
        JsonNode score = node.get("score");
        return new ProgramResult(id == null || id.isNull() ? null : id.asText(),
                MAPPER.convertValue(node.get("outputs"), MAP), error == null ? null : error.asText(),
                score == null ? null : score.asDouble());
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write a record as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static JsonNode tree(byte[] bytes) {
        try {
            return MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a record's JSON: " + e.getMessage(), e);
        }
    }
}

package io.dspex.modules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** DSPy 3.3.1's expected prompts (see gen_i16.py next to them). */
final class Fixtures {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Fixtures() {
    }

    static JsonNode load(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("dspy331/" + name)) {
            if (in == null) {
                throw new IllegalStateException("fixture dspy331/" + name + " is missing");
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return each request as "role: content" lines, the shape the fixtures and our requests are compared in */
    static List<List<String>> requests(JsonNode fixture) {
        List<List<String>> out = new ArrayList<>();
        for (JsonNode request : fixture.get("requests")) {
            List<String> messages = new ArrayList<>();
            for (JsonNode m : request) {
                messages.add(m.get("role").asText() + ": " + m.get("content").asText());
            }
            out.add(messages);
        }
        return out;
    }

    static List<List<String>> requests(List<LmRequest> requests) {
        List<List<String>> out = new ArrayList<>();
        for (LmRequest r : requests) {
            List<String> messages = new ArrayList<>();
            for (Message m : r.messages()) {
                messages.add(m.role().toString() + ": " + m.content());
            }
            out.add(messages);
        }
        return out;
    }

    static String[] replies(JsonNode fixture) {
        List<String> out = new ArrayList<>();
        fixture.get("replies").forEach(r -> out.add(r.asText()));
        return out.toArray(String[]::new);
    }
}

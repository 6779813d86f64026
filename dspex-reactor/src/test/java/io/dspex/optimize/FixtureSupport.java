package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/** Reads the fixtures recorded with DSPy 3.3.1 (scripts in {@code dspy/} beside them) and compares prompts. */
final class FixtureSupport {

    private FixtureSupport() {
    }

    static JsonNode read(String name) {
        try (InputStream in = FixtureSupport.class.getResourceAsStream(name)) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts that a request's messages are exactly the recorded ones (role and content). */
    static void assertSameMessages(LmRequest actual, JsonNode expectedMessages, String what) {
        List<Message> ms = actual.messages();
        assertThat(ms).as(what + ": message count").hasSize(expectedMessages.size());
        for (int i = 0; i < ms.size(); i++) {
            JsonNode e = expectedMessages.get(i);
            assertThat(ms.get(i).role().name().toLowerCase(Locale.ROOT)).as(what + ": role of message " + i)
                    .isEqualTo(e.get("role").asText());
            assertThat(ms.get(i).content()).as(what + ": content of message " + i).isEqualTo(e.get("content").asText());
        }
    }
}

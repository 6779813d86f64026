package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A long system prompt is written from remembered escaped bytes: the request must not change by a byte. */
class ChatCodecEscapeCacheTest {

    private static final CallConfig DEFAULTS = CallConfig.empty().withModel("m");

    private static String longText(String core) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < ChatCodec.ESCAPE_CACHE_MIN_LENGTH) {
            sb.append(core);
        }
        return sb.toString();
    }

    /** The body with the text as a user message, relabelled system: written by Jackson's own escaping. */
    private static String expected(String text) {
        String asUser = new String(ChatCodec.writeChat(LmRequest.of(List.of(Message.user(text))), DEFAULTS, false),
                StandardCharsets.UTF_8);
        return asUser.replaceFirst("\"role\":\"user\"", "\"role\":\"system\"");
    }

    @Test
    void cachedSystemPromptsAreWrittenByteForByteAsJacksonWritesThem() {
        List<String> cores = List.of(
                "Your input fields are:\n1. `question` (str):\n\tAll interactions \"will\" be structured.\\ ",
                "control \u0001\u001f\u007f and slash / and <script>",
                "non-ASCII: é ü 中文 \u2028 \u2029 ",
                "outside the BMP: 😀 𝄞 ",
                "a lone surrogate \uD800 and \uDC00 ",
                "plain ascii text only ");
        for (String core : cores) {
            String text = longText(core);
            LmRequest r = LmRequest.of(List.of(Message.system(text), Message.user("q")));
            String want = expected(text).replace("}]", "},{\"role\":\"user\",\"content\":\"q\"}]");
            String first = new String(ChatCodec.writeChat(r, DEFAULTS, false), StandardCharsets.UTF_8);
            String second = new String(ChatCodec.writeChat(r, DEFAULTS, false), StandardCharsets.UTF_8);
            assertThat(first).as("miss for %s", core).isEqualTo(want);
            assertThat(second).as("hit for %s", core).isEqualTo(want);
        }
    }

    @Test
    void anEqualButDifferentStringIsNotMistakenForACachedOne() {
        String a = longText("first prompt ");
        String b = longText("other prompt ");
        String aCopy = new String(a.toCharArray());
        for (String t : List.of(a, b, aCopy, a)) {
            String body = new String(ChatCodec.writeChat(LmRequest.of(List.of(Message.system(t))), DEFAULTS, false),
                    StandardCharsets.UTF_8);
            assertThat(body).isEqualTo(expected(t));
        }
    }
}

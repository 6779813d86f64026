package io.dspex.lm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Small pieces the Anthropic and Gemini codecs share: writing a body with Jackson's generator, reading the parts of
 * an OpenAI-format tool ({@link LmRequest#tools()}), a tool call's arguments as a JSON object, and a {@code data:}
 * URI's media type and payload.
 */
final class WireSupport {

    static final JsonFactory FACTORY = Json.MAPPER.getFactory();

    private WireSupport() {
    }

    /** Writes one JSON document. */
    interface BodyWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /**
     * @param estimate the expected size in bytes
     * @param writer   writes the document
     * @return the UTF-8 bytes
     * @throws IllegalArgumentException when a value cannot be written as JSON
     */
    static byte[] write(int estimate, BodyWriter writer) {
        try (ByteArrayBuilder bytes = new ByteArrayBuilder(Math.min(Math.max(estimate, 256), 1 << 20))) {
            try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
                writer.write(g);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalArgumentException("LmRequest cannot be written as JSON (check extra/responseFormat/tools "
                    + "values): " + e.getMessage(), e);
        }
    }

    /** @return the size a request's body is likely to have, for the output buffer */
    static int estimate(LmRequest r) {
        int estimate = 256;
        for (Message m : r.messages()) {
            estimate += m.content().length() + 48;
        }
        return estimate;
    }

    /** A tool of {@link LmRequest#tools()}: {@code {"type": "function", "function": {name, description, ..}}}. */
    record Function(String name, @Nullable String description, @Nullable Object parameters) {
        static Function of(Map<String, Object> tool) {
            Map<?, ?> f = (Map<?, ?>) tool.get("function");
            Object description = f.get("description");
            return new Function(String.valueOf(f.get("name")), description == null ? null : String.valueOf(description),
                    f.get("parameters"));
        }
    }

    /** @return the function name a tool choice names, or null for {@code "auto"}, {@code "none"}, {@code "required"} */
    static @Nullable String namedFunction(Object toolChoice) {
        if (toolChoice instanceof Map<?, ?> m && m.get("function") instanceof Map<?, ?> f) {
            return String.valueOf(f.get("name"));
        }
        return null;
    }

    /**
     * @return a tool call's arguments parsed as the JSON object the model wrote (an empty text is {@code {}})
     * @throws IllegalArgumentException naming the message and call when they are not a JSON object
     */
    static JsonNode arguments(ToolCall call, int messageIndex) {
        String args = call.arguments().isBlank() ? "{}" : call.arguments();
        try {
            JsonNode node = Json.MAPPER.readTree(args);
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (IOException notJson) {
            // reported below
        }
        throw new IllegalArgumentException("messages[" + messageIndex + "]: the arguments of tool call '" + call.id()
                + "' (" + call.name() + ") are not a JSON object, which this provider needs: "
                + LmException.truncate(call.arguments()));
    }

    /** A {@code data:<media type>;base64,<payload>} URI, split. */
    record DataUri(String mediaType, String base64) {
        /**
         * @return the parts of a base64 {@code data:} URI, or null for any other URL
         * @throws IllegalArgumentException naming the message when it is a {@code data:} URI without base64 content
         */
        static @Nullable DataUri parse(String url, int messageIndex) {
            if (!url.regionMatches(true, 0, "data:", 0, 5)) {
                return null;
            }
            int comma = url.indexOf(',');
            String meta = comma < 0 ? "" : url.substring(5, comma);
            if (comma < 0 || !meta.toLowerCase(java.util.Locale.ROOT).endsWith(";base64")) {
                throw new IllegalArgumentException("messages[" + messageIndex + "]: an image data: URI must be "
                        + "data:<media type>;base64,<data>, got " + url.substring(0, Math.min(url.length(), 40)));
            }
            String mediaType = meta.substring(0, meta.length() - ";base64".length());
            return new DataUri(mediaType.isEmpty() ? "application/octet-stream" : mediaType, url.substring(comma + 1));
        }
    }

    /** @return whether the URL is an http(s) URL */
    static boolean isHttp(String url) {
        return url.regionMatches(true, 0, "http://", 0, 7) || url.regionMatches(true, 0, "https://", 0, 8);
    }
}

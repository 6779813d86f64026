package io.dspex.test;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One wire protocol {@link MockLmServer} speaks: its paths, how a request reads ({@link ParsedRequest}'s accessors
 * delegate here), and how its answers, streams, errors and embeddings are written. The server owns everything the
 * protocols share (rules, replies, fault plans, latency, recording); a fault is applied the same way in every
 * protocol, with that protocol's bodies.
 */
abstract class Wire {

    static final JsonFactory FACTORY = ParsedRequest.MAPPER.getFactory();

    /** What a path is. */
    enum Endpoint {
        /** A chat (generation) request. */
        CHAT,
        /** An embeddings request. */
        EMBEDDINGS
    }

    /** A request the protocol rejects, answered with its status and the protocol's error body. */
    static final class Rejected extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        Rejected(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** @return the path the base URL ends with ({@code /v1} for OpenAI, empty for the others) */
    abstract String basePath();

    /**
     * @param path the request path, without the query
     * @return what the path is, or null for a path this protocol does not serve (answered 404)
     */
    abstract @Nullable Endpoint route(String path);

    /**
     * Checks what the protocol requires beyond a reply (headers, required fields).
     *
     * @throws Rejected when the request is not one the provider would accept
     */
    abstract void check(ParsedRequest pr);

    /** @return the error body of an HTTP status, with the provider's message */
    abstract byte[] errorBody(int status, String message);

    /** @return a whole chat answer: one choice per text */
    abstract byte[] chatBody(ParsedRequest pr, List<String> texts, int promptTokens);

    /**
     * @param kind {@link Fault.Kind#MALFORMED_JSON} to put an event that is not JSON early in the stream,
     *             {@link Fault.Kind#STREAM_ERROR} to put an error event after the first delta, else null
     * @return the stream's events, each a whole server-sent event
     */
    abstract List<byte[]> sseEvents(ParsedRequest pr, List<String> texts, int promptTokens,
                                    Fault.@Nullable Kind kind);

    /** @return the body of a 200 that is not JSON (a cut document) */
    abstract byte[] malformedBody();

    /** @return the embeddings answer */
    abstract byte[] embeddingsBody(ParsedRequest pr, int dimensions);

    /** @return the response header that carries the request id, or null when the provider sends none */
    abstract @Nullable String requestIdHeader();

    /** @return the extra response headers of a successful answer */
    Map<String, String> successHeaders(ParsedRequest pr) {
        return Map.of();
    }

    /** Answers a request that is not for a chat or embeddings path, or null to answer 404. */
    byte @Nullable [] other(String method, String path) {
        return null;
    }

    // ------------------------------------------------------------------ how a request reads

    abstract List<Message> messages(ParsedRequest pr);

    abstract int n(ParsedRequest pr);

    abstract boolean stream(ParsedRequest pr);

    abstract @Nullable String model(ParsedRequest pr);

    abstract List<String> inputs(ParsedRequest pr);

    // ------------------------------------------------------------------ shared helpers

    interface JsonWriter {
        void write(JsonGenerator g) throws IOException;
    }

    static byte[] write(JsonWriter w) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(256)) {
            try (JsonGenerator g = FACTORY.createGenerator(out)) {
                w.write(g);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return {@code data: <json>\n\n} */
    static byte[] event(byte[] json) {
        return event(null, json, "\n");
    }

    /** @return {@code event: <name>} (when named), {@code data: <json>}, and a blank line, with the given line end */
    static byte[] event(@Nullable String name, byte[] json, String eol) {
        String head = (name == null ? "" : "event: " + name + eol) + "data: ";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] tail = (eol + eol).getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + json.length + tail.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(json, 0, out, h.length, json.length);
        System.arraycopy(tail, 0, out, h.length + json.length, tail.length);
        return out;
    }

    /** @return the number of whitespace-separated words: the server's token count */
    static int words(String s) {
        int count = 0;
        boolean in = false;
        for (int i = 0; i < s.length(); i++) {
            boolean ws = Character.isWhitespace(s.charAt(i));
            if (!ws && !in) {
                count++;
            }
            in = !ws;
        }
        return count;
    }

    /** @return the words of every text */
    static int words(List<String> texts) {
        int n = 0;
        for (String t : texts) {
            n += words(t);
        }
        return n;
    }

    /** @return the text of a node that is a string, else its JSON */
    static String text(JsonNode node) {
        return node.isTextual() ? node.asText() : node.toString();
    }

    /** @return the joined {@code text} of a content given as blocks or parts, or their JSON when none has text */
    static String joinedText(JsonNode items) {
        StringBuilder sb = new StringBuilder();
        boolean any = false;
        for (JsonNode item : items) {
            if (item.path("text").isTextual()) {
                sb.append(item.path("text").asText());
                any = true;
            }
        }
        return any ? sb.toString() : items.toString();
    }

    static Message message(Message.Role role, String content) {
        return new Message(role, content);
    }
}

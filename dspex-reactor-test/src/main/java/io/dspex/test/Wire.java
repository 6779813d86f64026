package io.dspex.test;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import io.dspex.lm.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
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

    /**
     * What a chat request is answered with, in no protocol's words: the choices (text, tool calls, finish reason in
     * the library's words: {@code stop}, {@code tool_calls}, {@code length}, ...) and the usage to report.
     *
     * @param choices      the choices, at least one
     * @param scripted     the usage the script gave, or null: the server counts
     * @param promptTokens the server's count of the prompt (words of every message, plus 3 per message)
     */
    record Answer(List<LmResponse.Choice> choices, @Nullable Usage scripted, int promptTokens) {

        /**
         * @param written the choices the protocol writes (Anthropic's one, or all)
         * @return the scripted usage, else the prompt count and the words of the written choices
         */
        Usage usage(List<LmResponse.Choice> written) {
            if (scripted != null) {
                return scripted;
            }
            int completion = 0;
            for (LmResponse.Choice c : written) {
                completion += words(c.text());
            }
            return Usage.of(promptTokens, completion);
        }

        /** @return the finish reason of a choice: its own, else {@code tool_calls} when it calls tools, else stop */
        static String finish(LmResponse.Choice c) {
            String f = c.finishReason();
            return f != null ? f : c.toolCalls().isEmpty() ? "stop" : "tool_calls";
        }
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

    /** @return a whole chat answer: every choice of the answer the protocol can carry, with its tool calls */
    abstract byte[] chatBody(ParsedRequest pr, Answer answer);

    /**
     * @param kind {@link Fault.Kind#MALFORMED_JSON} to put an event that is not JSON early in the stream,
     *             {@link Fault.Kind#STREAM_ERROR} to put an error event after the first delta, else null
     * @return the stream's events, each a whole server-sent event: text in word-sized deltas, tool calls as the
     *         provider streams them
     */
    abstract List<byte[]> sseEvents(ParsedRequest pr, Answer answer, Fault.@Nullable Kind kind);

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

    /**
     * @return the conversation as the library's messages: system text first, then the turns, with their content
     *         parts (text, images), an assistant's tool calls and the tool results, as the protocol carries them
     */
    abstract List<Message> messages(ParsedRequest pr);

    /** @return the request's tools in OpenAI's function format ({@code {"type": "function", "function": ..}}) */
    abstract List<Map<String, @Nullable Object>> tools(ParsedRequest pr);

    /**
     * @return the request's tool choice in OpenAI's words ({@code "auto"}, {@code "required"}, {@code "none"}, or
     *         {@code {"type": "function", "function": {"name": ..}}}), or null when absent
     */
    abstract @Nullable Object toolChoice(ParsedRequest pr);

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

    /** @return a JSON value as a Java value (maps, lists, strings, numbers, booleans, null) */
    static @Nullable Object value(JsonNode node) {
        return ParsedRequest.MAPPER.convertValue(node, Object.class);
    }

    /** @return OpenAI's function tool: {@code {"type": "function", "function": {name, description?, parameters?}}} */
    static Map<String, @Nullable Object> function(String name, @Nullable JsonNode description,
                                                  @Nullable JsonNode parameters) {
        Map<String, @Nullable Object> f = new LinkedHashMap<>();
        f.put("name", name);
        if (description != null && !description.isMissingNode() && !description.isNull()) {
            f.put("description", value(description));
        }
        if (parameters != null && !parameters.isMissingNode() && !parameters.isNull()) {
            f.put("parameters", value(parameters));
        }
        Map<String, @Nullable Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", f);
        return Collections.unmodifiableMap(tool);
    }

    /** @return OpenAI's tool choice naming one function */
    static Map<String, Object> namedFunction(String name) {
        return Map.of("type", "function", "function", Map.of("name", name));
    }

    /**
     * @return a tool call's arguments as a JSON object, for the protocols that carry them as one
     * @throws Rejected (500) when a scripted call's arguments are not a JSON object: the protocol cannot carry them
     */
    static JsonNode argumentsObject(ToolCall call, String protocol) {
        try {
            JsonNode node = ParsedRequest.MAPPER.readTree(call.arguments());
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (IOException notJson) {
            // answered below
        }
        throw new Rejected(500, "MockLmServer cannot write the scripted tool call " + call.name() + " (" + call.id()
                + ") in " + protocol + "'s format: its arguments must be a JSON object, got " + call.arguments());
    }
}

package io.dspex.test;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Anthropic's Messages API: {@code POST /v1/messages} (a message, or server-sent events from {@code message_start}
 * to {@code message_stop} with {@code "stream": true}); a key ({@code x-api-key}, or a bearer token as the official
 * SDK 3.x sends it) and {@code anthropic-version} required; {@code max_tokens} required; one answer per request
 * (Anthropic has no {@code n}); errors as
 * {@code {"type": "error", "error": {"type", "message"}}} with the {@code request-id} header. It has no embeddings.
 */
final class AnthropicWire extends Wire {

    private static final String EOL = "\n";

    @Override
    String basePath() {
        return "";
    }

    @Override
    @Nullable Endpoint route(String path) {
        return path.equals("/v1/messages") ? Endpoint.CHAT : null;
    }

    @Override
    void check(ParsedRequest pr) {
        String key = pr.header("x-api-key");
        String bearer = pr.header("authorization");
        boolean hasBearer = bearer != null && bearer.startsWith("Bearer ") && bearer.length() > 7;
        if ((key == null || key.isBlank()) && !hasBearer) {
            throw new Rejected(401, "x-api-key header is required");
        }
        if (pr.header("anthropic-version") == null) {
            throw new Rejected(400, "anthropic-version: header is required");
        }
        JsonNode json = pr.json();
        if (!json.path("model").isTextual()) {
            throw new Rejected(400, "model: Field required");
        }
        if (!json.path("max_tokens").canConvertToInt() || json.path("max_tokens").asInt() < 1) {
            throw new Rejected(400, "max_tokens: Field required (an integer >= 1)");
        }
        JsonNode messages = json.path("messages");
        if (!messages.isArray() || messages.size() == 0) {
            throw new Rejected(400, "messages: at least one message is required");
        }
        for (int i = 0; i < messages.size(); i++) {
            String role = messages.get(i).path("role").asText("");
            if (!role.equals("user") && !role.equals("assistant")) {
                throw new Rejected(400, "messages." + i + ".role: Input should be 'user' or 'assistant'");
            }
        }
    }

    @Override
    @Nullable String requestIdHeader() {
        return "request-id";
    }

    /** @return Anthropic's error type of a status */
    static String errorType(int status) {
        switch (status) {
            case 400: return "invalid_request_error";
            case 401: return "authentication_error";
            case 402: return "billing_error";
            case 403: return "permission_error";
            case 404: return "not_found_error";
            case 413: return "request_too_large";
            case 429: return "rate_limit_error";
            case 504: return "timeout_error";
            case 529: return "overloaded_error";
            default: return status >= 500 ? "api_error" : "invalid_request_error";
        }
    }

    private static byte[] error(String type, String message) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("type", "error");
            g.writeObjectFieldStart("error");
            g.writeStringField("type", type);
            g.writeStringField("message", message);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    @Override
    byte[] errorBody(int status, String message) {
        return error(errorType(status), message);
    }

    @Override
    byte[] malformedBody() {
        return "{\"id\": \"msg_broken\", \"type\": \"message\", \"content\": [ this is not json"
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String modelOr(ParsedRequest pr) {
        String m = pr.model();
        return m == null ? "mock-model" : m;
    }

    private static void usage(JsonGenerator g, int input, int output) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("input_tokens", input);
        g.writeNumberField("cache_creation_input_tokens", 0);
        g.writeNumberField("cache_read_input_tokens", 0);
        g.writeNumberField("output_tokens", output);
        g.writeEndObject();
    }

    @Override
    byte[] chatBody(ParsedRequest pr, List<String> texts, int promptTokens) {
        String text = texts.get(0);
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("id", "msg_mock_" + pr.number());
            g.writeStringField("type", "message");
            g.writeStringField("role", "assistant");
            g.writeStringField("model", modelOr(pr));
            g.writeArrayFieldStart("content");
            g.writeStartObject();
            g.writeStringField("type", "text");
            g.writeStringField("text", text);
            g.writeEndObject();
            g.writeEndArray();
            g.writeStringField("stop_reason", "end_turn");
            g.writeNullField("stop_sequence");
            usage(g, promptTokens, words(text));
            g.writeEndObject();
        });
    }

    private static byte[] sse(String type, JsonWriter fields) {
        return event(type, write(g -> {
            g.writeStartObject();
            g.writeStringField("type", type);
            fields.write(g);
            g.writeEndObject();
        }), EOL);
    }

    @Override
    List<byte[]> sseEvents(ParsedRequest pr, List<String> texts, int promptTokens, Fault.@Nullable Kind kind) {
        String text = texts.get(0);
        List<byte[]> events = new ArrayList<>();
        events.add(sse("message_start", g -> {
            g.writeObjectFieldStart("message");
            g.writeStringField("id", "msg_mock_" + pr.number());
            g.writeStringField("type", "message");
            g.writeStringField("role", "assistant");
            g.writeStringField("model", modelOr(pr));
            g.writeArrayFieldStart("content");
            g.writeEndArray();
            g.writeNullField("stop_reason");
            g.writeNullField("stop_sequence");
            usage(g, promptTokens, 1);
            g.writeEndObject();
        }));
        if (kind == Fault.Kind.MALFORMED_JSON) {
            events.add(("event: content_block_start" + EOL + "data: {\"type\": \"content_block_start\", [ not json"
                    + EOL + EOL).getBytes(StandardCharsets.UTF_8));
        }
        events.add(sse("content_block_start", g -> {
            g.writeNumberField("index", 0);
            g.writeObjectFieldStart("content_block");
            g.writeStringField("type", "text");
            g.writeStringField("text", "");
            g.writeEndObject();
        }));
        events.add(sse("ping", g -> { }));
        boolean first = true;
        for (String d : MockLmServer.deltas(text)) {
            events.add(sse("content_block_delta", g -> {
                g.writeNumberField("index", 0);
                g.writeObjectFieldStart("delta");
                g.writeStringField("type", "text_delta");
                g.writeStringField("text", d);
                g.writeEndObject();
            }));
            if (first && kind == Fault.Kind.STREAM_ERROR) {
                events.add(event("error", error("overloaded_error", "stream failed"), EOL));
            }
            first = false;
        }
        if (first && kind == Fault.Kind.STREAM_ERROR) {
            events.add(event("error", error("overloaded_error", "stream failed"), EOL));
        }
        events.add(sse("content_block_stop", g -> g.writeNumberField("index", 0)));
        int output = words(text);
        events.add(sse("message_delta", g -> {
            g.writeObjectFieldStart("delta");
            g.writeStringField("stop_reason", "end_turn");
            g.writeNullField("stop_sequence");
            g.writeEndObject();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("output_tokens", output);
            g.writeEndObject();
        }));
        events.add(sse("message_stop", g -> { }));
        return events;
    }

    @Override
    byte[] embeddingsBody(ParsedRequest pr, int dimensions) {
        throw new Rejected(404, "Anthropic has no embeddings endpoint");
    }

    // ------------------------------------------------------------------ how a request reads

    /**
     * The top-level {@code system} as system messages (one per text block), then the turns: text content as it
     * is, blocks as their text joined (or their JSON when none is text, as for {@code tool_result} blocks).
     */
    @Override
    List<Message> messages(ParsedRequest pr) {
        List<Message> ms = new ArrayList<>();
        JsonNode system = pr.json().get("system");
        if (system != null && system.isTextual()) {
            ms.add(message(Message.Role.SYSTEM, system.asText()));
        } else if (system != null && system.isArray()) {
            for (JsonNode block : system) {
                ms.add(message(Message.Role.SYSTEM, block.path("text").asText("")));
            }
        }
        for (JsonNode m : pr.json().path("messages")) {
            JsonNode content = m.path("content");
            String text = content.isArray() ? joinedText(content) : text(content);
            ms.add(message("assistant".equals(m.path("role").asText()) ? Message.Role.ASSISTANT : Message.Role.USER,
                    text));
        }
        return Collections.unmodifiableList(ms);
    }

    @Override
    int n(ParsedRequest pr) {
        return 1;
    }

    @Override
    boolean stream(ParsedRequest pr) {
        return pr.json().path("stream").asBoolean(false);
    }

    @Override
    @Nullable String model(ParsedRequest pr) {
        JsonNode m = pr.json().get("model");
        return m != null && m.isTextual() ? m.asText() : null;
    }

    @Override
    List<String> inputs(ParsedRequest pr) {
        return List.of();
    }
}

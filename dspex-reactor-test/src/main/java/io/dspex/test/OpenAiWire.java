package io.dspex.test;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI's wire protocol: {@code POST /v1/chat/completions} (JSON, or server-sent events ending in {@code [DONE]}
 * with {@code "stream": true}, usage with {@code stream_options.include_usage}), {@code POST /v1/embeddings} and
 * {@code GET /v1/models}; errors as {@code {"error": {"message", "type", "param", "code"}}}.
 */
final class OpenAiWire extends Wire {

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    @Override
    String basePath() {
        return "/v1";
    }

    @Override
    @Nullable Endpoint route(String path) {
        if (path.equals("/v1/chat/completions")) {
            return Endpoint.CHAT;
        }
        return path.equals("/v1/embeddings") ? Endpoint.EMBEDDINGS : null;
    }

    @Override
    byte @Nullable [] other(String method, String path) {
        if (method.equals("GET") && path.equals("/v1/models")) {
            return ("{\"object\":\"list\",\"data\":[{\"id\":\"mock-model\",\"object\":\"model\","
                    + "\"created\":0,\"owned_by\":\"dspex\"}]}").getBytes(StandardCharsets.UTF_8);
        }
        return null;
    }

    @Override
    void check(ParsedRequest pr) {
        if (pr.isChat() && (!pr.json().path("messages").isArray() || pr.json().path("messages").size() == 0)) {
            throw new Rejected(400, "'messages' must be a non-empty array");
        }
        if (pr.isEmbeddings()) {
            JsonNode input = pr.json().get("input");
            if (input == null || !(input.isTextual() || input.isArray())) {
                throw new Rejected(400, "'input' must be a string or an array of strings");
            }
        }
    }

    @Override
    @Nullable String requestIdHeader() {
        return "x-request-id";
    }

    @Override
    byte[] errorBody(int status, String message) {
        String type = status == 429 ? "rate_limit_error" : status == 401 ? "authentication_error"
                : status >= 500 ? "server_error" : "invalid_request_error";
        return write(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message);
            g.writeStringField("type", type);
            g.writeNullField("param");
            g.writeNullField("code");
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    @Override
    byte[] malformedBody() {
        return "{\"id\": \"chatcmpl-broken\", \"choices\": [ this is not json".getBytes(StandardCharsets.UTF_8);
    }

    private static String model(ParsedRequest pr, String otherwise) {
        String m = pr.model();
        return m == null ? otherwise : m;
    }

    @Override
    byte[] chatBody(ParsedRequest pr, List<String> texts, int promptTokens) {
        int completion = words(texts);
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("id", "chatcmpl-mock-" + pr.number());
            g.writeStringField("object", "chat.completion");
            g.writeNumberField("created", 1_700_000_000L);
            g.writeStringField("model", model(pr, "mock-model"));
            g.writeArrayFieldStart("choices");
            for (int i = 0; i < texts.size(); i++) {
                g.writeStartObject();
                g.writeNumberField("index", i);
                g.writeObjectFieldStart("message");
                g.writeStringField("role", "assistant");
                g.writeStringField("content", texts.get(i));
                g.writeNullField("refusal");
                g.writeEndObject();
                g.writeNullField("logprobs");
                g.writeStringField("finish_reason", "stop");
                g.writeEndObject();
            }
            g.writeEndArray();
            writeUsage(g, promptTokens, completion);
            g.writeEndObject();
        });
    }

    private static void writeUsage(JsonGenerator g, int prompt, int completion) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", prompt);
        g.writeNumberField("completion_tokens", completion);
        g.writeNumberField("total_tokens", prompt + completion);
        g.writeEndObject();
    }

    private static byte[] streamError() {
        return event(write(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", "stream failed");
            g.writeStringField("type", "server_error");
            g.writeEndObject();
            g.writeEndObject();
        }));
    }

    @Override
    List<byte[]> sseEvents(ParsedRequest pr, List<String> texts, int promptTokens, Fault.@Nullable Kind kind) {
        String id = "chatcmpl-mock-" + pr.number();
        String model = model(pr, "mock-model");
        List<byte[]> events = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            int index = i;
            events.add(event(chunk(id, model, index, "assistant", "", null)));
            if (kind == Fault.Kind.MALFORMED_JSON && i == 0) {
                events.add("data: {\"choices\": [ not json\n\n".getBytes(StandardCharsets.UTF_8));
            }
            for (String d : MockLmServer.deltas(texts.get(i))) {
                events.add(event(chunk(id, model, index, null, d, null)));
                if (kind == Fault.Kind.STREAM_ERROR && events.size() == 2) {
                    events.add(streamError());
                }
            }
            events.add(event(chunk(id, model, index, null, null, "stop")));
        }
        if (kind == Fault.Kind.STREAM_ERROR && events.size() < 3) {
            events.add(1, streamError());
        }
        if (pr.json().path("stream_options").path("include_usage").asBoolean(false)) {
            int completion = words(texts);
            events.add(event(write(g -> {
                g.writeStartObject();
                g.writeStringField("id", id);
                g.writeStringField("object", "chat.completion.chunk");
                g.writeNumberField("created", 1_700_000_000L);
                g.writeStringField("model", model);
                g.writeArrayFieldStart("choices");
                g.writeEndArray();
                writeUsage(g, promptTokens, completion);
                g.writeEndObject();
            })));
        }
        events.add(DONE);
        return events;
    }

    private static byte[] chunk(String id, String model, int index, @Nullable String role, @Nullable String content,
                                @Nullable String finish) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("id", id);
            g.writeStringField("object", "chat.completion.chunk");
            g.writeNumberField("created", 1_700_000_000L);
            g.writeStringField("model", model);
            g.writeArrayFieldStart("choices");
            g.writeStartObject();
            g.writeNumberField("index", index);
            g.writeObjectFieldStart("delta");
            if (role != null) {
                g.writeStringField("role", role);
            }
            if (content != null) {
                g.writeStringField("content", content);
            }
            g.writeEndObject();
            g.writeNullField("logprobs");
            if (finish != null) {
                g.writeStringField("finish_reason", finish);
            } else {
                g.writeNullField("finish_reason");
            }
            g.writeEndObject();
            g.writeEndArray();
            g.writeNullField("usage");
            g.writeEndObject();
        });
    }

    @Override
    byte[] embeddingsBody(ParsedRequest pr, int dimensions) {
        List<String> inputs = pr.inputs();
        boolean base64 = "base64".equals(pr.json().path("encoding_format").asText("float"));
        int dims = pr.json().path("dimensions").asInt(dimensions);
        int promptTokens = words(inputs);
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (int i = 0; i < inputs.size(); i++) {
                float[] v = MockLmServer.embeddingOf(inputs.get(i), dims);
                g.writeStartObject();
                g.writeStringField("object", "embedding");
                g.writeNumberField("index", i);
                g.writeFieldName("embedding");
                if (base64) {
                    ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    bb.asFloatBuffer().put(v);
                    g.writeString(Base64.getEncoder().encodeToString(bb.array()));
                } else {
                    g.writeStartArray();
                    for (float f : v) {
                        g.writeNumber(f);
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("model", model(pr, "mock-embedding"));
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", promptTokens);
            g.writeNumberField("total_tokens", promptTokens);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    // ------------------------------------------------------------------ how a request reads

    /** Roles other than system/user/assistant/tool are read as user; a tool message keeps its call id. */
    @Override
    List<Message> messages(ParsedRequest pr) {
        List<Message> ms = new ArrayList<>();
        for (JsonNode m : pr.json().path("messages")) {
            String role = m.path("role").asText("user");
            String content = text(m.path("content"));
            Message.Role r;
            try {
                r = Message.Role.of(role);
            } catch (IllegalArgumentException other) {
                r = Message.Role.USER;
            }
            ms.add(r == Message.Role.TOOL ? Message.tool(m.path("tool_call_id").asText("call"), content)
                    : new Message(r, content));
        }
        return Collections.unmodifiableList(ms);
    }

    @Override
    int n(ParsedRequest pr) {
        return Math.max(1, pr.json().path("n").asInt(1));
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
        JsonNode in = pr.json().get("input");
        if (in == null) {
            return List.of();
        }
        if (in.isTextual()) {
            return List.of(in.asText());
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : in) {
            out.add(text(s));
        }
        return out;
    }
}

package io.dspex.test;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import io.dspex.lm.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI's wire protocol: {@code POST /v1/chat/completions} (JSON, or server-sent events ending in {@code [DONE]}
 * with {@code "stream": true}, usage with {@code stream_options.include_usage}; tool calls in {@code tool_calls},
 * streamed as deltas), {@code POST /v1/embeddings} and {@code GET /v1/models}; errors as
 * {@code {"error": {"message", "type", "param", "code"}}}.
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

    /** Each choice's text ({@code null} content when it only calls tools), its {@code tool_calls}, finish reason. */
    @Override
    byte[] chatBody(ParsedRequest pr, Answer answer) {
        List<LmResponse.Choice> choices = answer.choices();
        Usage usage = answer.usage(choices);
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("id", "chatcmpl-mock-" + pr.number());
            g.writeStringField("object", "chat.completion");
            g.writeNumberField("created", 1_700_000_000L);
            g.writeStringField("model", model(pr, "mock-model"));
            g.writeArrayFieldStart("choices");
            for (int i = 0; i < choices.size(); i++) {
                LmResponse.Choice c = choices.get(i);
                g.writeStartObject();
                g.writeNumberField("index", i);
                g.writeObjectFieldStart("message");
                g.writeStringField("role", "assistant");
                if (c.text().isEmpty() && !c.toolCalls().isEmpty()) {
                    g.writeNullField("content");
                } else {
                    g.writeStringField("content", c.text());
                }
                g.writeNullField("refusal");
                if (!c.toolCalls().isEmpty()) {
                    g.writeArrayFieldStart("tool_calls");
                    for (ToolCall call : c.toolCalls()) {
                        g.writeStartObject();
                        g.writeStringField("id", call.id());
                        g.writeStringField("type", "function");
                        g.writeObjectFieldStart("function");
                        g.writeStringField("name", call.name());
                        g.writeStringField("arguments", call.arguments());
                        g.writeEndObject();
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
                g.writeNullField("logprobs");
                g.writeStringField("finish_reason", Answer.finish(c));
                g.writeEndObject();
            }
            g.writeEndArray();
            writeUsage(g, usage);
            g.writeEndObject();
        });
    }

    private static void writeUsage(JsonGenerator g, Usage usage) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", usage.promptTokens());
        g.writeNumberField("completion_tokens", usage.completionTokens());
        g.writeNumberField("total_tokens", usage.totalTokens());
        if (usage.cachedTokens() > 0) {
            g.writeObjectFieldStart("prompt_tokens_details");
            g.writeNumberField("cached_tokens", usage.cachedTokens());
            g.writeEndObject();
        }
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

    /**
     * Per choice: a role chunk, one content chunk per word, then each tool call as OpenAI streams it (its index, id,
     * type and name with empty arguments, then the arguments in {@link MockLmServer#fragments fragments}), and a
     * chunk with the finish reason; the usage chunk when {@code stream_options.include_usage} asks; {@code [DONE]}.
     */
    @Override
    List<byte[]> sseEvents(ParsedRequest pr, Answer answer, Fault.@Nullable Kind kind) {
        String id = "chatcmpl-mock-" + pr.number();
        String model = model(pr, "mock-model");
        List<LmResponse.Choice> choices = answer.choices();
        List<byte[]> events = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) {
            int index = i;
            LmResponse.Choice choice = choices.get(i);
            events.add(event(chunk(id, model, index, "assistant", "", null)));
            if (kind == Fault.Kind.MALFORMED_JSON && i == 0) {
                events.add("data: {\"choices\": [ not json\n\n".getBytes(StandardCharsets.UTF_8));
            }
            for (String d : MockLmServer.deltas(choice.text())) {
                events.add(event(chunk(id, model, index, null, d, null)));
                if (kind == Fault.Kind.STREAM_ERROR && events.size() == 2) {
                    events.add(streamError());
                }
            }
            List<ToolCall> calls = choice.toolCalls();
            for (int k = 0; k < calls.size(); k++) {
                ToolCall call = calls.get(k);
                events.add(event(toolChunk(id, model, index, k, call, "")));
                for (String fragment : MockLmServer.fragments(call.arguments())) {
                    events.add(event(toolChunk(id, model, index, k, null, fragment)));
                }
            }
            events.add(event(chunk(id, model, index, null, null, Answer.finish(choice))));
        }
        if (kind == Fault.Kind.STREAM_ERROR && events.size() < 3) {
            events.add(1, streamError());
        }
        if (pr.json().path("stream_options").path("include_usage").asBoolean(false)) {
            Usage usage = answer.usage(choices);
            events.add(event(write(g -> {
                g.writeStartObject();
                g.writeStringField("id", id);
                g.writeStringField("object", "chat.completion.chunk");
                g.writeNumberField("created", 1_700_000_000L);
                g.writeStringField("model", model);
                g.writeArrayFieldStart("choices");
                g.writeEndArray();
                writeUsage(g, usage);
                g.writeEndObject();
            })));
        }
        events.add(DONE);
        return events;
    }

    /** A stream chunk with one tool call delta: the call's id, type and name ({@code head}), or a fragment. */
    private static byte[] toolChunk(String id, String model, int index, int callIndex, @Nullable ToolCall head,
                                    String fragment) {
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
            g.writeArrayFieldStart("tool_calls");
            g.writeStartObject();
            g.writeNumberField("index", callIndex);
            if (head != null) {
                g.writeStringField("id", head.id());
                g.writeStringField("type", "function");
            }
            g.writeObjectFieldStart("function");
            if (head != null) {
                g.writeStringField("name", head.name());
            }
            g.writeStringField("arguments", fragment);
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
            g.writeNullField("logprobs");
            g.writeNullField("finish_reason");
            g.writeEndObject();
            g.writeEndArray();
            g.writeNullField("usage");
            g.writeEndObject();
        });
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

    /**
     * Each message as the library's: text, or content parts ({@code text}, {@code image_url}; a part of another type
     * as a text part of its JSON) for a user turn; an assistant's {@code tool_calls}; a tool result's
     * {@code tool_call_id}. Unknown roles, and tool results without an id, are read as user messages.
     */
    @Override
    List<Message> messages(ParsedRequest pr) {
        List<Message> ms = new ArrayList<>();
        for (JsonNode m : pr.json().path("messages")) {
            ms.add(message(m));
        }
        return Collections.unmodifiableList(ms);
    }

    private static Message message(JsonNode m) {
        Message.Role r;
        try {
            r = Message.Role.of(m.path("role").asText("user"));
        } catch (IllegalArgumentException other) {
            r = Message.Role.USER;
        }
        String toolCallId = m.path("tool_call_id").asText("");
        if (r == Message.Role.TOOL && toolCallId.isBlank()) {
            r = Message.Role.USER;
        }
        JsonNode content = m.path("content");
        List<Message.Part> parts = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        if (content.isArray()) {
            for (JsonNode p : content) {
                String type = p.path("type").asText("");
                if (type.equals("image_url")) {
                    JsonNode url = p.path("image_url");
                    parts.add(new Message.Part.ImageUrl(url.isTextual() ? url.asText() : url.path("url").asText()));
                } else {
                    String t = type.equals("text") ? p.path("text").asText("") : p.toString();
                    parts.add(new Message.Part.Text(t));
                    text.append(t);
                }
            }
        } else if (!content.isMissingNode() && !content.isNull()) {
            text.append(text(content));
        }
        List<ToolCall> calls = new ArrayList<>();
        if (r == Message.Role.ASSISTANT) {
            for (JsonNode c : m.path("tool_calls")) {
                JsonNode f = c.path("function");
                calls.add(new ToolCall(c.path("id").asText("call_" + calls.size()), f.path("name").asText("?"),
                        f.path("arguments").asText("")));
            }
        }
        return new Message(r, text.toString(), r == Message.Role.USER ? parts : List.of(), calls,
                r == Message.Role.TOOL ? toolCallId : null);
    }

    @Override
    @SuppressWarnings("unchecked")
    List<Map<String, @Nullable Object>> tools(ParsedRequest pr) {
        Object tools = pr.body().get("tools");
        return tools instanceof List<?> l ? (List<Map<String, @Nullable Object>>) l : List.of();
    }

    @Override
    @Nullable Object toolChoice(ParsedRequest pr) {
        return pr.body().get("tool_choice");
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

package io.dspex.test;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import io.dspex.lm.Usage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Anthropic's Messages API: {@code POST /v1/messages} (a message, or server-sent events from {@code message_start}
 * to {@code message_stop} with {@code "stream": true}); a key ({@code x-api-key}, or a bearer token as the official
 * SDK 3.x sends it) and {@code anthropic-version} required; {@code max_tokens} required; one answer per request
 * (Anthropic has no {@code n}); tool calls as {@code tool_use} blocks (streamed as {@code input_json_delta}
 * fragments); errors as {@code {"type": "error", "error": {"type", "message"}}} with the {@code request-id} header.
 * It has no embeddings.
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

    /**
     * The library's finish reasons in Anthropic's words: {@code stop} -> {@code end_turn}, {@code tool_calls} ->
     * {@code tool_use}, {@code length} -> {@code max_tokens}, {@code content_filter} -> {@code refusal}; any other as
     * it is.
     */
    static String stopReason(LmResponse.Choice c) {
        String finish = Answer.finish(c);
        switch (finish) {
            case "stop": return "end_turn";
            case "tool_calls": return "tool_use";
            case "length": return "max_tokens";
            case "content_filter": return "refusal";
            default: return finish;
        }
    }

    private static void usage(JsonGenerator g, Usage u, long output) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("input_tokens", u.promptTokens() - u.cachedTokens() - u.cacheCreationTokens());
        g.writeNumberField("cache_creation_input_tokens", u.cacheCreationTokens());
        g.writeNumberField("cache_read_input_tokens", u.cachedTokens());
        g.writeNumberField("output_tokens", output);
        g.writeEndObject();
    }

    /** The tool calls' inputs as JSON objects, checked before anything is written. */
    private static List<JsonNode> inputs(LmResponse.Choice c) {
        List<JsonNode> inputs = new ArrayList<>(c.toolCalls().size());
        for (ToolCall call : c.toolCalls()) {
            inputs.add(argumentsObject(call, "Anthropic"));
        }
        return inputs;
    }

    /**
     * A message of the answer's first choice (Anthropic has one per request): a text block (left out when the choice
     * only calls tools), then a {@code tool_use} block per call with its input as a JSON object.
     */
    @Override
    byte[] chatBody(ParsedRequest pr, Answer answer) {
        LmResponse.Choice c = answer.choices().get(0);
        Usage u = answer.usage(List.of(c));
        List<JsonNode> inputs = inputs(c);
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("id", "msg_mock_" + pr.number());
            g.writeStringField("type", "message");
            g.writeStringField("role", "assistant");
            g.writeStringField("model", modelOr(pr));
            g.writeArrayFieldStart("content");
            if (!c.text().isEmpty() || c.toolCalls().isEmpty()) {
                g.writeStartObject();
                g.writeStringField("type", "text");
                g.writeStringField("text", c.text());
                g.writeEndObject();
            }
            for (int i = 0; i < c.toolCalls().size(); i++) {
                ToolCall call = c.toolCalls().get(i);
                g.writeStartObject();
                g.writeStringField("type", "tool_use");
                g.writeStringField("id", call.id());
                g.writeStringField("name", call.name());
                g.writeFieldName("input");
                g.writeTree(inputs.get(i));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("stop_reason", stopReason(c));
            g.writeNullField("stop_sequence");
            usage(g, u, u.completionTokens());
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

    private static byte[] streamError() {
        return event("error", error("overloaded_error", "stream failed"), EOL);
    }

    /**
     * Anthropic's events: {@code message_start}; a text block ({@code content_block_start}, a {@code ping}, one
     * {@code text_delta} per word, {@code content_block_stop}; left out when the choice only calls tools); per tool
     * call a {@code tool_use} block started with an empty input, its input in {@code input_json_delta}
     * {@link MockLmServer#fragments fragments}, and stopped; {@code message_delta} with the stop reason and output
     * tokens; {@code message_stop}.
     */
    @Override
    List<byte[]> sseEvents(ParsedRequest pr, Answer answer, Fault.@Nullable Kind kind) {
        LmResponse.Choice c = answer.choices().get(0);
        Usage u = answer.usage(List.of(c));
        inputs(c);
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
            usage(g, u, 1);
            g.writeEndObject();
        }));
        if (kind == Fault.Kind.MALFORMED_JSON) {
            events.add(("event: content_block_start" + EOL + "data: {\"type\": \"content_block_start\", [ not json"
                    + EOL + EOL).getBytes(StandardCharsets.UTF_8));
        }
        boolean errorPending = kind == Fault.Kind.STREAM_ERROR;
        int block = 0;
        if (!c.text().isEmpty() || c.toolCalls().isEmpty()) {
            int index = block++;
            events.add(sse("content_block_start", g -> {
                g.writeNumberField("index", index);
                g.writeObjectFieldStart("content_block");
                g.writeStringField("type", "text");
                g.writeStringField("text", "");
                g.writeEndObject();
            }));
            events.add(sse("ping", g -> { }));
            for (String d : MockLmServer.deltas(c.text())) {
                events.add(sse("content_block_delta", g -> {
                    g.writeNumberField("index", index);
                    g.writeObjectFieldStart("delta");
                    g.writeStringField("type", "text_delta");
                    g.writeStringField("text", d);
                    g.writeEndObject();
                }));
                if (errorPending) {
                    events.add(streamError());
                    errorPending = false;
                }
            }
            if (errorPending) {
                events.add(streamError());
                errorPending = false;
            }
            events.add(sse("content_block_stop", g -> g.writeNumberField("index", index)));
        }
        for (ToolCall call : c.toolCalls()) {
            int index = block++;
            events.add(sse("content_block_start", g -> {
                g.writeNumberField("index", index);
                g.writeObjectFieldStart("content_block");
                g.writeStringField("type", "tool_use");
                g.writeStringField("id", call.id());
                g.writeStringField("name", call.name());
                g.writeObjectFieldStart("input");
                g.writeEndObject();
                g.writeEndObject();
            }));
            if (index == 0) {
                events.add(sse("ping", g -> { }));
            }
            List<String> fragments = new ArrayList<>();
            fragments.add("");
            fragments.addAll(MockLmServer.fragments(call.arguments()));
            for (String fragment : fragments) {
                events.add(sse("content_block_delta", g -> {
                    g.writeNumberField("index", index);
                    g.writeObjectFieldStart("delta");
                    g.writeStringField("type", "input_json_delta");
                    g.writeStringField("partial_json", fragment);
                    g.writeEndObject();
                }));
                if (errorPending) {
                    events.add(streamError());
                    errorPending = false;
                }
            }
            events.add(sse("content_block_stop", g -> g.writeNumberField("index", index)));
        }
        String stopReason = stopReason(c);
        events.add(sse("message_delta", g -> {
            g.writeObjectFieldStart("delta");
            g.writeStringField("stop_reason", stopReason);
            g.writeNullField("stop_sequence");
            g.writeEndObject();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("output_tokens", u.completionTokens());
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
     * The top-level {@code system} as system messages (one per text block), then the turns: text content as it is;
     * an assistant's text blocks joined and its {@code tool_use} blocks as tool calls (arguments: the input's JSON);
     * a user turn's {@code tool_result} blocks as tool messages (their text) and its other blocks as one user message
     * of parts: text, images ({@code base64} sources as {@code data:} URIs, {@code url} sources as the URL), any
     * other block as a text part of its JSON.
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
            boolean assistant = "assistant".equals(m.path("role").asText());
            JsonNode content = m.path("content");
            if (!content.isArray()) {
                ms.add(message(assistant ? Message.Role.ASSISTANT : Message.Role.USER, text(content)));
            } else if (assistant) {
                ms.add(assistantTurn(content));
            } else {
                userTurn(content, ms);
            }
        }
        return Collections.unmodifiableList(ms);
    }

    private static Message assistantTurn(JsonNode blocks) {
        StringBuilder text = new StringBuilder();
        boolean anyText = false;
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode block : blocks) {
            String type = block.path("type").asText("");
            if (type.equals("text")) {
                text.append(block.path("text").asText(""));
                anyText = true;
            } else if (type.equals("tool_use")) {
                String id = block.path("id").asText("");
                calls.add(new ToolCall(id.isBlank() ? "toolu_" + calls.size() : id, block.path("name").asText("?"),
                        block.path("input").isObject() ? block.get("input").toString() : "{}"));
            }
        }
        if (!anyText && calls.isEmpty()) {
            return message(Message.Role.ASSISTANT, joinedText(blocks));
        }
        return Message.assistant(text.toString(), calls);
    }

    private static void userTurn(JsonNode blocks, List<Message> out) {
        List<Message.Part> parts = new ArrayList<>();
        for (JsonNode block : blocks) {
            String type = block.path("type").asText("");
            switch (type) {
                case "tool_result": {
                    String id = block.path("tool_use_id").asText("");
                    JsonNode result = block.path("content");
                    String text = result.isArray() ? joinedText(result)
                            : result.isMissingNode() || result.isNull() ? "" : text(result);
                    if (id.isBlank()) {
                        parts.add(new Message.Part.Text(text));
                    } else {
                        flush(parts, out);
                        out.add(Message.tool(id, text));
                    }
                    break;
                }
                case "text":
                    parts.add(new Message.Part.Text(block.path("text").asText("")));
                    break;
                case "image": {
                    JsonNode source = block.path("source");
                    String kind = source.path("type").asText("");
                    if (kind.equals("base64")) {
                        parts.add(new Message.Part.ImageUrl("data:" + source.path("media_type").asText("image/png")
                                + ";base64," + source.path("data").asText("")));
                    } else if (kind.equals("url") && !source.path("url").asText("").isBlank()) {
                        parts.add(new Message.Part.ImageUrl(source.path("url").asText()));
                    } else {
                        parts.add(new Message.Part.Text(block.toString()));
                    }
                    break;
                }
                default:
                    parts.add(new Message.Part.Text(block.toString()));
            }
        }
        flush(parts, out);
    }

    /** Adds the parts gathered so far as one user message, and forgets them. */
    private static void flush(List<Message.Part> parts, List<Message> out) {
        if (!parts.isEmpty()) {
            out.add(Message.user(List.copyOf(parts)));
            parts.clear();
        }
    }

    /** Anthropic's {@code {name, description, input_schema}} as OpenAI's function tools. */
    @Override
    List<Map<String, @Nullable Object>> tools(ParsedRequest pr) {
        List<Map<String, @Nullable Object>> out = new ArrayList<>();
        for (JsonNode t : pr.json().path("tools")) {
            out.add(function(t.path("name").asText(""), t.get("description"), t.get("input_schema")));
        }
        return Collections.unmodifiableList(out);
    }

    /** {@code auto} -> auto, {@code any} -> required, {@code none} -> none, {@code tool} -> that function. */
    @Override
    @Nullable Object toolChoice(ParsedRequest pr) {
        JsonNode choice = pr.json().get("tool_choice");
        if (choice == null || !choice.isObject()) {
            return null;
        }
        String type = choice.path("type").asText("");
        switch (type) {
            case "any": return "required";
            case "tool": return namedFunction(choice.path("name").asText(""));
            default: return type;
        }
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

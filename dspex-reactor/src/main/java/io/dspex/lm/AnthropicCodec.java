package io.dspex.lm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Writes and reads Anthropic's Messages API JSON: the request body ({@code system} at the top, {@code messages} of
 * text, image, {@code tool_use} and {@code tool_result} blocks, {@code max_tokens} always), a message, its usage and
 * stop reason, and the {@code error} object's type.
 */
final class AnthropicCodec {

    private AnthropicCodec() {
    }

    /**
     * Writes a {@code /v1/messages} body: the request's parameters, else the client's defaults {@code d} (whose model
     * and max tokens are always set); extra parameters at the top level, the request's winning.
     *
     * @throws IllegalArgumentException for what Anthropic cannot take: no message but system ones, a system message
     *                                  after the conversation started, a seed, tool-call arguments that are not a
     *                                  JSON object, an image URL that is neither http(s) nor a base64 data URI
     */
    static byte[] writeMessages(LmRequest r, CallConfig d, boolean stream) {
        CallConfig c = r.config();
        List<Message> messages = r.messages();
        int firstTurn = 0;
        while (firstTurn < messages.size() && messages.get(firstTurn).role() == Message.Role.SYSTEM) {
            firstTurn++;
        }
        if (firstTurn == messages.size()) {
            throw new IllegalArgumentException("AnthropicLm needs at least one user or assistant message; the request "
                    + "has only system messages (Anthropic takes system text at the top, not as a turn)");
        }
        for (int i = firstTurn; i < messages.size(); i++) {
            if (messages.get(i).role() == Message.Role.SYSTEM) {
                throw new IllegalArgumentException("messages[" + i + "] is a system message after the conversation "
                        + "started (messages[" + firstTurn + "] is a " + messages.get(firstTurn).role()
                        + " message): Anthropic takes system text only before the first turn");
            }
        }
        Long seed = c.seed() != null ? c.seed() : d.seed();
        if (seed != null) {
            throw new IllegalArgumentException("AnthropicLm: Anthropic's Messages API has no seed; remove "
                    + "CallConfig.seed (" + seed + ")");
        }
        Map<String, Object> extra = c.extra();
        int firstTurnIndex = firstTurn;
        return WireSupport.write(WireSupport.estimate(r), g -> {
            g.writeStartObject();
            if (!extra.containsKey("model")) {
                g.writeStringField("model", c.model() != null ? c.model() : d.model());
            }
            Integer maxTokens = c.maxTokens() != null ? c.maxTokens() : d.maxTokens();
            if (!extra.containsKey("max_tokens")) {
                g.writeNumberField("max_tokens", maxTokens == null ? AnthropicLm.DEFAULT_MAX_TOKENS : maxTokens);
            }
            if (firstTurnIndex > 0 && !extra.containsKey("system")) {
                writeSystem(g, messages.subList(0, firstTurnIndex));
            }
            g.writeArrayFieldStart("messages");
            writeTurns(g, messages, firstTurnIndex);
            g.writeEndArray();
            Double temperature = c.temperature() != null ? c.temperature() : d.temperature();
            if (temperature != null && !extra.containsKey("temperature")) {
                g.writeNumberField("temperature", temperature);
            }
            List<String> stop = c.stop() != null ? c.stop() : d.stop();
            if (stop != null && !stop.isEmpty() && !extra.containsKey("stop_sequences")) {
                g.writeArrayFieldStart("stop_sequences");
                for (String s : stop) {
                    g.writeString(s);
                }
                g.writeEndArray();
            }
            if (!r.tools().isEmpty() && !extra.containsKey("tools")) {
                writeTools(g, r.tools());
            }
            if (r.toolChoice() != null && !extra.containsKey("tool_choice")) {
                writeToolChoice(g, r.toolChoice());
            }
            Map<String, @Nullable Object> format = r.responseFormat();
            if (format != null && "json_schema".equals(format.get("type"))
                    && format.get("json_schema") instanceof Map<?, ?> js && js.get("schema") != null
                    && !extra.containsKey("output_config")) {
                g.writeObjectFieldStart("output_config");
                g.writeObjectFieldStart("format");
                g.writeStringField("type", "json_schema");
                g.writeFieldName("schema");
                g.writeObject(js.get("schema"));
                g.writeEndObject();
                g.writeEndObject();
            }
            for (Map.Entry<String, Object> e : d.extra().entrySet()) {
                if (!extra.containsKey(e.getKey()) && !written(e.getKey(), r, temperature, stop, firstTurnIndex)) {
                    g.writeFieldName(e.getKey());
                    g.writeObject(e.getValue());
                }
            }
            for (Map.Entry<String, Object> e : extra.entrySet()) {
                g.writeFieldName(e.getKey());
                g.writeObject(e.getValue());
            }
            if (stream) {
                g.writeBooleanField("stream", true);
            }
            g.writeEndObject();
        });
    }

    private static boolean written(String key, LmRequest r, @Nullable Double temperature, @Nullable List<String> stop,
                                   int systemCount) {
        switch (key) {
            case "model":
            case "max_tokens":
            case "messages":
                return true;
            case "system": return systemCount > 0;
            case "temperature": return temperature != null;
            case "stop_sequences": return stop != null && !stop.isEmpty();
            case "tools": return !r.tools().isEmpty();
            case "tool_choice": return r.toolChoice() != null;
            default: return false;
        }
    }

    /** One system message as a string; several as text blocks, in order. */
    private static void writeSystem(JsonGenerator g, List<Message> system) throws IOException {
        if (system.size() == 1) {
            g.writeStringField("system", system.get(0).content());
            return;
        }
        g.writeArrayFieldStart("system");
        for (Message m : system) {
            writeTextBlock(g, m.content());
        }
        g.writeEndArray();
    }

    /**
     * The turns: user and assistant messages one for one; consecutive tool results gathered in one user turn of
     * {@code tool_result} blocks, as Anthropic expects the answers to one assistant turn's calls.
     */
    private static void writeTurns(JsonGenerator g, List<Message> messages, int from) throws IOException {
        for (int i = from; i < messages.size(); i++) {
            Message m = messages.get(i);
            g.writeStartObject();
            switch (m.role()) {
                case USER:
                    g.writeStringField("role", "user");
                    g.writeFieldName("content");
                    if (m.hasParts()) {
                        g.writeStartArray();
                        for (Message.Part part : m.parts()) {
                            writePart(g, part, i);
                        }
                        g.writeEndArray();
                    } else {
                        g.writeString(m.content());
                    }
                    break;
                case ASSISTANT:
                    g.writeStringField("role", "assistant");
                    g.writeFieldName("content");
                    if (m.toolCalls().isEmpty()) {
                        g.writeString(m.content());
                    } else {
                        g.writeStartArray();
                        if (!m.content().isEmpty()) {
                            writeTextBlock(g, m.content());
                        }
                        for (ToolCall call : m.toolCalls()) {
                            g.writeStartObject();
                            g.writeStringField("type", "tool_use");
                            g.writeStringField("id", call.id());
                            g.writeStringField("name", call.name());
                            g.writeFieldName("input");
                            g.writeTree(WireSupport.arguments(call, i));
                            g.writeEndObject();
                        }
                        g.writeEndArray();
                    }
                    break;
                case TOOL:
                    g.writeStringField("role", "user");
                    g.writeArrayFieldStart("content");
                    while (true) {
                        Message t = messages.get(i);
                        g.writeStartObject();
                        g.writeStringField("type", "tool_result");
                        g.writeStringField("tool_use_id", t.toolCallId());
                        g.writeStringField("content", t.content());
                        g.writeEndObject();
                        if (i + 1 < messages.size() && messages.get(i + 1).role() == Message.Role.TOOL) {
                            i++;
                        } else {
                            break;
                        }
                    }
                    g.writeEndArray();
                    break;
                default:
                    throw new IllegalStateException("unreachable: system messages were checked, got " + m.role());
            }
            g.writeEndObject();
        }
    }

    private static void writeTextBlock(JsonGenerator g, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "text");
        g.writeStringField("text", text);
        g.writeEndObject();
    }

    /** A content part: a text block, or an image block from a base64 data URI or an http(s) URL. */
    private static void writePart(JsonGenerator g, Message.Part part, int index) throws IOException {
        if (part instanceof Message.Part.Text t) {
            writeTextBlock(g, t.text());
            return;
        }
        String url = ((Message.Part.ImageUrl) part).url();
        WireSupport.DataUri data = WireSupport.DataUri.parse(url, index);
        g.writeStartObject();
        g.writeStringField("type", "image");
        g.writeObjectFieldStart("source");
        if (data != null) {
            g.writeStringField("type", "base64");
            g.writeStringField("media_type", data.mediaType());
            g.writeStringField("data", data.base64());
        } else if (WireSupport.isHttp(url)) {
            g.writeStringField("type", "url");
            g.writeStringField("url", url);
        } else {
            throw new IllegalArgumentException("messages[" + index + "]: an image must be an http(s) URL or a base64 "
                    + "data: URI for Anthropic, got " + url.substring(0, Math.min(url.length(), 40)));
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    /** OpenAI's function tools as Anthropic's: {@code {name, description, input_schema}}. */
    private static void writeTools(JsonGenerator g, List<Map<String, Object>> tools) throws IOException {
        g.writeArrayFieldStart("tools");
        for (Map<String, Object> tool : tools) {
            WireSupport.Function f = WireSupport.Function.of(tool);
            g.writeStartObject();
            g.writeStringField("name", f.name());
            if (f.description() != null) {
                g.writeStringField("description", f.description());
            }
            g.writeFieldName("input_schema");
            if (f.parameters() != null) {
                g.writeObject(f.parameters());
            } else {
                g.writeStartObject();
                g.writeStringField("type", "object");
                g.writeObjectFieldStart("properties");
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** {@code auto} -> auto, {@code required} -> any, {@code none} -> none, a named function -> that tool. */
    private static void writeToolChoice(JsonGenerator g, Object choice) throws IOException {
        g.writeObjectFieldStart("tool_choice");
        String named = WireSupport.namedFunction(choice);
        if (named != null) {
            g.writeStringField("type", "tool");
            g.writeStringField("name", named);
        } else {
            g.writeStringField("type", "required".equals(choice) ? "any" : String.valueOf(choice));
        }
        g.writeEndObject();
    }

    // ------------------------------------------------------------------ reading

    /** A message body that is Anthropic's {@code {"type": "error", ...}} although the status said success. */
    static final class EmbeddedError extends IOException {
        private static final long serialVersionUID = 1L;
        final String type;

        EmbeddedError(String type, String message) {
            super(message);
            this.type = type;
        }
    }

    /**
     * Reads a message: its text blocks joined, its {@code tool_use} blocks as calls, stop reason and usage.
     *
     * @throws IOException when it is not a message
     */
    static LmResponse readMessage(byte[] body, @Nullable String requestId) throws IOException {
        JsonNode root = Json.MAPPER.readTree(body);
        if (root == null || !root.isObject()) {
            throw new IOException("expected a JSON object");
        }
        if ("error".equals(root.path("type").asText()) && root.has("error")) {
            JsonNode e = root.path("error");
            throw new EmbeddedError(e.path("type").asText("error"), e.path("message").asText(e.toString()));
        }
        JsonNode content = root.get("content");
        if (content == null || !content.isArray()) {
            throw new IOException("the message has no content array");
        }
        StringBuilder text = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>(0);
        for (JsonNode block : content) {
            String type = block.path("type").asText();
            if (type.equals("text")) {
                text.append(block.path("text").asText(""));
            } else if (type.equals("tool_use")) {
                calls.add(new ToolCall(nonBlank(block.path("id").asText(""), "toolu_" + calls.size()),
                        requireName(block), block.has("input") ? block.get("input").toString() : "{}"));
            }
        }
        String finish = finishReason(textOrNull(root.get("stop_reason")));
        String id = textOrNull(root.get("id"));
        return new LmResponse(List.of(new LmResponse.Choice(text.toString(), finish, calls)),
                usage(root.get("usage"), null), textOrNull(root.get("model")), requestId != null ? requestId : id, null,
                body);
    }

    private static String requireName(JsonNode block) throws IOException {
        String name = block.path("name").asText("");
        if (name.isBlank()) {
            throw new IOException("a tool_use block has no name");
        }
        return name;
    }

    private static String nonBlank(String s, String otherwise) {
        return s.isBlank() ? otherwise : s;
    }

    static @Nullable String textOrNull(@Nullable JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    /**
     * Anthropic's stop reasons in the library's words: {@code end_turn} and {@code stop_sequence} -> {@code stop},
     * {@code max_tokens} and {@code model_context_window_exceeded} -> {@code length}, {@code tool_use} ->
     * {@code tool_calls}, {@code refusal} -> {@code content_filter}; any other as Anthropic names it.
     */
    static @Nullable String finishReason(@Nullable String stopReason) {
        if (stopReason == null) {
            return null;
        }
        switch (stopReason) {
            case "end_turn":
            case "stop_sequence":
                return "stop";
            case "max_tokens":
            case "model_context_window_exceeded":
                return "length";
            case "tool_use":
                return "tool_calls";
            case "refusal":
                return "content_filter";
            default:
                return stopReason;
        }
    }

    /**
     * Reads a usage object over what an earlier one (a stream's {@code message_start}) reported: the prompt is the
     * uncached input plus the cache's reads and writes.
     */
    static Usage usage(@Nullable JsonNode u, @Nullable Usage before) {
        long input = before == null ? 0 : before.promptTokens() - before.cachedTokens() - before.cacheCreationTokens();
        long cacheRead = before == null ? 0 : before.cachedTokens();
        long cacheWrite = before == null ? 0 : before.cacheCreationTokens();
        long output = before == null ? 0 : before.completionTokens();
        if (u != null && u.isObject()) {
            input = count(u, "input_tokens", input);
            cacheRead = count(u, "cache_read_input_tokens", cacheRead);
            cacheWrite = count(u, "cache_creation_input_tokens", cacheWrite);
            output = count(u, "output_tokens", output);
        }
        long prompt = input + cacheRead + cacheWrite;
        return new Usage(prompt, output, prompt + output, cacheRead, cacheWrite);
    }

    private static long count(JsonNode u, String field, long otherwise) {
        JsonNode v = u.get(field);
        return v != null && v.canConvertToLong() ? Math.max(0, v.asLong()) : otherwise;
    }

    /** The HTTP status an Anthropic error type stands for (an error inside a 200 body or a stream). */
    static int status(String errorType) {
        switch (errorType) {
            case "invalid_request_error": return 400;
            case "authentication_error": return 401;
            case "billing_error": return 402;
            case "permission_error": return 403;
            case "not_found_error": return 404;
            case "request_too_large": return 413;
            case "rate_limit_error": return 429;
            case "timeout_error": return 504;
            case "overloaded_error": return 529;
            default: return 500;
        }
    }

    /** @return whether an error of this type (in a stream) is transient: rate limits, overload, server errors */
    static boolean retryable(String errorType) {
        return LmException.HttpError.defaultRetryable(status(errorType));
    }
}

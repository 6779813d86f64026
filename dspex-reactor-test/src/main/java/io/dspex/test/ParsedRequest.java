package io.dspex.test;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One request {@link MockLmServer} received, parsed: what rules and fault plans look at, and what tests assert.
 *
 * <pre>{@code
 * ParsedRequest r = server.requests().get(0);
 * assertThat(r.lastUserMessage()).contains("France");
 * assertThat(r.body()).containsEntry("temperature", 0.0);
 * }</pre>
 */
public final class ParsedRequest {

    /** The test kit's own Jackson mapper (the library's is internal to it). */
    static final ObjectMapper MAPPER = new ObjectMapper();

    private final long number;
    private final String path;
    private final Map<String, String> headers;
    private final byte[] rawBody;
    private final JsonNode json;
    private volatile @Nullable Map<String, @Nullable Object> body;
    private volatile List<Message> messages;

    ParsedRequest(long number, String path, Map<String, String> headers, byte[] rawBody, JsonNode json) {
        this.number = number;
        this.path = path;
        this.headers = headers;
        this.rawBody = rawBody;
        this.json = json;
    }

    /** @return the request's sequence number since the server started or was reset, from 1 */
    public long number() {
        return number;
    }

    /** @return the path, e.g. {@code /v1/chat/completions} */
    public String path() {
        return path;
    }

    /** @return whether this is a chat-completions request */
    public boolean isChat() {
        return path.endsWith("/chat/completions");
    }

    /** @return whether this is an embeddings request */
    public boolean isEmbeddings() {
        return path.endsWith("/embeddings");
    }

    /**
     * @param name a header name, any case
     * @return its value, or null when absent
     */
    public @Nullable String header(String name) {
        return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    /** @return all headers, names in lower case */
    public Map<String, String> headers() {
        return headers;
    }

    /** @return the JSON body as a map (JSON numbers as Integer/Long/Double, arrays as lists) */
    public Map<String, @Nullable Object> body() {
        Map<String, @Nullable Object> b = body;
        if (b == null) {
            b = Collections.unmodifiableMap(MAPPER.convertValue(json,
                    new TypeReference<Map<String, @Nullable Object>>() { }));
            body = b;
        }
        return b;
    }

    /** @return the body exactly as received, as UTF-8 text */
    public String rawBody() {
        return new String(rawBody, StandardCharsets.UTF_8);
    }

    /** @return the {@code model} field, or null when absent or not a string */
    public @Nullable String model() {
        JsonNode m = json.get("model");
        return m != null && m.isTextual() ? m.asText() : null;
    }

    /** @return whether the client asked for a stream ({@code "stream": true}) */
    public boolean stream() {
        return json.path("stream").asBoolean(false);
    }

    /** @return the number of choices asked for ({@code n}, default 1) */
    public int n() {
        return Math.max(1, json.path("n").asInt(1));
    }

    /**
     * The chat messages as the library's {@link Message}s: text or content parts ({@code text}, {@code image_url}), an
     * assistant's {@code tool_calls}, a tool result's {@code tool_call_id}. Unknown roles, and tool results without
     * an id, are read as user messages.
     *
     * @return the messages, in order
     */
    public List<Message> messages() {
        List<Message> ms = messages;
        if (ms == null) {
            ms = new ArrayList<>();
            for (JsonNode m : json.path("messages")) {
                ms.add(message(m));
            }
            ms = Collections.unmodifiableList(ms);
            messages = ms;
        }
        return ms;
    }

    private static Message message(JsonNode m) {
        Message.Role r;
        try {
            r = Message.Role.of(m.path("role").asText("user"));
        } catch (IllegalArgumentException other) {
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
        } else if (content.isTextual()) {
            text.append(content.asText());
        } else if (!content.isMissingNode() && !content.isNull()) {
            text.append(content.toString());
        }
        List<ToolCall> calls = new ArrayList<>();
        if (r == Message.Role.ASSISTANT) {
            for (JsonNode c : m.path("tool_calls")) {
                JsonNode f = c.path("function");
                calls.add(new ToolCall(c.path("id").asText("call_" + calls.size()), f.path("name").asText("?"),
                        f.path("arguments").asText("")));
            }
        }
        String toolCallId = m.path("tool_call_id").asText("");
        if (r == Message.Role.TOOL && toolCallId.isBlank()) {
            r = Message.Role.USER;
        }
        return new Message(r, text.toString(), r == Message.Role.USER ? parts : List.of(), calls,
                r == Message.Role.TOOL ? toolCallId : null);
    }

    /** @return the request's {@code tools} (OpenAI's function format), empty when none */
    @SuppressWarnings("unchecked")
    public List<Map<String, @Nullable Object>> tools() {
        Object tools = body().get("tools");
        return tools instanceof List<?> l ? (List<Map<String, @Nullable Object>>) l : List.of();
    }

    /** @return the request's {@code tool_choice} ({@code "auto"}, ... or a map), or null when absent */
    public @Nullable Object toolChoice() {
        return body().get("tool_choice");
    }

    /** @return the content of the last user message, or "" when there is none */
    public String lastUserMessage() {
        List<Message> ms = messages();
        for (int i = ms.size() - 1; i >= 0; i--) {
            if (ms.get(i).role() == Message.Role.USER) {
                return ms.get(i).content();
            }
        }
        return "";
    }

    /** @return the embedding inputs ({@code input}, a string or a list of strings) */
    public List<String> inputs() {
        JsonNode in = json.get("input");
        if (in == null) {
            return List.of();
        }
        if (in.isTextual()) {
            return List.of(in.asText());
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : in) {
            out.add(s.isTextual() ? s.asText() : s.toString());
        }
        return out;
    }

    JsonNode json() {
        return json;
    }

    @Override
    public String toString() {
        return "ParsedRequest[#" + number + " " + path + " " + (isChat() ? messages().size() + " messages" : "")
                + (stream() ? " stream" : "") + "]";
    }
}

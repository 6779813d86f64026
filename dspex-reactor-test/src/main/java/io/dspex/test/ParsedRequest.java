package io.dspex.test;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.lm.Message;
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

    /** @return the chat messages (roles other than system/user/assistant are read as user) */
    public List<Message> messages() {
        List<Message> ms = messages;
        if (ms == null) {
            ms = new ArrayList<>();
            for (JsonNode m : json.path("messages")) {
                String role = m.path("role").asText("user");
                String content = m.path("content").isTextual() ? m.path("content").asText() : m.path("content").toString();
                Message.Role r;
                try {
                    r = Message.Role.of(role);
                } catch (IllegalArgumentException other) {
                    r = Message.Role.USER;
                }
                ms.add(new Message(r, content));
            }
            ms = Collections.unmodifiableList(ms);
            messages = ms;
        }
        return ms;
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

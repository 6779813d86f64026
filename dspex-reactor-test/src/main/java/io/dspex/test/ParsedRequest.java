package io.dspex.test;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.lm.Message;
import java.nio.charset.StandardCharsets;
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
    private final long arrivalNanos;
    private final String path;
    private final String query;
    private final Map<String, String> headers;
    private final byte[] rawBody;
    private final JsonNode json;
    private final Wire wire;
    private final MockLmServer.Protocol protocol;
    private volatile @Nullable Map<String, @Nullable Object> body;
    private volatile @Nullable List<Message> messages;

    ParsedRequest(long number, long arrivalNanos, String path, String query, Map<String, String> headers,
                  byte[] rawBody, JsonNode json, MockLmServer.Protocol protocol) {
        this.number = number;
        this.arrivalNanos = arrivalNanos;
        this.path = path;
        this.query = query;
        this.headers = headers;
        this.rawBody = rawBody;
        this.json = json;
        this.protocol = protocol;
        this.wire = protocol.wire();
    }

    /**
     * @return {@code System.nanoTime()} when the server began handling the request (its head had arrived), for
     *         measuring how requests were spread in time at the server
     */
    public long arrivalNanos() {
        return arrivalNanos;
    }

    /** @return the wire protocol the request was sent in (the server's) */
    public MockLmServer.Protocol protocol() {
        return protocol;
    }

    /** @return the request's sequence number since the server started or was reset, from 1 */
    public long number() {
        return number;
    }

    /**
     * @return the path without the query, e.g. {@code /v1/chat/completions}, {@code /v1/messages},
     *         {@code /v1beta/models/gemini-2.5-flash:generateContent}
     */
    public String path() {
        return path;
    }

    /** @return the query string without its {@code ?} (e.g. {@code alt=sse}), or "" when there is none */
    public String query() {
        return query;
    }

    /** @return whether this is a chat (generation) request: chat completions, messages, generateContent */
    public boolean isChat() {
        return wire.route(path) == Wire.Endpoint.CHAT;
    }

    /** @return whether this is an embeddings request */
    public boolean isEmbeddings() {
        return wire.route(path) == Wire.Endpoint.EMBEDDINGS;
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

    /**
     * @return the model asked for: the body's {@code model} (OpenAI, Anthropic) or the one the path names (Gemini,
     *         without its {@code models/} prefix); null when absent
     */
    public @Nullable String model() {
        return wire.model(this);
    }

    /** @return whether the client asked for a stream ({@code "stream": true}, or Gemini's streamGenerateContent) */
    public boolean stream() {
        return wire.stream(this);
    }

    /** @return the number of choices asked for ({@code n}, Gemini's {@code candidateCount}; 1 for Anthropic) */
    public int n() {
        return wire.n(this);
    }

    /**
     * The conversation as the library's {@link Message}s, whatever the protocol: system text first (Anthropic's
     * {@code system}, Gemini's {@code systemInstruction}), then the turns in order, with their content parts (text and
     * images: OpenAI's {@code image_url}, Anthropic's image blocks and Gemini's {@code inlineData}/{@code fileData}, a
     * base64 image as a {@code data:} URI), an assistant's tool calls (OpenAI's {@code tool_calls}, Anthropic's
     * {@code tool_use} blocks, Gemini's {@code functionCall} parts) and the tool results as tool messages (OpenAI's
     * {@code tool} messages, Anthropic's {@code tool_result} blocks, Gemini's {@code functionResponse} parts). Roles
     * an OpenAI request names that are not system/user/assistant/tool, and tool results without an id, are read as
     * user messages. Gemini sends no call ids of its own: a call without one is {@code call_<n>} (n counting the
     * conversation's calls), and its result answers the earliest unanswered call of its name.
     *
     * @return the messages, in order
     */
    public List<Message> messages() {
        List<Message> ms = messages;
        if (ms == null) {
            ms = wire.messages(this);
            messages = ms;
        }
        return ms;
    }

    /**
     * @return the request's tools in OpenAI's function format ({@code {"type": "function", "function": {"name",
     *         "description", "parameters"}}}), whatever the protocol (Anthropic's {@code input_schema}, Gemini's
     *         {@code functionDeclarations}); empty when none
     */
    public List<Map<String, @Nullable Object>> tools() {
        return wire.tools(this);
    }

    /**
     * @return the request's tool choice in OpenAI's words ({@code "auto"}, {@code "required"}, {@code "none"}, or
     *         {@code {"type": "function", "function": {"name": ..}}}), whatever the protocol; null when absent
     */
    public @Nullable Object toolChoice() {
        return wire.toolChoice(this);
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

    /** @return the embedding inputs (OpenAI's {@code input}; the text of Gemini's contents) */
    public List<String> inputs() {
        return wire.inputs(this);
    }

    JsonNode json() {
        return json;
    }

    @Override
    public String toString() {
        return "ParsedRequest[#" + number + " " + protocol + " " + path + " "
                + (isChat() ? messages().size() + " messages" : "")
                + (stream() ? " stream" : "") + "]";
    }
}

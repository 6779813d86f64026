package io.dspex.lm;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** Writes and reads the OpenAI chat-completions and embeddings JSON with Jackson's streaming API. */
final class ChatCodec {

    private static final JsonFactory FACTORY = Json.MAPPER.getFactory();

    private ChatCodec() {
    }

    /**
     * Writes a chat-completions body: the request's parameters, else the client's defaults {@code d} (whose model is
     * always set); the client's extra parameters unless the request sets the same key or field.
     */
    static byte[] writeChat(LmRequest r, CallConfig d, boolean stream) {
        CallConfig c = r.config();
        // Sized for the whole body in the usual case (text that needs little escaping), so that it is built in one
        // block rather than grown block by block.
        int estimate = 256;
        for (Message m : r.messages()) {
            estimate += m.content().length() + 32;
        }
        try (ByteArrayBuilder bytes = new ByteArrayBuilder(Math.min(estimate, 1 << 20))) {
            try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
                Map<String, Object> extra = c.extra();
                g.writeStartObject();
                if (!extra.containsKey("model")) {
                    g.writeStringField("model", c.model() != null ? c.model() : d.model());
                }
                g.writeArrayFieldStart("messages");
                for (Message m : r.messages()) {
                    writeMessage(g, m);
                }
                g.writeEndArray();
                Double temperature = c.temperature() != null ? c.temperature() : d.temperature();
                if (temperature != null && !extra.containsKey("temperature")) {
                    g.writeNumberField("temperature", temperature);
                }
                Integer maxTokens = c.maxTokens() != null ? c.maxTokens() : d.maxTokens();
                if (maxTokens != null && !extra.containsKey("max_tokens")) {
                    g.writeNumberField("max_tokens", maxTokens);
                }
                Integer n = c.n() != null ? c.n() : d.n();
                if (n != null && !extra.containsKey("n")) {
                    g.writeNumberField("n", n);
                }
                List<String> stop = c.stop() != null ? c.stop() : d.stop();
                if (stop != null && !stop.isEmpty() && !extra.containsKey("stop")) {
                    g.writeArrayFieldStart("stop");
                    for (String s : stop) {
                        g.writeString(s);
                    }
                    g.writeEndArray();
                }
                if (r.responseFormat() != null && !extra.containsKey("response_format")) {
                    g.writeFieldName("response_format");
                    g.writeObject(r.responseFormat());
                }
                Long seed = c.seed() != null ? c.seed() : d.seed();
                if (seed != null && !extra.containsKey("seed")) {
                    g.writeNumberField("seed", seed);
                }
                if (!r.tools().isEmpty() && !extra.containsKey("tools")) {
                    g.writeFieldName("tools");
                    g.writeObject(r.tools());
                }
                if (r.toolChoice() != null && !extra.containsKey("tool_choice")) {
                    g.writeFieldName("tool_choice");
                    g.writeObject(r.toolChoice());
                }
                for (Map.Entry<String, Object> e : d.extra().entrySet()) {
                    String k = e.getKey();
                    if (!extra.containsKey(k) && !written(k, r, temperature, maxTokens, n, stop, seed)) {
                        g.writeFieldName(k);
                        g.writeObject(e.getValue());
                    }
                }
                for (Map.Entry<String, Object> e : extra.entrySet()) {
                    g.writeFieldName(e.getKey());
                    g.writeObject(e.getValue());
                }
                if (stream) {
                    g.writeBooleanField("stream", true);
                    g.writeObjectFieldStart("stream_options");
                    g.writeBooleanField("include_usage", true);
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalArgumentException("LmRequest cannot be written as JSON (check extra/responseFormat "
                    + "values): " + e.getMessage(), e);
        }
    }

    /**
     * One message: its role; its content as text, as content parts ({@code text}, {@code image_url}), or null for an
     * assistant turn that only calls tools; the assistant's {@code tool_calls}; a tool result's {@code tool_call_id}.
     */
    private static void writeMessage(JsonGenerator g, Message m) throws IOException {
        g.writeStartObject();
        g.writeStringField("role", m.role().toString());
        g.writeFieldName("content");
        if (m.hasParts()) {
            g.writeStartArray();
            for (Message.Part part : m.parts()) {
                g.writeStartObject();
                if (part instanceof Message.Part.Text t) {
                    g.writeStringField("type", "text");
                    g.writeStringField("text", t.text());
                } else if (part instanceof Message.Part.ImageUrl i) {
                    g.writeStringField("type", "image_url");
                    g.writeObjectFieldStart("image_url");
                    g.writeStringField("url", i.url());
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        } else if (m.content().isEmpty() && !m.toolCalls().isEmpty()) {
            g.writeNull();
        } else {
            writeContent(g, m);
        }
        if (!m.toolCalls().isEmpty()) {
            g.writeArrayFieldStart("tool_calls");
            for (ToolCall call : m.toolCalls()) {
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
        if (m.toolCallId() != null) {
            g.writeStringField("tool_call_id", m.toolCallId());
        }
        g.writeEndObject();
    }

    /** System prompts at least this long have their escaped JSON remembered. */
    static final int ESCAPE_CACHE_MIN_LENGTH = 256;
    private static final AtomicReferenceArray<Escaped> ESCAPED = new AtomicReferenceArray<>(64);

    /**
     * The generator writes characters outside the Basic Multilingual Plane (and lone surrogates) as JSON
     * backslash-u escapes where the encoder would write UTF-8: such prompts are not remembered, so the bytes
     * never differ.
     */
    private static boolean hasSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** A system prompt and its JSON-escaped UTF-8 bytes (without the quotes), or null to write it as usual. */
    private record Escaped(String text, byte @Nullable [] json) {
    }

    /**
     * Writes a message's content. A predictor sends the same system prompt (the same {@code String} instance,
     * prepared once per signature) on every call, and escaping it was the largest part of writing a request:
     * its escaped bytes are kept in a small table keyed by identity and written raw. Other messages, and short
     * prompts, are written as usual. The bytes are the same either way.
     */
    private static void writeContent(JsonGenerator g, Message m) throws IOException {
        String c = m.content();
        if (m.role() != Message.Role.SYSTEM || c.length() < ESCAPE_CACHE_MIN_LENGTH) {
            g.writeString(c);
            return;
        }
        int slot = System.identityHashCode(c) & (ESCAPED.length() - 1);
        Escaped e = ESCAPED.get(slot);
        if (e == null || e.text != c) {
            e = new Escaped(c, hasSurrogate(c) ? null : JsonStringEncoder.getInstance().quoteAsUTF8(c));
            ESCAPED.set(slot, e);
        }
        if (e.json == null) {
            g.writeString(c);
        } else {
            g.writeRawUTF8String(e.json, 0, e.json.length);
        }
    }

    private static boolean written(String key, LmRequest r, @Nullable Double temperature,
                                   @Nullable Integer maxTokens, @Nullable Integer n, @Nullable List<String> stop,
                                   @Nullable Long seed) {
        switch (key) {
            case "model": return true;
            case "temperature": return temperature != null;
            case "max_tokens": return maxTokens != null;
            case "n": return n != null;
            case "stop": return stop != null && !stop.isEmpty();
            case "response_format": return r.responseFormat() != null;
            case "seed": return seed != null;
            case "tools": return !r.tools().isEmpty();
            case "tool_choice": return r.toolChoice() != null;
            default: return false;
        }
    }

    static byte[] writeEmbeddings(String model, List<String> inputs) {
        try (ByteArrayBuilder bytes = new ByteArrayBuilder(256)) {
            try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
                g.writeStartObject();
                g.writeStringField("model", model);
                g.writeArrayFieldStart("input");
                for (String s : inputs) {
                    g.writeString(s);
                }
                g.writeEndArray();
                g.writeStringField("encoding_format", "float");
                g.writeEndObject();
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("embedding request could not be written", e);
        }
    }

    /** Thrown by the readers when the body is valid JSON but not the protocol's shape. */
    static final class ShapeException extends IOException {
        private static final long serialVersionUID = 1L;

        ShapeException(String message) {
            super(message);
        }
    }

    /** A 200 body that holds an {@code error} object instead of choices (some gateways do this). */
    static final class EmbeddedError extends IOException {
        private static final long serialVersionUID = 1L;
        final int code;

        EmbeddedError(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    /**
     * One choice as read: its index, the choice, and the pieces of its tool calls as they appeared in a stream delta
     * (a completion's message has whole calls, which are in the choice).
     */
    private record IndexedChoice(int index, LmResponse.Choice choice, List<ToolCallDelta> toolCallDeltas) {
    }

    /**
     * One entry of a {@code tool_calls} array: whole in a completion's message; in a stream, the first fragment of a
     * call carries its id and name and the later ones only more of its arguments, all under the call's index.
     */
    record ToolCallDelta(int index, @Nullable String id, @Nullable String name, @Nullable String arguments) {
    }

    static LmResponse readChat(byte[] body, @Nullable String headerRequestId) throws IOException {
        List<IndexedChoice> choices = new ArrayList<>(1);
        Usage usage = null;
        String model = null;
        String id = null;
        JsonNode error = null;
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ShapeException("expected a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken t = p.nextToken();
                switch (f) {
                    case "id":
                        id = t == JsonToken.VALUE_STRING ? p.getText() : null;
                        break;
                    case "model":
                        model = t == JsonToken.VALUE_STRING ? p.getText() : null;
                        break;
                    case "usage":
                        usage = t == JsonToken.START_OBJECT ? readUsage(p) : null;
                        break;
                    case "choices":
                        if (t == JsonToken.START_ARRAY) {
                            int pos = 0;
                            while (p.nextToken() == JsonToken.START_OBJECT) {
                                choices.add(readChoice(p, pos++));
                            }
                        } else {
                            p.skipChildren();
                        }
                        break;
                    case "error":
                        error = p.readValueAsTree();
                        break;
                    default:
                        p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw new ShapeException("unexpected token " + p.currentToken());
            }
        }
        if (choices.isEmpty()) {
            if (error != null && !error.isNull()) {
                throw embeddedError(error);
            }
            throw new ShapeException("the response has no choices");
        }
        if (choices.size() > 1) {
            choices.sort(Comparator.comparingInt(IndexedChoice::index));
        }
        List<LmResponse.Choice> list = new ArrayList<>(choices.size());
        for (IndexedChoice c : choices) {
            list.add(c.choice());
        }
        return new LmResponse(list, usage, model, headerRequestId != null ? headerRequestId : id, null, body);
    }

    private static EmbeddedError embeddedError(JsonNode error) {
        String[] mc = errorMessage(error);
        int code = error.path("code").isInt() ? error.path("code").asInt() : -1;
        return new EmbeddedError(code, mc[0]);
    }

    private static IndexedChoice readChoice(JsonParser p, int position) throws IOException {
        int index = position;
        String text = "";
        String finish = null;
        List<ToolCallDelta> deltas = List.of();
        boolean whole = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            switch (f) {
                case "index":
                    if (t == JsonToken.VALUE_NUMBER_INT) {
                        index = p.getIntValue();
                    }
                    break;
                case "finish_reason":
                    finish = t == JsonToken.VALUE_STRING ? p.getText() : null;
                    break;
                case "message":
                case "delta":
                    if (t == JsonToken.START_OBJECT) {
                        whole = f.equals("message");
                        List<ToolCallDelta> found = new ArrayList<>(0);
                        text = readContent(p, found);
                        deltas = found;
                    } else {
                        p.skipChildren();
                    }
                    break;
                case "text":
                    if (t == JsonToken.VALUE_STRING) {
                        text = p.getText();
                    }
                    break;
                default:
                    p.skipChildren();
            }
        }
        List<ToolCall> calls = List.of();
        if (whole && !deltas.isEmpty()) {
            calls = new ArrayList<>(deltas.size());
            for (ToolCallDelta d : deltas) {
                if (d.name() == null || d.name().isBlank()) {
                    throw new ShapeException("tool call " + d.index() + " of choice " + index + " has no function name");
                }
                calls.add(new ToolCall(d.id() != null && !d.id().isBlank() ? d.id() : "call_" + d.index(), d.name(),
                        d.arguments() == null ? "{}" : d.arguments()));
            }
        }
        return new IndexedChoice(index, new LmResponse.Choice(text, finish, calls), whole ? List.of() : deltas);
    }

    /**
     * Reads a message/delta object, positioned on its START_OBJECT; returns its text content or "", and adds the
     * entries of its {@code tool_calls} to {@code toolCalls}.
     */
    private static String readContent(JsonParser p, List<ToolCallDelta> toolCalls) throws IOException {
        String text = "";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            if (f.equals("tool_calls") && t == JsonToken.START_ARRAY) {
                JsonNode calls = p.readValueAsTree();
                int pos = 0;
                for (JsonNode call : calls) {
                    JsonNode fn = call.path("function");
                    toolCalls.add(new ToolCallDelta(call.path("index").isInt() ? call.path("index").asInt() : pos,
                            textOrNull(call.get("id")), textOrNull(fn.get("name")), textOrNull(fn.get("arguments"))));
                    pos++;
                }
            } else if (f.equals("content")) {
                if (t == JsonToken.VALUE_STRING) {
                    text = p.getText();
                } else if (t == JsonToken.START_ARRAY) {
                    StringBuilder sb = new StringBuilder();
                    JsonNode parts = p.readValueAsTree();
                    for (JsonNode part : parts) {
                        if (part.isTextual()) {
                            sb.append(part.asText());
                        } else if (part.path("text").isTextual()) {
                            sb.append(part.path("text").asText());
                        }
                    }
                    text = sb.toString();
                } else {
                    p.skipChildren();
                }
            } else {
                p.skipChildren();
            }
        }
        return text;
    }

    private static @Nullable String textOrNull(@Nullable JsonNode node) {
        return node == null || node.isNull() ? null : node.isTextual() ? node.asText() : node.toString();
    }

    private static Usage readUsage(JsonParser p) throws IOException {
        long prompt = 0;
        long completion = 0;
        long total = -1;
        long cached = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            if (f.equals("prompt_tokens_details") && t == JsonToken.START_OBJECT) {
                JsonNode details = p.readValueAsTree();
                cached = Math.max(0, details.path("cached_tokens").asLong(0));
            } else if (t == JsonToken.VALUE_NUMBER_INT) {
                long v = Math.max(0, p.getLongValue());
                switch (f) {
                    case "prompt_tokens": prompt = v; break;
                    case "completion_tokens": completion = v; break;
                    case "total_tokens": total = v; break;
                    default: break;
                }
            } else {
                p.skipChildren();
            }
        }
        return new Usage(prompt, completion, total < 0 ? prompt + completion : total, cached, 0);
    }

    /** What one streamed {@code data:} JSON holds: text chunks, tool-call fragments by choice, an error. */
    record StreamData(List<LmChunk> chunks, List<ChoiceToolCallDelta> toolCallDeltas,
                      @Nullable JsonNode error) {
    }

    /** A tool-call fragment of one streamed choice. */
    record ChoiceToolCallDelta(int choiceIndex, ToolCallDelta delta) {
    }

    static StreamData readStreamData(String data) throws IOException {
        List<LmChunk> chunks = new ArrayList<>(2);
        List<ChoiceToolCallDelta> toolCalls = List.of();
        Usage usage = null;
        JsonNode error = null;
        try (JsonParser p = FACTORY.createParser(data)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ShapeException("expected a JSON object in a stream event");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken t = p.nextToken();
                switch (f) {
                    case "choices":
                        if (t == JsonToken.START_ARRAY) {
                            int pos = 0;
                            while (p.nextToken() == JsonToken.START_OBJECT) {
                                IndexedChoice c = readChoice(p, pos++);
                                if (!c.toolCallDeltas().isEmpty()) {
                                    if (toolCalls.isEmpty()) {
                                        toolCalls = new ArrayList<>(c.toolCallDeltas().size());
                                    }
                                    for (ToolCallDelta d : c.toolCallDeltas()) {
                                        toolCalls.add(new ChoiceToolCallDelta(Math.max(0, c.index()), d));
                                    }
                                }
                                if (!c.choice().text().isEmpty() || c.choice().finishReason() != null) {
                                    chunks.add(new LmChunk(c.choice().text(), Math.max(0, c.index()),
                                            c.choice().finishReason(), null));
                                }
                            }
                        } else {
                            p.skipChildren();
                        }
                        break;
                    case "usage":
                        usage = t == JsonToken.START_OBJECT ? readUsage(p) : null;
                        break;
                    case "error":
                        error = p.readValueAsTree();
                        break;
                    default:
                        p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw new ShapeException("unexpected token " + p.currentToken());
            }
        }
        if (usage != null) {
            chunks.add(LmChunk.ofUsage(usage));
        }
        return new StreamData(chunks, toolCalls, error == null || error.isNull() ? null : error);
    }

    static List<float[]> readEmbeddings(byte[] body, int expected) throws IOException {
        float[][] out = new float[expected][];
        JsonNode error = null;
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ShapeException("expected a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken t = p.nextToken();
                if (f.equals("data") && t == JsonToken.START_ARRAY) {
                    int pos = 0;
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        int index = pos++;
                        float[] vector = null;
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String g = p.currentName();
                            JsonToken u = p.nextToken();
                            if (g.equals("index") && u == JsonToken.VALUE_NUMBER_INT) {
                                index = p.getIntValue();
                            } else if (g.equals("embedding") && u == JsonToken.START_ARRAY) {
                                vector = readFloats(p);
                            } else if (g.equals("embedding") && u == JsonToken.VALUE_STRING) {
                                ByteBuffer bb = ByteBuffer.wrap(Base64.getDecoder().decode(p.getText()))
                                        .order(ByteOrder.LITTLE_ENDIAN);
                                vector = new float[bb.remaining() / 4];
                                bb.asFloatBuffer().get(vector);
                            } else {
                                p.skipChildren();
                            }
                        }
                        if (index < 0 || index >= expected) {
                            throw new ShapeException("embedding index " + index + " out of range 0.." + (expected - 1));
                        }
                        if (vector == null) {
                            throw new ShapeException("embedding " + index + " has no vector");
                        }
                        out[index] = vector;
                    }
                } else if (f.equals("error")) {
                    error = p.readValueAsTree();
                } else {
                    p.skipChildren();
                }
            }
        }
        for (int i = 0; i < expected; i++) {
            if (out[i] == null) {
                if (error != null && !error.isNull()) {
                    throw embeddedError(error);
                }
                throw new ShapeException("expected " + expected + " embeddings, input " + i + " has none");
            }
        }
        return List.of(out);
    }

    private static float[] readFloats(JsonParser p) throws IOException {
        float[] v = new float[64];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw new ShapeException("embedding holds a non-number: " + t);
            }
            if (n == v.length) {
                v = java.util.Arrays.copyOf(v, n * 2);
            }
            v[n++] = p.getFloatValue();
        }
        return java.util.Arrays.copyOf(v, n);
    }

    /**
     * Extracts the provider's message from an error body: OpenAI's {@code {"error":{"message","type","code"}}},
     * vLLM's {@code {"object":"error","message"}}, FastAPI's {@code {"detail"}}, or the text itself.
     *
     * @return {message, code-or-type or null}
     */
    static @Nullable String[] errorMessage(JsonNode node) {
        JsonNode e = node.has("error") ? node.get("error") : node;
        if (e.isTextual()) {
            return new String[] {e.asText(), null};
        }
        String message = null;
        for (String key : new String[] {"message", "detail", "msg"}) {
            JsonNode m = e.get(key);
            if (m != null && !m.isNull()) {
                message = m.isTextual() ? m.asText() : m.toString();
                break;
            }
        }
        if (message == null) {
            message = e.toString();
        }
        String code = null;
        JsonNode c = e.get("code");
        if (c != null && !c.isNull()) {
            code = c.asText();
        } else if (e.get("type") != null && e.get("type").isTextual()) {
            code = e.get("type").asText();
        }
        return new String[] {message, code};
    }

    /** The provider's message and code (or type) from an error body, JSON or text. */
    static HttpTransport.ProviderError readError(byte[] body) {
        if (body.length == 0) {
            return new HttpTransport.ProviderError("", null, null);
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            if (node != null && node.isObject()) {
                String[] mc = errorMessage(node);
                return new HttpTransport.ProviderError(mc[0], mc[1], null);
            }
        } catch (IOException notJson) {
            // the body is plain text
        }
        return new HttpTransport.ProviderError(errorText(body), null, null);
    }

    /** @return the start of a body that is not JSON (an HTML page from a proxy, plain text), as text */
    static String errorText(byte[] body) {
        int n = Math.min(body.length, LmException.MAX_PROVIDER_MESSAGE * 4);
        return new String(body, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }
}

package io.dspex.lm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Writes and reads the Gemini API's JSON ({@code generateContent}, {@code streamGenerateContent},
 * {@code embedContent}, {@code batchEmbedContents}): {@code contents} of {@code user}/{@code model} turns with text,
 * inline or file data, {@code functionCall} and {@code functionResponse} parts; {@code systemInstruction};
 * {@code generationConfig}; {@code tools} and {@code toolConfig}; candidates, their finish reasons and
 * {@code usageMetadata}; the {@code google.rpc.Status} error body with its {@code RetryInfo}.
 */
final class GeminiCodec {

    /** Extra parameters that belong at the top of the body; every other goes into {@code generationConfig}. */
    static final Set<String> TOP_LEVEL = Set.of("safetySettings", "cachedContent", "labels", "tools", "toolConfig",
            "systemInstruction", "contents");

    private GeminiCodec() {
    }

    /**
     * Writes a {@code generateContent} body (the model is in the URL): the request's parameters, else the client's
     * defaults {@code d}; an extra parameter goes into {@code generationConfig} under the name given (Gemini's,
     * e.g. {@code topP}) unless it is a top-level field ({@link #TOP_LEVEL}, e.g. {@code safetySettings}).
     *
     * @throws IllegalArgumentException for what Gemini cannot take: no message but system ones, a system message
     *                                  after the conversation started, a tool result whose call no earlier assistant
     *                                  message made, tool-call arguments that are not a JSON object
     */
    static byte[] writeGenerate(LmRequest r, CallConfig d) {
        CallConfig c = r.config();
        List<Message> messages = r.messages();
        int firstTurn = 0;
        while (firstTurn < messages.size() && messages.get(firstTurn).role() == Message.Role.SYSTEM) {
            firstTurn++;
        }
        if (firstTurn == messages.size()) {
            throw new IllegalArgumentException("GeminiLm needs at least one user or assistant message; the request "
                    + "has only system messages (Gemini takes them as the systemInstruction, not as a turn)");
        }
        for (int i = firstTurn; i < messages.size(); i++) {
            if (messages.get(i).role() == Message.Role.SYSTEM) {
                throw new IllegalArgumentException("messages[" + i + "] is a system message after the conversation "
                        + "started (messages[" + firstTurn + "] is a " + messages.get(firstTurn).role()
                        + " message): Gemini takes system text only as the systemInstruction, before the first turn");
            }
        }
        Map<String, Object> extra = new java.util.LinkedHashMap<>(d.extra());
        extra.putAll(c.extra());
        int first = firstTurn;
        return WireSupport.write(WireSupport.estimate(r), g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("contents");
            writeContents(g, messages, first);
            g.writeEndArray();
            if (first > 0 && !extra.containsKey("systemInstruction")) {
                g.writeObjectFieldStart("systemInstruction");
                g.writeArrayFieldStart("parts");
                for (int i = 0; i < first; i++) {
                    writeText(g, messages.get(i).content());
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            if (!r.tools().isEmpty() && !extra.containsKey("tools")) {
                writeTools(g, r.tools());
            }
            if (r.toolChoice() != null && !extra.containsKey("toolConfig")) {
                writeToolConfig(g, r.toolChoice());
            }
            for (Map.Entry<String, Object> e : extra.entrySet()) {
                if (TOP_LEVEL.contains(e.getKey())) {
                    g.writeFieldName(e.getKey());
                    g.writeObject(e.getValue());
                }
            }
            writeGenerationConfig(g, r, d, extra);
            g.writeEndObject();
        });
    }

    private static void writeGenerationConfig(JsonGenerator g, LmRequest r, CallConfig d, Map<String, Object> extra)
            throws IOException {
        CallConfig c = r.config();
        Map<String, Object> config = new java.util.LinkedHashMap<>();
        Double temperature = c.temperature() != null ? c.temperature() : d.temperature();
        if (temperature != null) {
            config.put("temperature", temperature);
        }
        Integer maxTokens = c.maxTokens() != null ? c.maxTokens() : d.maxTokens();
        if (maxTokens != null) {
            config.put("maxOutputTokens", maxTokens);
        }
        Integer n = c.n() != null ? c.n() : d.n();
        if (n != null) {
            config.put("candidateCount", n);
        }
        List<String> stop = c.stop() != null ? c.stop() : d.stop();
        if (stop != null && !stop.isEmpty()) {
            config.put("stopSequences", stop);
        }
        Long seed = c.seed() != null ? c.seed() : d.seed();
        if (seed != null) {
            config.put("seed", seed);
        }
        Map<String, @Nullable Object> format = r.responseFormat();
        if (format != null) {
            Object type = format.get("type");
            if ("json_object".equals(type)) {
                config.put("responseMimeType", "application/json");
            } else if ("json_schema".equals(type) && format.get("json_schema") instanceof Map<?, ?> js
                    && js.get("schema") != null) {
                config.put("responseMimeType", "application/json");
                config.put("responseJsonSchema", js.get("schema"));
            }
        }
        for (Map.Entry<String, Object> e : extra.entrySet()) {
            if (!TOP_LEVEL.contains(e.getKey())) {
                config.put(e.getKey(), e.getValue());
            }
        }
        if (!config.isEmpty()) {
            g.writeFieldName("generationConfig");
            g.writeObject(config);
        }
    }

    /**
     * The turns: user and tool results as {@code user}, assistant as {@code model}; consecutive messages of one role
     * merged into one content (Gemini expects the turns to alternate), so the results of one turn's calls travel
     * together.
     */
    private static void writeContents(JsonGenerator g, List<Message> messages, int from) throws IOException {
        Map<String, String> callNames = new HashMap<>();
        String open = null;
        for (int i = from; i < messages.size(); i++) {
            Message m = messages.get(i);
            String role = m.role() == Message.Role.ASSISTANT ? "model" : "user";
            if (!role.equals(open)) {
                if (open != null) {
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeStartObject();
                g.writeStringField("role", role);
                g.writeArrayFieldStart("parts");
                open = role;
            }
            switch (m.role()) {
                case USER:
                    if (m.hasParts()) {
                        for (Message.Part part : m.parts()) {
                            writePart(g, part, i);
                        }
                    } else {
                        writeText(g, m.content());
                    }
                    break;
                case ASSISTANT:
                    if (!m.content().isEmpty() || m.toolCalls().isEmpty()) {
                        writeText(g, m.content());
                    }
                    for (ToolCall call : m.toolCalls()) {
                        callNames.put(call.id(), call.name());
                        g.writeStartObject();
                        g.writeObjectFieldStart("functionCall");
                        g.writeStringField("name", call.name());
                        g.writeFieldName("args");
                        g.writeTree(WireSupport.arguments(call, i));
                        g.writeEndObject();
                        g.writeEndObject();
                    }
                    break;
                case TOOL: {
                    String name = callNames.get(m.toolCallId());
                    if (name == null) {
                        throw new IllegalArgumentException("messages[" + i + "] answers tool call '" + m.toolCallId()
                                + "', which no earlier assistant message made: Gemini needs the function's name");
                    }
                    g.writeStartObject();
                    g.writeObjectFieldStart("functionResponse");
                    g.writeStringField("name", name);
                    g.writeObjectFieldStart("response");
                    g.writeStringField("output", m.content());
                    g.writeEndObject();
                    g.writeEndObject();
                    g.writeEndObject();
                    break;
                }
                default:
                    throw new IllegalStateException("unreachable: system messages were checked, got " + m.role());
            }
        }
        if (open != null) {
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private static void writeText(JsonGenerator g, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("text", text);
        g.writeEndObject();
    }

    /** A content part: text, an image as {@code inlineData} (a base64 data URI) or {@code fileData} (a URL). */
    private static void writePart(JsonGenerator g, Message.Part part, int index) throws IOException {
        if (part instanceof Message.Part.Text t) {
            writeText(g, t.text());
            return;
        }
        String url = ((Message.Part.ImageUrl) part).url();
        WireSupport.DataUri data = WireSupport.DataUri.parse(url, index);
        g.writeStartObject();
        if (data != null) {
            g.writeObjectFieldStart("inlineData");
            g.writeStringField("mimeType", data.mediaType());
            g.writeStringField("data", data.base64());
        } else {
            g.writeObjectFieldStart("fileData");
            String mime = imageMimeType(url);
            if (mime != null) {
                g.writeStringField("mimeType", mime);
            }
            g.writeStringField("fileUri", url);
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    /** @return the image media type a URL's file extension names, or null */
    static @Nullable String imageMimeType(String url) {
        String path = url.toLowerCase(Locale.ROOT);
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        if (path.endsWith(".png")) {
            return "image/png";
        }
        if (path.endsWith(".jpg") || path.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        if (path.endsWith(".webp")) {
            return "image/webp";
        }
        if (path.endsWith(".gif")) {
            return "image/gif";
        }
        if (path.endsWith(".heic")) {
            return "image/heic";
        }
        return null;
    }

    /** OpenAI's function tools as one Gemini tool of {@code functionDeclarations} (JSON Schema parameters). */
    private static void writeTools(JsonGenerator g, List<Map<String, Object>> tools) throws IOException {
        g.writeArrayFieldStart("tools");
        g.writeStartObject();
        g.writeArrayFieldStart("functionDeclarations");
        for (Map<String, Object> tool : tools) {
            WireSupport.Function f = WireSupport.Function.of(tool);
            g.writeStartObject();
            g.writeStringField("name", f.name());
            if (f.description() != null) {
                g.writeStringField("description", f.description());
            }
            if (f.parameters() != null) {
                g.writeFieldName("parametersJsonSchema");
                g.writeObject(f.parameters());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndArray();
    }

    /** {@code auto} -> AUTO, {@code required} -> ANY, {@code none} -> NONE, a named function -> ANY of it alone. */
    private static void writeToolConfig(JsonGenerator g, Object choice) throws IOException {
        g.writeObjectFieldStart("toolConfig");
        g.writeObjectFieldStart("functionCallingConfig");
        String named = WireSupport.namedFunction(choice);
        if (named != null) {
            g.writeStringField("mode", "ANY");
            g.writeArrayFieldStart("allowedFunctionNames");
            g.writeString(named);
            g.writeEndArray();
        } else {
            g.writeStringField("mode", "required".equals(choice) ? "ANY"
                    : String.valueOf(choice).toUpperCase(Locale.ROOT));
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    /** @return an {@code embedContent} body for one text */
    static byte[] writeEmbed(String modelResource, String text) {
        return WireSupport.write(text.length() + 64, g -> {
            g.writeStartObject();
            writeEmbedRequest(g, modelResource, text);
            g.writeEndObject();
        });
    }

    /** @return a {@code batchEmbedContents} body for several texts */
    static byte[] writeBatchEmbed(String modelResource, List<String> texts) {
        int estimate = 64;
        for (String t : texts) {
            estimate += t.length() + 64;
        }
        return WireSupport.write(estimate, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("requests");
            for (String t : texts) {
                g.writeStartObject();
                writeEmbedRequest(g, modelResource, t);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static void writeEmbedRequest(JsonGenerator g, String modelResource, String text) throws IOException {
        g.writeStringField("model", modelResource);
        g.writeObjectFieldStart("content");
        g.writeArrayFieldStart("parts");
        writeText(g, text);
        g.writeEndArray();
        g.writeEndObject();
    }

    // ------------------------------------------------------------------ reading

    /** One candidate's piece of a response or stream chunk. */
    record CandidatePiece(int index, String text, List<ToolCall> calls, @Nullable String finishReason) {
    }

    /** What one response or stream chunk holds. */
    record Piece(List<CandidatePiece> candidates, @Nullable Usage usage, @Nullable String model,
                 @Nullable String blockReason, @Nullable JsonNode error) {
    }

    /**
     * Reads a {@code GenerateContentResponse} (a whole one or a stream chunk).
     *
     * @param callOffset where a candidate's generated call ids ({@code call_<n>}) start, per candidate index
     * @throws IOException when it is not one
     */
    static Piece readPiece(JsonNode root, Map<Integer, Integer> callOffset) throws IOException {
        if (root == null || !root.isObject()) {
            throw new IOException("expected a JSON object");
        }
        JsonNode error = root.get("error");
        if (error != null && error.isObject()) {
            return new Piece(List.of(), null, null, null, error);
        }
        List<CandidatePiece> candidates = new ArrayList<>(1);
        JsonNode cs = root.get("candidates");
        if (cs != null && !cs.isNull()) {
            if (!cs.isArray()) {
                throw new IOException("candidates is not an array");
            }
            for (JsonNode c : cs) {
                int index = c.path("index").asInt(0);
                StringBuilder text = new StringBuilder();
                List<ToolCall> calls = new ArrayList<>(0);
                int offset = callOffset.getOrDefault(index, 0);
                for (JsonNode part : c.path("content").path("parts")) {
                    if (part.has("functionCall")) {
                        JsonNode fc = part.get("functionCall");
                        String name = fc.path("name").asText("");
                        if (name.isBlank()) {
                            throw new IOException("a functionCall has no name");
                        }
                        String id = fc.path("id").asText("");
                        calls.add(new ToolCall(id.isBlank() ? "call_" + (offset + calls.size()) : id, name,
                                fc.has("args") ? fc.get("args").toString() : "{}"));
                    } else if (part.path("text").isTextual() && !part.path("thought").asBoolean(false)) {
                        text.append(part.path("text").asText());
                    }
                }
                callOffset.put(index, offset + calls.size());
                String finish = c.hasNonNull("finishReason") ? finishReason(c.get("finishReason").asText()) : null;
                candidates.add(new CandidatePiece(index, text.toString(), calls, finish));
            }
        }
        JsonNode feedback = root.path("promptFeedback").get("blockReason");
        return new Piece(candidates, root.has("usageMetadata") ? usage(root.get("usageMetadata")) : null,
                AnthropicCodec.textOrNull(root.get("modelVersion")),
                feedback == null || feedback.isNull() ? null : feedback.asText(), null);
    }

    /**
     * Reads a whole response: one choice per candidate in index order (a prompt the safety filter blocked gives one
     * empty choice finished by {@code content_filter}), usage, the model version.
     */
    static LmResponse readResponse(byte[] body, @Nullable String requestId) throws IOException {
        JsonNode root = Json.MAPPER.readTree(body);
        Piece piece = readPiece(root, new HashMap<>());
        if (piece.error() != null) {
            throw new EmbeddedError(piece.error());
        }
        List<CandidatePiece> cs = new ArrayList<>(piece.candidates());
        cs.sort(java.util.Comparator.comparingInt(CandidatePiece::index));
        List<LmResponse.Choice> choices = new ArrayList<>(Math.max(1, cs.size()));
        for (CandidatePiece c : cs) {
            choices.add(new LmResponse.Choice(c.text(), withCalls(c.finishReason(), c.calls()), c.calls()));
        }
        if (choices.isEmpty()) {
            if (piece.blockReason() == null) {
                throw new IOException("the response has no candidates and no promptFeedback.blockReason");
            }
            choices.add(new LmResponse.Choice("", "content_filter"));
        }
        String id = root.path("responseId").isTextual() ? root.path("responseId").asText() : null;
        return new LmResponse(choices, piece.usage(), piece.model(), requestId != null ? requestId : id, null, body);
    }

    /** A Gemini body that holds an {@code error} although the status said success. */
    static final class EmbeddedError extends IOException {
        private static final long serialVersionUID = 1L;
        final transient JsonNode error;

        EmbeddedError(JsonNode error) {
            super(error.path("message").asText(error.toString()));
            this.error = error;
        }
    }

    /** A call asked for and Gemini's {@code STOP}: the library's {@code tool_calls}, as OpenAI reports it. */
    static @Nullable String withCalls(@Nullable String finish, List<ToolCall> calls) {
        return "stop".equals(finish) && !calls.isEmpty() ? "tool_calls" : finish;
    }

    /**
     * Gemini's finish reasons in the library's words: {@code STOP} -> {@code stop}, {@code MAX_TOKENS} ->
     * {@code length}; the safety filters ({@code SAFETY}, {@code RECITATION}, {@code BLOCKLIST},
     * {@code PROHIBITED_CONTENT}, {@code SPII}, {@code IMAGE_SAFETY}, ...) -> {@code content_filter}; any other
     * in lower case ({@code malformed_function_call}, {@code other}, ...); {@code FINISH_REASON_UNSPECIFIED} -> null.
     */
    static @Nullable String finishReason(String reason) {
        switch (reason) {
            case "STOP": return "stop";
            case "MAX_TOKENS": return "length";
            case "SAFETY":
            case "RECITATION":
            case "BLOCKLIST":
            case "PROHIBITED_CONTENT":
            case "SPII":
            case "IMAGE_SAFETY":
            case "IMAGE_PROHIBITED_CONTENT":
            case "IMAGE_RECITATION":
                return "content_filter";
            case "FINISH_REASON_UNSPECIFIED":
            case "":
                return null;
            default:
                return reason.toLowerCase(Locale.ROOT);
        }
    }

    /**
     * {@code usageMetadata}: prompt {@code promptTokenCount} (cached part {@code cachedContentTokenCount}),
     * completion {@code candidatesTokenCount} plus {@code thoughtsTokenCount}, total {@code totalTokenCount}.
     */
    static Usage usage(JsonNode u) {
        long prompt = Math.max(0, u.path("promptTokenCount").asLong(0))
                + Math.max(0, u.path("toolUsePromptTokenCount").asLong(0));
        long completion = Math.max(0, u.path("candidatesTokenCount").asLong(0))
                + Math.max(0, u.path("thoughtsTokenCount").asLong(0));
        long total = u.has("totalTokenCount") ? Math.max(0, u.path("totalTokenCount").asLong(0)) : prompt + completion;
        long cached = Math.min(prompt, Math.max(0, u.path("cachedContentTokenCount").asLong(0)));
        return new Usage(prompt, completion, total, cached, 0);
    }

    /**
     * Reads {@code embedContent}'s {@code {"embedding": {"values": [...]}}} or {@code batchEmbedContents}'s
     * {@code {"embeddings": [...]}}.
     */
    static List<float[]> readEmbeddings(byte[] body, int expected) throws IOException {
        JsonNode root = Json.MAPPER.readTree(body);
        if (root == null || !root.isObject()) {
            throw new IOException("expected a JSON object");
        }
        if (root.path("error").isObject()) {
            throw new EmbeddedError(root.get("error"));
        }
        List<JsonNode> embeddings = new ArrayList<>(expected);
        if (root.has("embedding")) {
            embeddings.add(root.get("embedding"));
        } else {
            root.path("embeddings").forEach(embeddings::add);
        }
        if (embeddings.size() != expected) {
            throw new IOException("expected " + expected + " embeddings, got " + embeddings.size());
        }
        List<float[]> out = new ArrayList<>(expected);
        for (int i = 0; i < expected; i++) {
            JsonNode values = embeddings.get(i).path("values");
            if (!values.isArray()) {
                throw new IOException("embedding " + i + " has no values");
            }
            float[] v = new float[values.size()];
            for (int j = 0; j < v.length; j++) {
                if (!values.get(j).isNumber()) {
                    throw new IOException("embedding " + i + " holds a non-number at " + j);
                }
                v[j] = values.get(j).floatValue();
            }
            out.add(v);
        }
        return out;
    }

    /**
     * Reads a {@code google.rpc.Status} error body, {@code {"error": {code, message, status, details}}} (a list of
     * them from the streaming endpoint): the message, the status name ({@code RESOURCE_EXHAUSTED}, ...) as code,
     * and a {@code RetryInfo} detail's {@code retryDelay} ({@code "37s"}) as the wait.
     */
    static HttpTransport.ProviderError readError(byte[] body) {
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            if (root != null && root.isArray() && root.size() > 0) {
                root = root.get(0);
            }
            if (root != null && root.path("error").isObject()) {
                return error(root.get("error"));
            }
        } catch (IOException notJson) {
            // a proxy's page: the text itself
        }
        return new HttpTransport.ProviderError(ChatCodec.errorText(body), null, null);
    }

    /** @return the message, status name and retry delay of one {@code google.rpc.Status} */
    static HttpTransport.ProviderError error(JsonNode e) {
        Duration delay = null;
        for (JsonNode d : e.path("details")) {
            if (d.path("@type").asText().endsWith("google.rpc.RetryInfo")) {
                delay = protoDuration(d.path("retryDelay").asText(""));
            }
        }
        String status = e.path("status").isTextual() ? e.path("status").asText() : null;
        return new HttpTransport.ProviderError(e.path("message").asText(e.toString()), status, delay);
    }

    /** @return a protobuf JSON duration ({@code "37s"}, {@code "0.5s"}) as a Duration, or null */
    static @Nullable Duration protoDuration(String s) {
        if (!s.endsWith("s")) {
            return null;
        }
        try {
            double seconds = Double.parseDouble(s.substring(0, s.length() - 1));
            if (seconds < 0 || Double.isNaN(seconds) || Double.isInfinite(seconds)) {
                return null;
            }
            return Duration.ofMillis((long) Math.min(seconds * 1000, RetryAfter.MAX.toMillis()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** @return whether a {@code google.rpc.Status} (in a stream) is transient: its code or status says so */
    static boolean retryable(JsonNode e) {
        int code = e.path("code").asInt(-1);
        String status = e.path("status").asText("");
        return code == 429 || code == 408 || code >= 500 || status.equals("RESOURCE_EXHAUSTED")
                || status.equals("UNAVAILABLE") || status.equals("INTERNAL") || status.equals("DEADLINE_EXCEEDED")
                || status.equals("ABORTED");
    }
}

package io.dspex.test;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The Gemini API: {@code POST /v1beta/models/{model}:generateContent}, {@code :streamGenerateContent?alt=sse}
 * (partial responses as server-sent events; no end marker, the last chunk of a candidate has its finish reason),
 * {@code :embedContent} and {@code :batchEmbedContents} (also under {@code /v1}); the key in {@code x-goog-api-key}
 * (or {@code ?key=}); {@code candidateCount} candidates; errors as a {@code google.rpc.Status}
 * {@code {"error": {"code", "message", "status"}}}.
 */
final class GeminiWire extends Wire {

    private static final String EOL = "\r\n";
    private static final Pattern PATH = Pattern.compile("/(v1beta|v1)/((?:models|tunedModels)/[^/:]+):(\\w+)");

    @Override
    String basePath() {
        return "";
    }

    private static @Nullable Matcher match(String path) {
        Matcher m = PATH.matcher(path);
        return m.matches() ? m : null;
    }

    @Override
    @Nullable Endpoint route(String path) {
        Matcher m = match(path);
        if (m == null) {
            return null;
        }
        switch (m.group(3)) {
            case "generateContent":
            case "streamGenerateContent":
                return Endpoint.CHAT;
            case "embedContent":
            case "batchEmbedContents":
                return Endpoint.EMBEDDINGS;
            default:
                return null;
        }
    }

    private static String method(ParsedRequest pr) {
        Matcher m = match(pr.path());
        return m == null ? "" : m.group(3);
    }

    @Override
    void check(ParsedRequest pr) {
        String key = pr.header("x-goog-api-key");
        if ((key == null || key.isBlank()) && !pr.query().contains("key=")) {
            throw new Rejected(403, "Method doesn't allow unregistered callers (callers without established identity)."
                    + " Please use API Key or other form of API consumer identity to call this API.");
        }
        JsonNode json = pr.json();
        if (pr.isChat()) {
            JsonNode contents = json.path("contents");
            if (!contents.isArray() || contents.size() == 0) {
                throw new Rejected(400, "* GenerateContentRequest.contents: contents is not specified");
            }
            for (int i = 0; i < contents.size(); i++) {
                String role = contents.get(i).path("role").asText("user");
                if (!role.equals("user") && !role.equals("model")) {
                    throw new Rejected(400, "Please use a valid role: user, model. (contents[" + i + "].role)");
                }
            }
            if (json.path("generationConfig").has("candidateCount")
                    && json.path("generationConfig").path("candidateCount").asInt(0) < 1) {
                throw new Rejected(400, "generationConfig.candidateCount must be >= 1");
            }
        } else if (method(pr).equals("batchEmbedContents") ? !json.path("requests").isArray()
                : !json.path("content").path("parts").isArray()) {
            throw new Rejected(400, "* EmbedContentRequest.content: contains an empty Part.");
        }
    }

    @Override
    @Nullable String requestIdHeader() {
        return null;
    }

    /** @return the {@code google.rpc.Code} name an HTTP status stands for */
    static String statusName(int status) {
        switch (status) {
            case 400: return "INVALID_ARGUMENT";
            case 401: return "UNAUTHENTICATED";
            case 403: return "PERMISSION_DENIED";
            case 404: return "NOT_FOUND";
            case 409: return "ABORTED";
            case 429: return "RESOURCE_EXHAUSTED";
            case 499: return "CANCELLED";
            case 500: return "INTERNAL";
            case 501: return "UNIMPLEMENTED";
            case 503: return "UNAVAILABLE";
            case 504: return "DEADLINE_EXCEEDED";
            default: return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
        }
    }

    private static void status(JsonGenerator g, int status, String message) throws IOException {
        g.writeObjectFieldStart("error");
        g.writeNumberField("code", status);
        g.writeStringField("message", message);
        g.writeStringField("status", statusName(status));
        g.writeEndObject();
    }

    @Override
    byte[] errorBody(int status, String message) {
        return write(g -> {
            g.writeStartObject();
            status(g, status, message);
            g.writeEndObject();
        });
    }

    @Override
    byte[] malformedBody() {
        return "{\"candidates\": [ {\"content\": this is not json".getBytes(StandardCharsets.UTF_8);
    }

    private static void usage(JsonGenerator g, int prompt, int completion) throws IOException {
        g.writeObjectFieldStart("usageMetadata");
        g.writeNumberField("promptTokenCount", prompt);
        g.writeNumberField("candidatesTokenCount", completion);
        g.writeNumberField("totalTokenCount", prompt + completion);
        g.writeEndObject();
    }

    private static String modelOr(ParsedRequest pr) {
        String m = pr.model();
        return m == null ? "mock-model" : m;
    }

    /** One candidate: a text part, its index (left out when 0, as proto3 JSON does), its finish reason if any. */
    private static void candidate(JsonGenerator g, int index, @Nullable String text, @Nullable String finish)
            throws IOException {
        g.writeStartObject();
        if (text != null) {
            g.writeObjectFieldStart("content");
            g.writeArrayFieldStart("parts");
            g.writeStartObject();
            g.writeStringField("text", text);
            g.writeEndObject();
            g.writeEndArray();
            g.writeStringField("role", "model");
            g.writeEndObject();
        }
        if (finish != null) {
            g.writeStringField("finishReason", finish);
        }
        if (index > 0) {
            g.writeNumberField("index", index);
        }
        g.writeEndObject();
    }

    @Override
    byte[] chatBody(ParsedRequest pr, List<String> texts, int promptTokens) {
        return write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("candidates");
            for (int i = 0; i < texts.size(); i++) {
                candidate(g, i, texts.get(i), "STOP");
            }
            g.writeEndArray();
            usage(g, promptTokens, words(texts));
            g.writeStringField("modelVersion", modelOr(pr));
            g.writeStringField("responseId", "mock-" + pr.number());
            g.writeEndObject();
        });
    }

    private byte[] chunk(ParsedRequest pr, int index, @Nullable String text, @Nullable String finish, int prompt,
                         int completion) {
        return event(null, write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("candidates");
            candidate(g, index, text, finish);
            g.writeEndArray();
            usage(g, prompt, completion);
            g.writeStringField("modelVersion", modelOr(pr));
            g.writeStringField("responseId", "mock-" + pr.number());
            g.writeEndObject();
        }), EOL);
    }

    private static byte[] streamError() {
        return event(null, write(g -> {
            g.writeStartObject();
            status(g, 503, "stream failed");
            g.writeEndObject();
        }), EOL);
    }

    /**
     * Per candidate: one chunk per word, the last one with {@code finishReason: STOP}; every chunk carries the usage
     * so far, the last one the whole usage.
     */
    @Override
    List<byte[]> sseEvents(ParsedRequest pr, List<String> texts, int promptTokens, Fault.@Nullable Kind kind) {
        List<byte[]> events = new ArrayList<>();
        int completion = 0;
        for (int i = 0; i < texts.size(); i++) {
            List<String> deltas = MockLmServer.deltas(texts.get(i));
            if (deltas.isEmpty()) {
                deltas = List.of("");
            }
            for (int d = 0; d < deltas.size(); d++) {
                completion += words(deltas.get(d));
                boolean last = d == deltas.size() - 1;
                events.add(chunk(pr, i, deltas.get(d), last ? "STOP" : null, promptTokens, completion));
                if (i == 0 && d == 0) {
                    if (kind == Fault.Kind.MALFORMED_JSON) {
                        events.add(("data: {\"candidates\": [ not json" + EOL + EOL).getBytes(StandardCharsets.UTF_8));
                    } else if (kind == Fault.Kind.STREAM_ERROR) {
                        events.add(streamError());
                    }
                }
            }
        }
        return events;
    }

    @Override
    byte[] embeddingsBody(ParsedRequest pr, int dimensions) {
        boolean batch = method(pr).equals("batchEmbedContents");
        List<String> inputs = inputs(pr);
        List<Integer> dims = new ArrayList<>();
        if (batch) {
            for (JsonNode r : pr.json().path("requests")) {
                dims.add(r.path("outputDimensionality").asInt(dimensions));
            }
        } else {
            dims.add(pr.json().path("outputDimensionality").asInt(dimensions));
        }
        return write(g -> {
            g.writeStartObject();
            if (batch) {
                g.writeArrayFieldStart("embeddings");
            } else {
                g.writeFieldName("embedding");
            }
            for (int i = 0; i < inputs.size(); i++) {
                g.writeStartObject();
                g.writeArrayFieldStart("values");
                for (float f : MockLmServer.embeddingOf(inputs.get(i), dims.get(i))) {
                    g.writeNumber(f);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            if (batch) {
                g.writeEndArray();
            }
            g.writeEndObject();
        });
    }

    // ------------------------------------------------------------------ how a request reads

    /**
     * The {@code systemInstruction} as a system message, then one message per content: {@code model} as assistant,
     * {@code user} as user, its text parts joined (or its parts' JSON when none is text, as for
     * {@code functionResponse} parts).
     */
    @Override
    List<Message> messages(ParsedRequest pr) {
        List<Message> ms = new ArrayList<>();
        JsonNode system = pr.json().get("systemInstruction");
        if (system != null && system.isObject()) {
            ms.add(message(Message.Role.SYSTEM, joinedText(system.path("parts"))));
        }
        for (JsonNode c : pr.json().path("contents")) {
            ms.add(message("model".equals(c.path("role").asText()) ? Message.Role.ASSISTANT : Message.Role.USER,
                    joinedText(c.path("parts"))));
        }
        return Collections.unmodifiableList(ms);
    }

    @Override
    int n(ParsedRequest pr) {
        return Math.max(1, pr.json().path("generationConfig").path("candidateCount").asInt(1));
    }

    @Override
    boolean stream(ParsedRequest pr) {
        return method(pr).equals("streamGenerateContent");
    }

    /** @return the model named in the path, without its {@code models/} prefix */
    @Override
    @Nullable String model(ParsedRequest pr) {
        Matcher m = match(pr.path());
        if (m == null) {
            return null;
        }
        String resource = m.group(2);
        return resource.startsWith("models/") ? resource.substring("models/".length()) : resource;
    }

    @Override
    List<String> inputs(ParsedRequest pr) {
        List<String> out = new ArrayList<>();
        if (method(pr).equals("batchEmbedContents")) {
            for (JsonNode r : pr.json().path("requests")) {
                out.add(joinedText(r.path("content").path("parts")));
            }
        } else if (pr.json().has("content")) {
            out.add(joinedText(pr.json().path("content").path("parts")));
        }
        return out;
    }
}

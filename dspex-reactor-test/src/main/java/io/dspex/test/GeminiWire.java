package io.dspex.test;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import io.dspex.lm.Usage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The Gemini API: {@code POST /v1beta/models/{model}:generateContent}, {@code :streamGenerateContent?alt=sse}
 * (partial responses as server-sent events; no end marker, the last chunk of a candidate has its finish reason),
 * {@code :embedContent} and {@code :batchEmbedContents} (also under {@code /v1}); the key in {@code x-goog-api-key}
 * (or {@code ?key=}); {@code candidateCount} candidates; tool calls as {@code functionCall} parts; errors as a
 * {@code google.rpc.Status} {@code {"error": {"code", "message", "status"}}}.
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

    /** {@code usageMetadata}; the cached part of the prompt as {@code cachedContentTokenCount} when there is one. */
    private static void usage(JsonGenerator g, Usage u, long completion, long total) throws IOException {
        g.writeObjectFieldStart("usageMetadata");
        g.writeNumberField("promptTokenCount", u.promptTokens());
        g.writeNumberField("candidatesTokenCount", completion);
        g.writeNumberField("totalTokenCount", total);
        if (u.cachedTokens() > 0) {
            g.writeNumberField("cachedContentTokenCount", u.cachedTokens());
        }
        g.writeEndObject();
    }

    private static String modelOr(ParsedRequest pr) {
        String m = pr.model();
        return m == null ? "mock-model" : m;
    }

    /**
     * The library's finish reasons in Gemini's words: {@code stop} and {@code tool_calls} -> {@code STOP} (Gemini
     * finishes a turn that calls functions with {@code STOP}), {@code length} -> {@code MAX_TOKENS},
     * {@code content_filter} -> {@code SAFETY}; any other in upper case.
     */
    static String finishReason(LmResponse.Choice c) {
        String finish = Answer.finish(c);
        switch (finish) {
            case "stop":
            case "tool_calls":
                return "STOP";
            case "length": return "MAX_TOKENS";
            case "content_filter": return "SAFETY";
            default: return finish.toUpperCase(Locale.ROOT);
        }
    }

    /** The function calls' arguments as JSON objects, checked before anything is written. */
    private static List<JsonNode> args(LmResponse.Choice c) {
        List<JsonNode> args = new ArrayList<>(c.toolCalls().size());
        for (ToolCall call : c.toolCalls()) {
            args.add(argumentsObject(call, "Gemini"));
        }
        return args;
    }

    /**
     * One candidate: a text part (left out when the piece has only function calls), a {@code functionCall} part per
     * call ({@code id}, {@code name}, {@code args}), its index (left out when 0, as proto3 JSON does), its finish
     * reason if any.
     */
    private static void candidate(JsonGenerator g, int index, @Nullable String text, List<ToolCall> calls,
                                  List<JsonNode> args, @Nullable String finish) throws IOException {
        g.writeStartObject();
        if (text != null) {
            g.writeObjectFieldStart("content");
            g.writeArrayFieldStart("parts");
            if (!text.isEmpty() || calls.isEmpty()) {
                g.writeStartObject();
                g.writeStringField("text", text);
                g.writeEndObject();
            }
            for (int i = 0; i < calls.size(); i++) {
                g.writeStartObject();
                g.writeObjectFieldStart("functionCall");
                g.writeStringField("id", calls.get(i).id());
                g.writeStringField("name", calls.get(i).name());
                g.writeFieldName("args");
                g.writeTree(args.get(i));
                g.writeEndObject();
                g.writeEndObject();
            }
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
    byte[] chatBody(ParsedRequest pr, Answer answer) {
        List<LmResponse.Choice> choices = answer.choices();
        Usage u = answer.usage(choices);
        List<List<JsonNode>> args = new ArrayList<>();
        for (LmResponse.Choice c : choices) {
            args.add(args(c));
        }
        return write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("candidates");
            for (int i = 0; i < choices.size(); i++) {
                LmResponse.Choice c = choices.get(i);
                candidate(g, i, c.text(), c.toolCalls(), args.get(i), finishReason(c));
            }
            g.writeEndArray();
            usage(g, u, u.completionTokens(), u.totalTokens());
            g.writeStringField("modelVersion", modelOr(pr));
            g.writeStringField("responseId", "mock-" + pr.number());
            g.writeEndObject();
        });
    }

    private byte[] chunk(ParsedRequest pr, int index, String text, List<ToolCall> calls, List<JsonNode> args,
                         @Nullable String finish, Usage u, long completion, long total) {
        return event(null, write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("candidates");
            candidate(g, index, text, calls, args, finish);
            g.writeEndArray();
            usage(g, u, completion, total);
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
     * Per candidate: one chunk per word, the last one with the finish reason and the candidate's function calls
     * whole (Gemini streams a call in one piece); every chunk carries the usage so far, the last one the whole usage.
     */
    @Override
    List<byte[]> sseEvents(ParsedRequest pr, Answer answer, Fault.@Nullable Kind kind) {
        List<LmResponse.Choice> choices = answer.choices();
        Usage u = answer.usage(choices);
        List<List<JsonNode>> args = new ArrayList<>();
        for (LmResponse.Choice c : choices) {
            args.add(args(c));
        }
        List<byte[]> events = new ArrayList<>();
        long completion = 0;
        for (int i = 0; i < choices.size(); i++) {
            LmResponse.Choice c = choices.get(i);
            List<String> deltas = MockLmServer.deltas(c.text());
            if (deltas.isEmpty()) {
                deltas = List.of("");
            }
            for (int d = 0; d < deltas.size(); d++) {
                completion += words(deltas.get(d));
                boolean last = d == deltas.size() - 1;
                boolean end = last && i == choices.size() - 1;
                long sofar = end ? u.completionTokens() : Math.min(completion, u.completionTokens());
                events.add(chunk(pr, i, deltas.get(d), last ? c.toolCalls() : List.of(),
                        last ? args.get(i) : List.of(), last ? finishReason(c) : null, u, sofar,
                        end ? u.totalTokens() : u.promptTokens() + sofar));
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
     * The {@code systemInstruction} as a system message, then the turns: a {@code model} content as an assistant
     * message (its text parts joined, its {@code functionCall} parts as tool calls, with the call's {@code id} or
     * {@code call_<n>}, n counting the conversation's calls); a {@code user} content's {@code functionResponse} parts
     * as tool messages (the response's {@code output} text, else its JSON; the call id is the response's {@code id},
     * else that of the earliest unanswered call of that name) and its other parts as user messages: plain text when
     * they are all text, else parts (images from {@code inlineData} as {@code data:} URIs and from {@code fileData} as
     * the file URI; any other part as a text part of its JSON).
     */
    @Override
    List<Message> messages(ParsedRequest pr) {
        List<Message> ms = new ArrayList<>();
        JsonNode system = pr.json().get("systemInstruction");
        if (system != null && system.isObject()) {
            ms.add(message(Message.Role.SYSTEM, joinedText(system.path("parts"))));
        }
        Map<String, Deque<String>> unanswered = new HashMap<>();
        int calls = 0;
        for (JsonNode c : pr.json().path("contents")) {
            JsonNode parts = c.path("parts");
            if ("model".equals(c.path("role").asText())) {
                StringBuilder text = new StringBuilder();
                boolean anyText = false;
                List<ToolCall> toolCalls = new ArrayList<>();
                for (JsonNode part : parts) {
                    if (part.has("functionCall")) {
                        JsonNode fc = part.get("functionCall");
                        String name = fc.path("name").asText("?");
                        String id = fc.path("id").asText("");
                        id = id.isBlank() ? "call_" + calls : id;
                        calls++;
                        toolCalls.add(new ToolCall(id, name, fc.path("args").isObject() ? fc.get("args").toString()
                                : "{}"));
                        unanswered.computeIfAbsent(name, k -> new ArrayDeque<>()).add(id);
                    } else if (part.path("text").isTextual() && !part.path("thought").asBoolean(false)) {
                        text.append(part.path("text").asText());
                        anyText = true;
                    }
                }
                ms.add(!anyText && toolCalls.isEmpty() ? message(Message.Role.ASSISTANT, joinedText(parts))
                        : Message.assistant(text.toString(), toolCalls));
            } else {
                userTurn(parts, unanswered, ms);
            }
        }
        return Collections.unmodifiableList(ms);
    }

    private static void userTurn(JsonNode parts, Map<String, Deque<String>> unanswered, List<Message> out) {
        List<Message.Part> pending = new ArrayList<>();
        for (JsonNode part : parts) {
            if (part.has("functionResponse")) {
                flush(pending, out);
                JsonNode fr = part.get("functionResponse");
                String name = fr.path("name").asText("?");
                String id = fr.path("id").asText("");
                if (id.isBlank()) {
                    Deque<String> ids = unanswered.get(name);
                    id = ids == null || ids.isEmpty() ? "call_" + name : ids.poll();
                } else if (unanswered.containsKey(name)) {
                    unanswered.get(name).remove(id);
                }
                JsonNode response = fr.path("response");
                out.add(Message.tool(id, response.path("output").isTextual() ? response.path("output").asText()
                        : response.toString()));
            } else if (part.path("text").isTextual()) {
                pending.add(new Message.Part.Text(part.path("text").asText()));
            } else if (part.path("inlineData").isObject()) {
                JsonNode data = part.get("inlineData");
                pending.add(new Message.Part.ImageUrl("data:" + data.path("mimeType").asText("image/png") + ";base64,"
                        + data.path("data").asText("")));
            } else if (!part.path("fileData").path("fileUri").asText("").isBlank()) {
                pending.add(new Message.Part.ImageUrl(part.path("fileData").path("fileUri").asText()));
            } else {
                pending.add(new Message.Part.Text(part.toString()));
            }
        }
        flush(pending, out);
    }

    /** Adds the parts gathered so far as one user message (plain text when they are all text), and forgets them. */
    private static void flush(List<Message.Part> parts, List<Message> out) {
        if (parts.isEmpty()) {
            return;
        }
        boolean allText = true;
        StringBuilder text = new StringBuilder();
        for (Message.Part p : parts) {
            if (p instanceof Message.Part.Text t) {
                text.append(t.text());
            } else {
                allText = false;
            }
        }
        out.add(allText ? Message.user(text.toString()) : Message.user(List.copyOf(parts)));
        parts.clear();
    }

    /** Every {@code functionDeclarations} entry as OpenAI's function tool ({@code parametersJsonSchema} first). */
    @Override
    List<Map<String, @Nullable Object>> tools(ParsedRequest pr) {
        List<Map<String, @Nullable Object>> out = new ArrayList<>();
        for (JsonNode tool : pr.json().path("tools")) {
            for (JsonNode f : tool.path("functionDeclarations")) {
                JsonNode parameters = f.has("parametersJsonSchema") ? f.get("parametersJsonSchema")
                        : f.get("parameters");
                out.add(function(f.path("name").asText(""), f.get("description"), parameters));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * {@code functionCallingConfig.mode}: {@code AUTO} -> auto, {@code NONE} -> none, {@code ANY} -> required, or
     * the one function when {@code allowedFunctionNames} names one; another mode in lower case.
     */
    @Override
    @Nullable Object toolChoice(ParsedRequest pr) {
        JsonNode config = pr.json().path("toolConfig").get("functionCallingConfig");
        if (config == null || !config.isObject()) {
            return null;
        }
        String mode = config.path("mode").asText("AUTO");
        JsonNode allowed = config.path("allowedFunctionNames");
        if (mode.equals("ANY")) {
            return allowed.isArray() && allowed.size() == 1 ? namedFunction(allowed.get(0).asText()) : "required";
        }
        return mode.toLowerCase(Locale.ROOT);
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

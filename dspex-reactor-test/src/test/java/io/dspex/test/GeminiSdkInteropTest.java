package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.genai.Client;
import com.google.genai.JsonSerializable;
import com.google.genai.ResponseStream;
import com.google.genai.errors.ClientException;
import com.google.genai.errors.ServerException;
import com.google.genai.types.Content;
import com.google.genai.types.ContentEmbedding;
import com.google.genai.types.EmbedContentResponse;
import com.google.genai.types.FinishReason;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.GenerateContentConfig;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.GenerationConfig;
import com.google.genai.types.HttpOptions;
import com.google.genai.types.HttpRetryOptions;
import com.google.genai.types.Part;
import com.google.genai.types.Tool;
import com.google.genai.types.ToolConfig;
import io.dspex.lm.CallConfig;
import io.dspex.lm.GeminiLm;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official Google Gen AI Java SDK as protocol referee: it talks to MockLmServer's Gemini mode (generateContent,
 * its stream, embeddings, errors), and it reads the request bodies GeminiLm sends: each part parses with the SDK's
 * model and writes back the same JSON, so no field of ours is one the SDK does not know. The SDK blocks, so it runs
 * on the JUnit thread.
 */
class GeminiSdkInteropTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MockLmServer server;
    private Client client;

    @BeforeEach
    void start() {
        server = MockLmServer.create(MockLmServer.Protocol.GEMINI).reply(r -> "Paris, of course").start();
        client = Client.builder().apiKey("gemini-test-key")
                .httpOptions(HttpOptions.builder().baseUrl(server.baseUrl()).apiVersion("v1beta")
                        .retryOptions(HttpRetryOptions.builder().attempts(1).build()).build())
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void generateContentFromTheServer() {
        GenerateContentResponse r = client.models.generateContent("gemini-mock", "Capital of France?",
                GenerateContentConfig.builder().systemInstruction(Content.fromParts(Part.fromText("Be terse.")))
                        .candidateCount(2).build());
        assertThat(r.text()).isEqualTo("Paris, of course");
        assertThat(r.candidates().orElseThrow()).hasSize(2);
        assertThat(r.candidates().orElseThrow().get(1).index()).hasValue(1);
        assertThat(r.candidates().orElseThrow().get(0).finishReason().orElseThrow().knownEnum())
                .isEqualTo(FinishReason.Known.STOP);
        assertThat(r.usageMetadata().orElseThrow().candidatesTokenCount()).hasValue(6);
        assertThat(r.modelVersion()).hasValue("gemini-mock");
        ParsedRequest seen = server.lastRequest();
        assertThat(seen.path()).isEqualTo("/v1beta/models/gemini-mock:generateContent");
        assertThat(seen.header("x-goog-api-key")).isEqualTo("gemini-test-key");
        assertThat(seen.messages()).extracting(Message::content).containsExactly("Be terse.", "Capital of France?");
        assertThat(seen.n()).isEqualTo(2);
    }

    @Test
    void streamFromTheServer() {
        StringBuilder text = new StringBuilder();
        List<GenerateContentResponse> chunks = new ArrayList<>();
        try (ResponseStream<GenerateContentResponse> stream = client.models.generateContentStream("gemini-mock",
                "Capital?", null)) {
            for (GenerateContentResponse chunk : stream) {
                chunks.add(chunk);
                text.append(chunk.text());
            }
        }
        assertThat(text.toString()).isEqualTo("Paris, of course");
        assertThat(chunks).hasSizeGreaterThan(1);
        assertThat(chunks.get(chunks.size() - 1).candidates().orElseThrow().get(0).finishReason()).isPresent();
        assertThat(server.lastRequest().stream()).isTrue();
        assertThat(server.lastRequest().query()).isEqualTo("alt=sse");
    }

    @Test
    void embeddingsFromTheServer() {
        EmbedContentResponse one = client.models.embedContent("text-embedding-mock", "hello world", null);
        List<Float> vector = one.embeddings().orElseThrow().get(0).values().orElseThrow();
        float[] expected = MockLmServer.embeddingOf("hello world", 16);
        assertThat(vector).hasSize(16);
        for (int i = 0; i < expected.length; i++) {
            assertThat(vector.get(i)).isEqualTo(expected[i]);
        }
        EmbedContentResponse two = client.models.embedContent("text-embedding-mock", List.of("cat", "dog"), null);
        List<ContentEmbedding> both = two.embeddings().orElseThrow();
        assertThat(both).hasSize(2);
        assertThat(both.get(1).values().orElseThrow().get(0)).isEqualTo(MockLmServer.embeddingOf("dog", 16)[0]);
    }

    /** A scripted tool-call reply is a candidate of functionCall parts, with their ids, to the SDK. */
    @Test
    void functionCallRepliesAreReadByTheSdk() throws Exception {
        server.reply(LmResponse.ofToolCalls("", List.of(new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}"),
                new ToolCall("call_2", "search", "{\"query\": \"ü\"}"))));
        GenerateContentResponse r = client.models.generateContent("gemini-mock", "Add", null);
        List<FunctionCall> calls = r.functionCalls();
        assertThat(calls).extracting(c -> c.id().orElseThrow()).containsExactly("call_1", "call_2");
        assertThat(calls).extracting(c -> c.name().orElseThrow()).containsExactly("add", "search");
        JsonNode args = JSON.valueToTree(calls.get(0).args().orElseThrow());
        assertThat(args).isEqualTo(JSON.readTree("{\"a\": 1, \"b\": 2}"));
        assertThat(calls.get(1).args().orElseThrow()).isEqualTo(Map.of("query", "ü"));
        assertThat(r.finishReason().knownEnum()).isEqualTo(FinishReason.Known.STOP);
    }

    /** Streamed, the text arrives word by word and the function calls whole on the last chunk, which finishes. */
    @Test
    void streamedFunctionCallRepliesAreReadByTheSdk() {
        server.reply(LmResponse.ofToolCalls("Adding the two.", List.of(new ToolCall("call_1", "add",
                "{\"a\": 1, \"b\": 2}"))));
        StringBuilder text = new StringBuilder();
        List<GenerateContentResponse> chunks = new ArrayList<>();
        try (ResponseStream<GenerateContentResponse> stream = client.models.generateContentStream("gemini-mock",
                "Add", null)) {
            for (GenerateContentResponse chunk : stream) {
                chunks.add(chunk);
                text.append(chunk.text() == null ? "" : chunk.text());
            }
        }
        assertThat(text.toString()).isEqualTo("Adding the two.");
        GenerateContentResponse last = chunks.get(chunks.size() - 1);
        assertThat(last.functionCalls()).extracting(c -> c.name().orElseThrow()).containsExactly("add");
        assertThat(last.finishReason().knownEnum()).isEqualTo(FinishReason.Known.STOP);
        assertThat(chunks.subList(0, chunks.size() - 1)).allMatch(c -> c.functionCalls() == null
                || c.functionCalls().isEmpty());
    }

    /** The server reads the SDK's functionCall, functionResponse and inlineData parts into the library's messages. */
    @Test
    void theServerReadsTheSdksFunctionTurnsAndImages() {
        client.models.generateContent("gemini-mock", List.of(
                Content.builder().role("user").parts(Part.fromText("Sum this:"),
                        Part.fromBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, "image/png")).build(),
                Content.builder().role("model").parts(Part.fromFunctionCall("add", Map.of("a", 1))).build(),
                Content.builder().role("user").parts(Part.fromFunctionResponse("add", Map.of("output", "1")),
                        Part.fromText("Thanks")).build()), null);
        assertThat(server.lastRequest().messages()).containsExactly(
                Message.user(List.of(new Message.Part.Text("Sum this:"),
                        new Message.Part.ImageUrl("data:image/png;base64,iVBORw=="))),
                Message.assistant("", List.of(new ToolCall("call_0", "add", "{\"a\":1}"))),
                Message.tool("call_0", "1"),
                Message.user("Thanks"));
    }

    @Test
    void errorsFromTheServerAreTheSdksTypedErrors() {
        server.faultNext(1, Fault.status(429, "Resource has been exhausted"));
        assertThatThrownBy(() -> client.models.generateContent("gemini-mock", "a", null))
                .isInstanceOfSatisfying(ClientException.class, e -> {
                    assertThat(e.code()).isEqualTo(429);
                    assertThat(e.status()).isEqualTo("RESOURCE_EXHAUSTED");
                    assertThat(e.message()).isEqualTo("Resource has been exhausted");
                });
        server.faultNext(1, Fault.status(503, "The model is overloaded"));
        assertThatThrownBy(() -> client.models.generateContent("gemini-mock", "a", null))
                .isInstanceOfSatisfying(ServerException.class, e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));
    }

    /** Every part of the request GeminiLm writes, sent to the server, parsed by the SDK and written back the same. */
    @Test
    void ourRequestBodiesParseWithTheSdkRequestModel() throws Exception {
        Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "get_weather",
                "description", "Weather in a city", "parameters", Map.of("type", "object",
                        "properties", Map.of("city", Map.of("type", "string")), "required", List.of("city"))));
        LmRequest request = LmRequest.of(List.of(
                        Message.system("You are terse."),
                        Message.user(List.of(new Message.Part.Text("What is this?"),
                                new Message.Part.ImageUrl("data:image/png;base64,iVBORw0KGgo="),
                                new Message.Part.ImageUrl("https://example.com/cat.jpg"))),
                        Message.assistant("Let me look.", List.of(new ToolCall("c1", "get_weather",
                                "{\"city\": \"Paris\"}"))),
                        Message.tool("c1", "18 C"),
                        Message.user("And tomorrow?")),
                CallConfig.empty().withTemperature(0.5).withMaxTokens(77).withStop(List.of("END")).withSeed(7L)
                        .withN(2).withExtra("topP", 0.9)
                        .withExtra("safetySettings", List.of(Map.of("category", "HARM_CATEGORY_HARASSMENT",
                                "threshold", "BLOCK_NONE"))))
                .withTools(List.of(tool)).withToolChoice(Map.of("type", "function", "function",
                        Map.of("name", "get_weather")))
                .withResponseFormat(Map.of("type", "json_schema", "json_schema", Map.of("name", "Out",
                        "schema", Map.of("type", "object", "properties", Map.of("answer", Map.of("type", "string"))))));
        try (GeminiLm lm = GeminiLm.builder().baseUrl(server.baseUrl()).apiKey("k").model("gemini-mock")
                .responseTimeout(Duration.ofSeconds(10)).build()) {
            lm.call(request).block(Duration.ofSeconds(10));
            JsonNode body = JSON.readTree(server.lastRequest().rawBody());
            assertThat(fieldNames(body)).containsExactlyInAnyOrder("contents", "systemInstruction", "tools",
                    "toolConfig", "safetySettings", "generationConfig");
            for (JsonNode content : body.get("contents")) {
                sameAfterTheSdk(content, Content.class);
            }
            sameAfterTheSdk(body.get("systemInstruction"), Content.class);
            sameAfterTheSdk(body.get("generationConfig"), GenerationConfig.class);
            sameAfterTheSdk(body.get("tools").get(0), Tool.class);
            sameAfterTheSdk(body.get("toolConfig"), ToolConfig.class);
            GenerationConfig config = JsonSerializable.fromJsonNode(body.get("generationConfig"),
                    GenerationConfig.class);
            assertThat(config.candidateCount()).hasValue(2);
            assertThat(config.maxOutputTokens()).hasValue(77);
            assertThat(config.seed()).hasValue(7);
            assertThat(config.responseMimeType()).hasValue("application/json");
            Content model = JsonSerializable.fromJsonNode(body.get("contents").get(1), Content.class);
            assertThat(model.role()).hasValue("model");
            assertThat(model.parts().orElseThrow().get(1).functionCall().orElseThrow().name()).hasValue("get_weather");
            Content results = JsonSerializable.fromJsonNode(body.get("contents").get(2), Content.class);
            assertThat(results.parts().orElseThrow().get(0).functionResponse().orElseThrow().name())
                    .hasValue("get_weather");
            assertThat(results.parts().orElseThrow().get(1).text()).hasValue("And tomorrow?");
            Content user = JsonSerializable.fromJsonNode(body.get("contents").get(0), Content.class);
            assertThat(user.parts().orElseThrow().get(1).inlineData()).isPresent();
            assertThat(user.parts().orElseThrow().get(2).fileData().orElseThrow().mimeType()).hasValue("image/jpeg");
        }
    }

    /** The referee can fail: a misspelt field does not survive the SDK's model. */
    @Test
    void theRefereeCatchesAFieldTheSdkDoesNotKnow() throws Exception {
        assertThatThrownBy(() -> sameAfterTheSdk(JSON.readTree("{\"tempreature\": 0.5}"), GenerationConfig.class))
                .isInstanceOf(Throwable.class);
        sameAfterTheSdk(JSON.readTree("{\"temperature\": 0.5}"), GenerationConfig.class);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The SDK's model of this JSON writes back the same JSON: it knew every field. */
    private static <T extends JsonSerializable> void sameAfterTheSdk(JsonNode node, Class<T> type) throws Exception {
        T parsed = JsonSerializable.fromJsonNode(node, type);
        assertThat(JSON.readTree(parsed.toJson())).as("%s written back by the SDK", type.getSimpleName())
                .isEqualTo(JSON.readTree(node.toString()));
    }
}

package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * GeminiLm on the wire: what it sends, how it reads candidates, finish reasons (safety ones as results), function
 * calls, usageMetadata, streams, embeddings and google.rpc.Status errors.
 */
class GeminiLmTest {

    private static final String KEY = "AIzaSyA-secret-key-0123456789abcdefghij";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Map<String, Object> WEATHER = Map.of("type", "function", "function", Map.of(
            "name", "get_weather", "description", "Weather of a city",
            "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")))));
    private static final String ANSWER = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Paris\"}],"
            + "\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":8,"
            + "\"candidatesTokenCount\":1,\"totalTokenCount\":9},\"modelVersion\":\"gemini-x-001\","
            + "\"responseId\":\"resp-1\"}";

    private RawServer server;
    private GeminiLm lm;

    @BeforeEach
    void start() {
        server = new RawServer().json(200, ANSWER);
        lm = GeminiLm.builder().baseUrl(server.url()).apiKey(KEY).model("gemini-x")
                .responseTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void stop() {
        lm.close();
        server.close();
    }

    private JsonNode sent() throws Exception {
        return Json.MAPPER.readTree(server.last().body());
    }

    private static LmRequest ask(String text) {
        return LmRequest.of(List.of(Message.user(text)));
    }

    @Test
    void sendsKeyInAHeaderSystemInstructionRolesAndGenerationConfig() throws Exception {
        LmRequest r = LmRequest.of(List.of(Message.system("Be terse."), Message.user("Capital?"),
                        Message.assistant("Of what?"), Message.user("France")),
                CallConfig.empty().withTemperature(0.3).withMaxTokens(50).withN(2).withStop(List.of("END"))
                        .withSeed(4L).withRolloutId("rollout-9").withExtra("topP", 0.8)
                        .withExtra("safetySettings", List.of(Map.of("category", "HARM_CATEGORY_HATE_SPEECH",
                                "threshold", "BLOCK_NONE"))));
        LmResponse response = RawServer.block(lm.call(r));
        assertThat(response.text()).isEqualTo("Paris");
        assertThat(response.model()).isEqualTo("gemini-x-001");
        assertThat(response.requestId()).isEqualTo("resp-1");
        RawServer.Received got = server.last();
        assertThat(got.uri()).isEqualTo("/v1beta/models/gemini-x:generateContent");
        assertThat(got.headers()).containsEntry("x-goog-api-key", KEY).doesNotContainKey("authorization");
        assertThat(got.uri()).doesNotContain(KEY);
        JsonNode body = sent();
        assertThat(body.get("systemInstruction")).isEqualTo(Json.MAPPER.readTree(
                "{\"parts\":[{\"text\":\"Be terse.\"}]}"));
        assertThat(body.get("contents")).isEqualTo(Json.MAPPER.readTree("[{\"role\":\"user\",\"parts\":[{\"text\":"
                + "\"Capital?\"}]},{\"role\":\"model\",\"parts\":[{\"text\":\"Of what?\"}]},{\"role\":\"user\","
                + "\"parts\":[{\"text\":\"France\"}]}]"));
        assertThat(body.get("generationConfig")).isEqualTo(Json.MAPPER.readTree("{\"temperature\":0.3,"
                + "\"maxOutputTokens\":50,\"candidateCount\":2,\"stopSequences\":[\"END\"],\"seed\":4,\"topP\":0.8}"));
        assertThat(body.get("safetySettings").get(0).get("threshold").asText()).isEqualTo("BLOCK_NONE");
        assertThat(got.body()).doesNotContain("rollout-9");
        RawServer.block(lm.call(ask("a").withConfig(CallConfig.empty().withModel("tunedModels/mine-1"))));
        assertThat(server.last().uri()).isEqualTo("/v1beta/tunedModels/mine-1:generateContent");
    }

    @Test
    void builderDefaultsBadModelNamesAndSecretFreeId() {
        try (GeminiLm other = GeminiLm.builder().apiKey(KEY).model("gemini-x").apiVersion("v1").build()) {
            assertThat(other.baseUrl()).isEqualTo(GeminiLm.DEFAULT_BASE_URL);
            assertThat(other.id()).isEqualTo("gemini:https://generativelanguage.googleapis.com/v1|gemini-x")
                    .doesNotContain(KEY);
            assertThat(other.toString()).doesNotContain(KEY);
        }
        assertThatThrownBy(() -> GeminiLm.builder().build()).hasMessageContaining("model");
        assertThatThrownBy(() -> GeminiLm.builder().model("../../etc")).hasMessageContaining("../../etc");
        assertThatThrownBy(() -> GeminiLm.builder().apiVersion("v1/../x")).hasMessageContaining("apiVersion");
        StepVerifier.create(lm.call(ask("a").withConfig(CallConfig.empty().withModel("gemini x?"))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("gemini x?"))
                .verify(WAIT);
    }

    @Test
    void badInputIsATypedErrorNamingIt() {
        StepVerifier.create(lm.call(LmRequest.of(List.of(Message.user("a"), Message.system("late")))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("messages[1] is a system message"))
                .verify(WAIT);
        StepVerifier.create(lm.call(LmRequest.of(List.of(Message.user("a"), Message.tool("nobody", "x")))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("messages[1]")
                        .hasMessageContaining("nobody"))
                .verify(WAIT);
        assertThat(server.received()).isEmpty();
    }

    @Test
    void functionDeclarationsCallsResponsesAndImagesAreGeminiParts() throws Exception {
        LmRequest r = LmRequest.of(List.of(
                        Message.user(List.of(new Message.Part.Text("Look"),
                                new Message.Part.ImageUrl("data:image/webp;base64,AAAA"),
                                new Message.Part.ImageUrl("https://example.com/a.png?x=1"))),
                        Message.assistant("", List.of(new ToolCall("c1", "get_weather", "{\"city\":\"Paris\"}"),
                                new ToolCall("c2", "get_weather", "{\"city\":\"Lyon\"}"))),
                        Message.tool("c1", "18 C"),
                        Message.tool("c2", "20 C")))
                .withTools(List.of(WEATHER)).withToolChoice("required")
                .withResponseFormat(Map.of("type", "json_object"));
        RawServer.block(lm.call(r));
        JsonNode body = sent();
        assertThat(body.get("tools")).isEqualTo(Json.MAPPER.readTree("[{\"functionDeclarations\":[{\"name\":"
                + "\"get_weather\",\"description\":\"Weather of a city\",\"parametersJsonSchema\":{\"type\":\"object\","
                + "\"properties\":{\"city\":{\"type\":\"string\"}}}}]}]"));
        assertThat(body.get("toolConfig")).isEqualTo(Json.MAPPER.readTree(
                "{\"functionCallingConfig\":{\"mode\":\"ANY\"}}"));
        assertThat(body.get("generationConfig").get("responseMimeType").asText()).isEqualTo("application/json");
        JsonNode contents = body.get("contents");
        assertThat(contents).hasSize(3);
        assertThat(contents.get(0).get("parts")).isEqualTo(Json.MAPPER.readTree("[{\"text\":\"Look\"},"
                + "{\"inlineData\":{\"mimeType\":\"image/webp\",\"data\":\"AAAA\"}},"
                + "{\"fileData\":{\"mimeType\":\"image/png\",\"fileUri\":\"https://example.com/a.png?x=1\"}}]"));
        assertThat(contents.get(1)).isEqualTo(Json.MAPPER.readTree("{\"role\":\"model\",\"parts\":["
                + "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}},"
                + "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Lyon\"}}}]}"));
        assertThat(contents.get(2)).isEqualTo(Json.MAPPER.readTree("{\"role\":\"user\",\"parts\":["
                + "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"output\":\"18 C\"}}},"
                + "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"output\":\"20 C\"}}}]}"));
        RawServer.block(lm.call(ask("a").withTools(List.of(WEATHER)).withToolChoice(Map.of("type", "function",
                "function", Map.of("name", "get_weather")))));
        assertThat(sent().get("toolConfig")).isEqualTo(Json.MAPPER.readTree("{\"functionCallingConfig\":{\"mode\":"
                + "\"ANY\",\"allowedFunctionNames\":[\"get_weather\"]}}"));
        RawServer.block(lm.call(ask("a").withResponseFormat(Map.of("type", "json_schema", "json_schema",
                Map.of("name", "Out", "schema", Map.of("type", "object"))))));
        assertThat(sent().get("generationConfig")).isEqualTo(Json.MAPPER.readTree(
                "{\"responseMimeType\":\"application/json\",\"responseJsonSchema\":{\"type\":\"object\"}}"));
    }

    @Test
    void readsCandidatesFunctionCallsThoughtsAndUsage() {
        server.json(200, "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
                + "{\"text\":\"thinking...\",\"thought\":true},{\"text\":\"Checking.\"},"
                + "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}},"
                + "{\"functionCall\":{\"id\":\"fc-9\",\"name\":\"get_time\",\"args\":{}}}]},\"finishReason\":\"STOP\"},"
                + "{\"index\":1,\"content\":{\"parts\":[{\"text\":\"Other\"}]},\"finishReason\":\"MAX_TOKENS\"}],"
                + "\"usageMetadata\":{\"promptTokenCount\":100,\"cachedContentTokenCount\":60,"
                + "\"candidatesTokenCount\":20,\"thoughtsTokenCount\":30,\"totalTokenCount\":150}}");
        LmResponse r = RawServer.block(lm.call(ask("a")));
        assertThat(r.texts()).containsExactly("Checking.", "Other");
        assertThat(r.toolCalls()).containsExactly(new ToolCall("call_0", "get_weather", "{\"city\":\"Paris\"}"),
                new ToolCall("fc-9", "get_time", "{}"));
        assertThat(r.choices()).extracting(LmResponse.Choice::finishReason).containsExactly("tool_calls", "length");
        assertThat(r.usage()).isEqualTo(new Usage(100, 50, 150, 60, 0));
    }

    @Test
    void safetyFinishReasonsAndABlockedPromptAreResultsNotErrors() {
        for (String reason : List.of("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII")) {
            server.json(200, "{\"candidates\":[{\"finishReason\":\"" + reason + "\",\"safetyRatings\":[]}]}");
            LmResponse r = RawServer.block(lm.call(ask("a")));
            assertThat(r.text()).isEmpty();
            assertThat(r.choices().get(0).finishReason()).as(reason).isEqualTo("content_filter");
        }
        server.json(200, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},"
                + "\"finishReason\":\"MALFORMED_FUNCTION_CALL\"}]}");
        assertThat(RawServer.block(lm.call(ask("a"))).choices().get(0).finishReason())
                .isEqualTo("malformed_function_call");
        server.json(200, "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{\"promptTokenCount\":5,"
                + "\"totalTokenCount\":5}}");
        LmResponse blocked = RawServer.block(lm.call(ask("a")));
        assertThat(blocked.text()).isEmpty();
        assertThat(blocked.choices().get(0).finishReason()).isEqualTo("content_filter");
        assertThat(blocked.usage().promptTokens()).isEqualTo(5);
    }

    @Test
    void errorsComeFromTheRpcStatusWithRetryInfo() {
        Object[][] cases = {
            {400, "INVALID_ARGUMENT", LmException.BadRequest.class, false},
            {400, "FAILED_PRECONDITION", LmException.BadRequest.class, false},
            {403, "PERMISSION_DENIED", LmException.PermissionDenied.class, false},
            {404, "NOT_FOUND", LmException.NotFound.class, false},
            {429, "RESOURCE_EXHAUSTED", LmException.RateLimit.class, true},
            {500, "INTERNAL", LmException.InternalServer.class, true},
            {503, "UNAVAILABLE", LmException.InternalServer.class, true},
            {504, "DEADLINE_EXCEEDED", LmException.InternalServer.class, true},
        };
        for (Object[] c : cases) {
            server.json((int) c[0], "{\"error\":{\"code\":" + c[0] + ",\"message\":\"no " + KEY + "\",\"status\":\""
                    + c[1] + "\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                    + "\"retryDelay\":\"37s\"}]}}");
            StepVerifier.create(lm.call(ask("a"))).expectErrorSatisfies(e -> {
                assertThat(e).isInstanceOf((Class<?>) c[2]);
                LmException l = (LmException) e;
                assertThat(l.statusCode()).hasValue((int) c[0]);
                assertThat(l.isRetryable()).as("%s retryable", c[1]).isEqualTo(c[3]);
                assertThat(l.getMessage()).contains((String) c[1]).doesNotContain(KEY).doesNotContain("AIzaSyA-");
                if ((int) c[0] == 429) {
                    assertThat(l.retryAfter()).hasValue(Duration.ofSeconds(37));
                }
            }).verify(WAIT);
        }
        server.json(400, "[{\"error\":{\"code\":400,\"message\":\"The input token count (1200000) exceeds the maximum "
                + "number of tokens allowed (1048576).\",\"status\":\"INVALID_ARGUMENT\"}}]");
        StepVerifier.create(lm.call(ask("a"))).expectError(LmException.ContextWindowExceeded.class).verify(WAIT);
        server.answer(502, "text/html", "<html><title>502 Bad Gateway</title></html>");
        StepVerifier.create(lm.call(ask("a"))).expectErrorSatisfies(e -> assertThat(e)
                .isInstanceOf(LmException.InternalServer.class).hasMessageContaining("502 Bad Gateway")).verify(WAIT);
        server.answer(200, "text/html", "<html>sign in</html>");
        StepVerifier.create(lm.call(ask("a"))).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(LmException.MalformedResponse.class);
            assertThat(((LmException) e).isRetryable()).isTrue();
        }).verify(WAIT);
    }

    private static String chunk(String candidate, String usage) {
        return "data: {\"candidates\":[" + candidate + "]" + (usage == null ? "" : ",\"usageMetadata\":" + usage)
                + "}\r\n\r\n";
    }

    @Test
    void streamsTextFunctionCallsFinishAndUsage() {
        server.sse(chunk("{\"content\":{\"parts\":[{\"text\":\"Let me\"}],\"role\":\"model\"}}", null)
                + chunk("{\"content\":{\"parts\":[{\"text\":\" check.\"}]},\"index\":0}", "{\"promptTokenCount\":9}")
                + chunk("{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":"
                + "\"Paris\"}}}]},\"finishReason\":\"STOP\"}", "{\"promptTokenCount\":9,\"candidatesTokenCount\":7,"
                + "\"totalTokenCount\":16}"));
        List<LmChunk> chunks = lm.stream(ask("a")).collectList().block(WAIT);
        assertThat(chunks).extracting(LmChunk::text).containsExactly("Let me", " check.", "", "");
        assertThat(chunks.get(2).finishReason()).isEqualTo("tool_calls");
        assertThat(chunks.get(2).toolCalls()).containsExactly(new ToolCall("call_0", "get_weather",
                "{\"city\":\"Paris\"}"));
        assertThat(chunks.get(3).usage()).isEqualTo(Usage.of(9, 7));
        assertThat(server.last().uri()).isEqualTo("/v1beta/models/gemini-x:streamGenerateContent?alt=sse");
    }

    @Test
    void aStreamCutBeforeEveryCandidateFinishedOrWithAnErrorIsTyped() {
        String first = chunk("{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}", null);
        server.sse(first);
        StepVerifier.create(lm.stream(ask("a"))).expectNextCount(1)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(LmException.MalformedResponse.class)
                        .hasMessageContaining("truncated"))
                .verify(WAIT);
        server.sse(first + "data: {\"error\":{\"code\":503,\"message\":\"overloaded\","
                + "\"status\":\"UNAVAILABLE\"}}\r\n\r\n");
        StepVerifier.create(lm.stream(ask("a"))).expectNextCount(1)
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(LmException.StreamError.class).hasMessageContaining("UNAVAILABLE");
                    assertThat(((LmException) e).isRetryable()).isTrue();
                })
                .verify(WAIT);
        server.sse(first + "data: {\"error\":{\"code\":400,\"message\":\"bad\","
                + "\"status\":\"INVALID_ARGUMENT\"}}\r\n\r\n");
        StepVerifier.create(lm.stream(ask("a"))).expectNextCount(1)
                .expectErrorSatisfies(e -> assertThat(((LmException) e).isRetryable()).isFalse())
                .verify(WAIT);
        server.sse(first + "data: {\"candidates\": [ oops\r\n\r\n");
        StepVerifier.create(lm.stream(ask("a"))).expectNextCount(1).expectError(LmException.MalformedResponse.class)
                .verify(WAIT);
        server.sse("data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}\r\n\r\n");
        StepVerifier.create(lm.stream(ask("a")))
                .expectNextMatches(c -> "content_filter".equals(c.finishReason()))
                .expectNextMatches(c -> c.usage() != null)
                .verifyComplete();
    }

    @Test
    void embedsOneTextWithEmbedContentAndSeveralWithBatchEmbedContents() throws Exception {
        try (GeminiLm embedder = GeminiLm.builder().baseUrl(server.url()).apiKey(KEY).model("gemini-x")
                .embeddingModel("gemini-embedding-001").build()) {
            server.json(200, "{\"embedding\":{\"values\":[0.5,-0.25]}}");
            List<float[]> one = RawServer.block(embedder.embed(List.of("cat")));
            assertThat(one).hasSize(1);
            assertThat(one.get(0)).containsExactly(0.5f, -0.25f);
            assertThat(server.last().uri()).isEqualTo("/v1beta/models/gemini-embedding-001:embedContent");
            assertThat(sent()).isEqualTo(Json.MAPPER.readTree("{\"model\":\"models/gemini-embedding-001\","
                    + "\"content\":{\"parts\":[{\"text\":\"cat\"}]}}"));
            server.json(200, "{\"embeddings\":[{\"values\":[1]},{\"values\":[2]}]}");
            List<float[]> two = RawServer.block(embedder.embed(List.of("cat", "dog")));
            assertThat(two).extracting(v -> v[0]).containsExactly(1f, 2f);
            assertThat(server.last().uri()).isEqualTo("/v1beta/models/gemini-embedding-001:batchEmbedContents");
            assertThat(sent().get("requests")).hasSize(2);
            server.json(200, "{\"embeddings\":[{\"values\":[1]}]}");
            StepVerifier.create(embedder.embed(List.of("cat", "dog"))).expectError(LmException.MalformedResponse.class)
                    .verify(WAIT);
            assertThat(RawServer.block(embedder.embed(List.of()))).isEmpty();
        }
    }
}

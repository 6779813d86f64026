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

/** AnthropicLm on the wire: what it sends, how it reads messages, streams, tool use, usage and every error type. */
class AnthropicLmTest {

    private static final String KEY = "sk-ant-api03-secret-0123456789";
    /** The longest wait for an outcome (a first call in a fresh JVM can take seconds); nothing is timed. */
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Map<String, Object> WEATHER = Map.of("type", "function", "function", Map.of(
            "name", "get_weather", "description", "Weather of a city",
            "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")))));
    private static final String MESSAGE = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"model\":\"claude-x\",\"content\":[{\"type\":\"text\",\"text\":\"Paris\"}],"
            + "\"stop_reason\":\"end_turn\","
            + "\"usage\":{\"input_tokens\":10,\"output_tokens\":2}}";

    private RawServer server;
    private AnthropicLm lm;

    @BeforeEach
    void start() {
        server = new RawServer().json(200, MESSAGE);
        lm = AnthropicLm.builder().baseUrl(server.url()).apiKey(KEY).model("claude-x")
                .responseTimeout(Duration.ofSeconds(5)).build();
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
    void sendsKeyVersionSystemMaxTokensAndParameters() throws Exception {
        LmRequest r = LmRequest.of(List.of(Message.system("Be terse."), Message.user("hi")),
                CallConfig.empty().withStop(List.of("END")).withRolloutId("rollout-9").withExtra("top_k", 5));
        assertThat(RawServer.block(lm.call(r)).text()).isEqualTo("Paris");
        RawServer.Received got = server.last();
        assertThat(got.uri()).isEqualTo("/v1/messages");
        assertThat(got.headers()).containsEntry("x-api-key", KEY).containsEntry("anthropic-version", "2023-06-01")
                .doesNotContainKey("authorization");
        JsonNode body = sent();
        assertThat(body.get("model").asText()).isEqualTo("claude-x");
        assertThat(body.get("system").asText()).isEqualTo("Be terse.");
        assertThat(body.get("max_tokens").asInt()).isEqualTo(AnthropicLm.DEFAULT_MAX_TOKENS);
        assertThat(body.get("stop_sequences").toString()).isEqualTo("[\"END\"]");
        assertThat(body.get("top_k").asInt()).isEqualTo(5);
        assertThat(body.has("temperature")).as("temperature only when set").isFalse();
        assertThat(body.get("messages").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"hi\"}]");
        assertThat(got.body()).doesNotContain("rollout-9");
        RawServer.block(lm.call(ask("x").withConfig(CallConfig.empty().withMaxTokens(12).withTemperature(0.2))));
        assertThat(sent().get("max_tokens").asInt()).isEqualTo(12);
        assertThat(sent().get("temperature").asDouble()).isEqualTo(0.2);
    }

    @Test
    void builderDefaultsAndSecretFreeId() {
        try (AnthropicLm other = AnthropicLm.builder().apiKey(KEY).model("claude-x").maxTokens(1000)
                .anthropicVersion("2023-01-01").header("anthropic-beta", "x").build()) {
            assertThat(other.baseUrl()).isEqualTo(AnthropicLm.DEFAULT_BASE_URL);
            assertThat(other.maxTokens()).isEqualTo(1000);
            assertThat(other.id()).isEqualTo("anthropic:https://api.anthropic.com|claude-x|"
                    + "{anthropic_version=2023-01-01, max_tokens=1000}").doesNotContain(KEY);
            assertThat(other.toString()).doesNotContain(KEY);
        }
        assertThatThrownBy(() -> AnthropicLm.builder().build()).hasMessageContaining("model");
        assertThatThrownBy(() -> AnthropicLm.builder().maxTokens(0)).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> AnthropicLm.builder().anthropicVersion(" ")).hasMessageContaining("anthropicVersion");
        assertThatThrownBy(() -> AnthropicLm.builder().baseUrl("ftp://x")).hasMessageContaining("baseUrl");
    }

    @Test
    void badInputIsATypedErrorNamingIt() {
        StepVerifier.create(lm.call(LmRequest.of(List.of(Message.user("a"), Message.system("late")))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("messages[1] is a system message after the conversation started"))
                .verify(WAIT);
        StepVerifier.create(lm.call(LmRequest.of(List.of(Message.system("only")))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("at least one user or assistant"))
                .verify(WAIT);
        StepVerifier.create(lm.call(ask("a").withConfig(CallConfig.empty().withSeed(3L))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("no seed"))
                .verify(WAIT);
        StepVerifier.create(lm.call(LmRequest.of(List.of(Message.user("a"),
                        Message.assistant("", List.of(new ToolCall("t1", "f", "not json")))))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("messages[1]").hasMessageContaining("t1"))
                .verify(WAIT);
        StepVerifier.create(lm.call(LmRequest.of(List.of(Message.user(List.of(
                        new Message.Part.ImageUrl("data:image/png,raw")))))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("base64"))
                .verify(WAIT);
        assertThat(server.received()).as("nothing was sent").isEmpty();
    }

    @Test
    void toolsToolChoiceToolUseToolResultsAndImagesAreAnthropicBlocks() throws Exception {
        LmRequest r = LmRequest.of(List.of(
                        Message.user(List.of(new Message.Part.Text("Look"),
                                new Message.Part.ImageUrl("data:image/jpeg;base64,AAAA"),
                                new Message.Part.ImageUrl("https://example.com/a.png"))),
                        Message.assistant("", List.of(new ToolCall("toolu_1", "get_weather", "{\"city\":\"Paris\"}"),
                                new ToolCall("toolu_2", "get_weather", ""))),
                        Message.tool("toolu_1", "18 C"),
                        Message.tool("toolu_2", "20 C")))
                .withTools(List.of(WEATHER))
                .withToolChoice(Map.of("type", "function", "function", Map.of("name", "get_weather")));
        RawServer.block(lm.call(r));
        JsonNode body = sent();
        assertThat(body.get("tools")).isEqualTo(Json.MAPPER.readTree("[{\"name\":\"get_weather\",\"description\":"
                + "\"Weather of a city\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":"
                + "{\"type\":\"string\"}}}}]"));
        assertThat(body.get("tool_choice").toString()).isEqualTo("{\"type\":\"tool\",\"name\":\"get_weather\"}");
        JsonNode turns = body.get("messages");
        assertThat(turns).hasSize(3);
        assertThat(turns.get(0).get("content").toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"Look\"},"
                + "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/jpeg\","
                + "\"data\":\"AAAA\"}},"
                + "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://example.com/a.png\"}}]");
        assertThat(turns.get(1).get("content").toString()).isEqualTo("[{\"type\":\"tool_use\",\"id\":\"toolu_1\","
                + "\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}},{\"type\":\"tool_use\",\"id\":\"toolu_2\","
                + "\"name\":\"get_weather\",\"input\":{}}]");
        assertThat(turns.get(2).toString()).isEqualTo("{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
                + "\"tool_use_id\":\"toolu_1\",\"content\":\"18 C\"},{\"type\":\"tool_result\",\"tool_use_id\":"
                + "\"toolu_2\",\"content\":\"20 C\"}]}");
        RawServer.block(lm.call(ask("a").withToolChoice("required").withTools(List.of(WEATHER))));
        assertThat(sent().get("tool_choice").toString()).isEqualTo("{\"type\":\"any\"}");
        RawServer.block(lm.call(ask("a").withResponseFormat(Map.of("type", "json_object"))));
        assertThat(sent().has("output_config")).isFalse();
        RawServer.block(lm.call(ask("a").withResponseFormat(Map.of("type", "json_schema", "json_schema",
                Map.of("name", "Out", "schema", Map.of("type", "object"))))));
        assertThat(sent().get("output_config").toString())
                .isEqualTo("{\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\"}}}");
    }

    @Test
    void readsToolUseStopReasonsAndUsageWithCacheTokens() {
        server.json(200, "{\"id\":\"msg_2\",\"type\":\"message\",\"model\":\"claude-x\",\"content\":["
                + "{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"s\"},"
                + "{\"type\":\"text\",\"text\":\"Let me check.\"},"
                + "{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}],"
                + "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":5,\"cache_creation_input_tokens\":100,"
                + "\"cache_read_input_tokens\":1000,\"output_tokens\":7}}")
                .headers(Map.of("request-id", "req_abc"));
        LmResponse r = RawServer.block(lm.call(ask("weather?")));
        assertThat(r.text()).isEqualTo("Let me check.");
        assertThat(r.toolCalls()).containsExactly(new ToolCall("toolu_9", "get_weather", "{\"city\":\"Paris\"}"));
        assertThat(r.choices().get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(r.usage()).isEqualTo(new Usage(1105, 7, 1112, 1000, 100));
        assertThat(r.requestId()).isEqualTo("req_abc");
        for (String[] reason : new String[][] {{"max_tokens", "length"}, {"stop_sequence", "stop"},
                {"refusal", "content_filter"}, {"pause_turn", "pause_turn"}}) {
            server.json(200, MESSAGE.replace("end_turn", reason[0]));
            assertThat(RawServer.block(lm.call(ask("a"))).choices().get(0).finishReason()).isEqualTo(reason[1]);
        }
    }

    @Test
    void severalChoicesAreParallelRequestsInOrderWithUsageSummed() {
        LmResponse r = RawServer.block(lm.call(ask("a").withConfig(CallConfig.empty().withN(3))));
        assertThat(r.choices()).hasSize(3);
        assertThat(r.usage()).isEqualTo(Usage.of(30, 6));
        assertThat(server.received()).hasSize(3).allSatisfy(got -> assertThat(got.body()).doesNotContain("\"n\""));
    }

    @Test
    void eachErrorTypeIsTypedWithItsRetryability() {
        Object[][] cases = {
            {400, "invalid_request_error", LmException.BadRequest.class, false},
            {401, "authentication_error", LmException.Authentication.class, false},
            {403, "permission_error", LmException.PermissionDenied.class, false},
            {404, "not_found_error", LmException.NotFound.class, false},
            {413, "request_too_large", LmException.HttpError.class, false},
            {429, "rate_limit_error", LmException.RateLimit.class, true},
            {500, "api_error", LmException.InternalServer.class, true},
            {529, "overloaded_error", LmException.InternalServer.class, true},
        };
        for (Object[] c : cases) {
            server.json((int) c[0], "{\"type\":\"error\",\"error\":{\"type\":\"" + c[1] + "\",\"message\":\"no "
                    + KEY + "\"},\"request_id\":\"req_1\"}").headers(Map.of("retry-after", "7"));
            StepVerifier.create(lm.call(ask("a"))).expectErrorSatisfies(e -> {
                assertThat(e).isInstanceOf((Class<?>) c[2]);
                LmException l = (LmException) e;
                assertThat(l.statusCode()).hasValue((int) c[0]);
                assertThat(l.isRetryable()).as("%s retryable", c[1]).isEqualTo(c[3]);
                assertThat(l.getMessage()).contains((String) c[1]).doesNotContain(KEY);
                assertThat(l.retryAfter()).hasValue(Duration.ofSeconds(7));
            }).verify(WAIT);
        }
        server.json(400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
                + "\"prompt is too long: 208310 tokens > 200000 maximum\"}}").headers(Map.of());
        StepVerifier.create(lm.call(ask("a"))).expectError(LmException.ContextWindowExceeded.class)
                .verify(WAIT);
    }

    @Test
    void aProxysHtmlPageIsTypedToo() {
        server.answer(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>");
        StepVerifier.create(lm.call(ask("a"))).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(LmException.InternalServer.class).hasMessageContaining("502 Bad Gateway");
            assertThat(((LmException) e).isRetryable()).isTrue();
        }).verify(WAIT);
        server.answer(200, "text/html", "<html>login page</html>");
        StepVerifier.create(lm.call(ask("a"))).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(LmException.MalformedResponse.class).hasMessageContaining("Anthropic message");
            assertThat(((LmException) e).isRetryable()).isTrue();
        }).verify(WAIT);
        StepVerifier.create(lm.stream(ask("a"))).expectError(LmException.MalformedResponse.class)
                .verify(WAIT);
        server.json(200, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
        StepVerifier.create(lm.call(ask("a"))).expectErrorSatisfies(e -> assertThat(e)
                .isInstanceOf(LmException.InternalServer.class).hasMessageContaining("overloaded_error"))
                .verify(WAIT);
    }

    private static String streamOf(String... events) {
        return String.join("", events);
    }

    @Test
    void streamsTextToolInputFragmentsStopReasonAndUsage() throws Exception {
        server.sse(streamOf(
                RawServer.event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":"
                        + "\"claude-x\",\"content\":[],\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":3,"
                        + "\"output_tokens\":1}}}"),
                RawServer.event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
                        + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
                RawServer.event("ping", "{\"type\":\"ping\"}"),
                RawServer.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                        + "{\"type\":\"text_delta\",\"text\":\"Checking\"}}"),
                RawServer.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                        + "{\"type\":\"text_delta\",\"text\":\" now.\"}}"),
                RawServer.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"),
                RawServer.event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,"
                        + "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_7\",\"name\":\"get_weather\","
                        + "\"input\":{}}}"),
                RawServer.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
                        + "{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}"),
                RawServer.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
                        + "{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Paris\\\"}\"}}"),
                RawServer.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"),
                RawServer.event("some_future_event", "{\"type\":\"some_future_event\"}"),
                RawServer.event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
                        + "\"usage\":{\"output_tokens\":30}}"),
                RawServer.event("message_stop", "{\"type\":\"message_stop\"}")));
        List<LmChunk> chunks = lm.stream(ask("weather?")).collectList().block(WAIT);
        assertThat(chunks).extracting(LmChunk::text).containsExactly("Checking", " now.", "", "");
        LmChunk finishing = chunks.get(2);
        assertThat(finishing.finishReason()).isEqualTo("tool_calls");
        assertThat(finishing.toolCalls())
                .containsExactly(new ToolCall("toolu_7", "get_weather", "{\"city\": \"Paris\"}"));
        assertThat(chunks.get(3).usage()).isEqualTo(new Usage(15, 30, 45, 3, 0));
        assertThat(sent().get("stream").asBoolean()).isTrue();
    }

    @Test
    void anErrorEventMidStreamIsTypedWithTheRightRetryability() {
        String start = RawServer.event("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":"
                + "{\"input_tokens\":1}}}")
                + RawServer.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                + "{\"type\":\"text_delta\",\"text\":\"Hi\"}}");
        server.sse(start + RawServer.event("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                + "\"message\":\"Overloaded\"}}"));
        StepVerifier.create(lm.stream(ask("a"))).expectNextMatches(c -> c.text().equals("Hi"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(LmException.StreamError.class).hasMessageContaining("overloaded_error");
                    assertThat(((LmException) e).isRetryable()).isTrue();
                }).verify(WAIT);
        server.sse(start + RawServer.event("error", "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                + "\"message\":\"bad\"}}"));
        StepVerifier.create(lm.stream(ask("a"))).expectNextCount(1)
                .expectErrorSatisfies(e -> assertThat(((LmException) e).isRetryable()).isFalse())
                .verify(WAIT);
        server.sse(start + "data: {not json\n\n");
        StepVerifier.create(lm.stream(ask("a"))).expectNextCount(1).expectError(LmException.MalformedResponse.class)
                .verify(WAIT);
        server.sse(start);
        StepVerifier.create(lm.stream(ask("a"))).expectNextCount(1)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(LmException.MalformedResponse.class)
                        .hasMessageContaining("message_stop"))
                .verify(WAIT);
    }

    @Test
    void severalStreamedChoicesAreTaggedAndTheirUsageSummedOnTheLastChunk() {
        server.sse(streamOf(
                RawServer.event("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":"
                        + "{\"input_tokens\":4,\"output_tokens\":1}}}"),
                RawServer.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                        + "{\"type\":\"text_delta\",\"text\":\"x\"}}"),
                RawServer.event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                        + "\"usage\":{\"output_tokens\":2}}"),
                RawServer.event("message_stop", "{\"type\":\"message_stop\"}")));
        List<LmChunk> chunks = lm.stream(ask("a").withConfig(CallConfig.empty().withN(2)))
                .collectList().block(WAIT);
        assertThat(chunks).filteredOn(c -> c.text().equals("x")).extracting(LmChunk::choiceIndex)
                .containsExactlyInAnyOrder(0, 1);
        assertThat(chunks.subList(0, chunks.size() - 1)).allMatch(c -> c.usage() == null);
        assertThat(chunks.get(chunks.size() - 1).usage()).isEqualTo(Usage.of(8, 4));
    }
}

package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.ObjectMappers;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.OverloadedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Base64ImageSource;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.ImageBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageParam;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.TextBlockParam;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.anthropic.models.messages.ToolUseBlockParam;
import io.dspex.lm.AnthropicLm;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.ToolCall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official Anthropic Java SDK as protocol referee: it talks to MockLmServer's Anthropic mode (messages, streams,
 * typed errors), and it parses the request bodies AnthropicLm sends, with no field it does not know. The SDK blocks,
 * so it runs on the JUnit thread.
 */
class AnthropicSdkInteropTest {

    private MockLmServer server;
    private AnthropicClient client;

    @BeforeEach
    void start() {
        server = MockLmServer.create(MockLmServer.Protocol.ANTHROPIC).reply(r -> "Paris, of course").start();
        client = AnthropicOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey("sk-ant-test").maxRetries(0)
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void messageFromTheServer() {
        Message m = client.messages().create(MessageCreateParams.builder().model("claude-mock").maxTokens(100)
                .system("Be terse.").addUserMessage("Capital of France?").build());
        assertThat(m.content()).hasSize(1);
        assertThat(m.content().get(0).text())
                .hasValueSatisfying(t -> assertThat(t.text()).isEqualTo("Paris, of course"));
        assertThat(m.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(m.model().asString()).isEqualTo("claude-mock");
        assertThat(m.usage().outputTokens()).isEqualTo(3);
        ParsedRequest seen = server.lastRequest();
        // SDK 3.x sends an API key as a bearer token, which the API accepts as well as x-api-key
        assertThat(seen.header("authorization")).isEqualTo("Bearer sk-ant-test");
        assertThat(seen.header("anthropic-version")).isNotBlank();
        assertThat(seen.header("x-api-key")).isNull();
        assertThat(seen.messages()).extracting(io.dspex.lm.Message::content)
                .containsExactly("Be terse.", "Capital of France?");
    }

    @Test
    void streamFromTheServer() {
        MessageAccumulator acc = MessageAccumulator.create();
        StringBuilder text = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(MessageCreateParams
                .builder().model("claude-mock").maxTokens(100).addUserMessage("Capital?").build())) {
            stream.stream().forEach(e -> {
                acc.accumulate(e);
                e.contentBlockDelta().flatMap(d -> d.delta().text()).ifPresent(t -> text.append(t.text()));
            });
        }
        assertThat(text.toString()).isEqualTo("Paris, of course");
        Message whole = acc.message();
        assertThat(whole.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(whole.usage().outputTokens()).isEqualTo(3);
        assertThat(server.lastRequest().stream()).isTrue();
    }

    /** A scripted tool-call reply is a message of a text block and tool_use blocks to the SDK. */
    @Test
    void toolCallRepliesAreReadByTheSdk() {
        server.reply(LmResponse.ofToolCalls("Let me add.", List.of(new ToolCall("toolu_1", "add",
                "{\"a\": 1, \"b\": 2}"), new ToolCall("toolu_2", "search", "{\"query\": \"ü\"}"))));
        Message m = client.messages().create(MessageCreateParams.builder().model("claude-mock").maxTokens(100)
                .addUserMessage("Add").build()).validate();
        assertThat(SdkReferee.unknownFields(m, "com.anthropic.models", Set.of())).isEmpty();
        assertThat(m.stopReason()).hasValue(StopReason.TOOL_USE);
        assertThat(m.content()).hasSize(3);
        assertThat(m.content().get(0).text().orElseThrow().text()).isEqualTo("Let me add.");
        ToolUseBlock add = m.content().get(1).toolUse().orElseThrow();
        assertThat(add.id()).isEqualTo("toolu_1");
        assertThat(add.name()).isEqualTo("add");
        assertThat(add._input().convert(Map.class)).isEqualTo(Map.of("a", 1, "b", 2));
        assertThat(m.content().get(2).toolUse().orElseThrow()._input().convert(Map.class))
                .isEqualTo(Map.of("query", "ü"));
    }

    /** Streamed, the SDK's accumulator assembles each tool_use block's input from its input_json_delta pieces. */
    @Test
    void streamedToolCallRepliesAreAssembledByTheSdk() {
        server.reply(LmResponse.ofToolCalls("", List.of(new ToolCall("toolu_1", "search",
                "{\"query\": \"a fairly long query «ü»\", \"k\": 10}"))));
        MessageAccumulator acc = MessageAccumulator.create();
        List<String> fragments = new ArrayList<>();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(MessageCreateParams
                .builder().model("claude-mock").maxTokens(100).addUserMessage("Search").build())) {
            stream.stream().forEach(e -> {
                acc.accumulate(e);
                e.contentBlockDelta().flatMap(d -> d.delta().inputJson())
                        .ifPresent(j -> fragments.add(j.partialJson()));
            });
        }
        assertThat(fragments).hasSizeGreaterThan(3);
        Message whole = acc.message();
        assertThat(whole.stopReason()).hasValue(StopReason.TOOL_USE);
        assertThat(whole.content()).hasSize(1);
        ToolUseBlock search = whole.content().get(0).toolUse().orElseThrow();
        assertThat(search.id()).isEqualTo("toolu_1");
        assertThat(search._input().convert(Map.class))
                .isEqualTo(Map.of("query", "a fairly long query «ü»", "k", 10));
    }

    /** The server reads tool_use, tool_result and image blocks the SDK sends back into the library's messages. */
    @Test
    void theServerReadsTheSdksToolTurnsAndImages() {
        client.messages().create(MessageCreateParams.builder().model("claude-mock").maxTokens(100)
                .addUserMessageOfContentBlockParams(List.of(
                        ContentBlockParam.ofText(TextBlockParam.builder().text("Sum this:").build()),
                        ContentBlockParam.ofImage(ImageBlockParam.builder().source(Base64ImageSource.builder()
                                .mediaType(Base64ImageSource.MediaType.IMAGE_PNG).data("iVBORw0KGgo=").build())
                                .build())))
                .addAssistantMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolUse(ToolUseBlockParam.builder()
                        .id("toolu_9").name("add").input(ToolUseBlockParam.Input.builder()
                                .putAdditionalProperty("a", JsonValue.from(1)).build()).build())))
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId("toolu_9").content("1").build())))
                .build());
        assertThat(server.lastRequest().messages()).containsExactly(
                io.dspex.lm.Message.user(List.of(new io.dspex.lm.Message.Part.Text("Sum this:"),
                        new io.dspex.lm.Message.Part.ImageUrl("data:image/png;base64,iVBORw0KGgo="))),
                io.dspex.lm.Message.assistant("", List.of(new ToolCall("toolu_9", "add", "{\"a\":1}"))),
                io.dspex.lm.Message.tool("toolu_9", "1"));
    }

    @Test
    void errorsFromTheServerAreTheSdksTypedErrors() {
        server.faultNext(1, Fault.status(429, "slow down").withRetryAfter(2));
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model("m").maxTokens(10)
                .addUserMessage("a").build()))
                .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.statusCode()).isEqualTo(429))
                .hasMessageContaining("slow down");
        server.faultNext(1, Fault.status(529, "Overloaded"));
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model("m").maxTokens(10)
                .addUserMessage("a").build()))
                .isInstanceOf(OverloadedException.class).hasMessageContaining("Overloaded");
    }

    /** Every part of the request model AnthropicLm writes, sent to the server and parsed by the SDK. */
    @Test
    void ourRequestBodiesParseWithTheSdkRequestModel() throws Exception {
        Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "get_weather",
                "description", "Weather in a city", "parameters", Map.of("type", "object",
                        "properties", Map.of("city", Map.of("type", "string")), "required", List.of("city"))));
        LmRequest request = LmRequest.of(List.of(
                        io.dspex.lm.Message.system("You are terse."),
                        io.dspex.lm.Message.system("Answer in French."),
                        io.dspex.lm.Message.user(List.of(new io.dspex.lm.Message.Part.Text("What is this?"),
                                new io.dspex.lm.Message.Part.ImageUrl("data:image/png;base64,iVBORw0KGgo="),
                                new io.dspex.lm.Message.Part.ImageUrl("https://example.com/cat.jpg"))),
                        io.dspex.lm.Message.assistant("Let me look.", List.of(
                                new ToolCall("toolu_1", "get_weather", "{\"city\": \"Paris\"}"),
                                new ToolCall("toolu_2", "get_weather", "{\"city\": \"Lyon\"}"))),
                        io.dspex.lm.Message.tool("toolu_1", "18 C"),
                        io.dspex.lm.Message.tool("toolu_2", "21 C"),
                        io.dspex.lm.Message.user("And tomorrow?")),
                CallConfig.empty().withTemperature(0.5).withMaxTokens(77).withStop(List.of("END")))
                .withTools(List.of(tool)).withToolChoice("required")
                .withResponseFormat(Map.of("type", "json_schema", "json_schema", Map.of("name", "Out",
                        "schema", Map.of("type", "object", "properties", Map.of("answer", Map.of("type", "string")),
                                "required", List.of("answer"), "additionalProperties", false))));
        try (AnthropicLm lm = AnthropicLm.builder().baseUrl(server.baseUrl()).apiKey("k").model("claude-mock")
                .responseTimeout(Duration.ofSeconds(10)).build()) {
            lm.call(request).block(Duration.ofSeconds(10));
            MessageCreateParams.Body body = parse(server.lastRequest().rawBody());
            // SDK 3.x dropped temperature from its typed model when Anthropic deprecated it on its newest models
            // (they answer 400); the API still takes it from older models, and AnthropicLm sends it only when set.
            assertThat(SdkReferee.unknownFields(body, "com.anthropic.models", Set.of("temperature"))).isEmpty();
            assertThat(server.lastRequest().body()).containsEntry("temperature", 0.5);
            assertThat(body.maxTokens()).isEqualTo(77);
            assertThat(body.model().asString()).isEqualTo("claude-mock");
            assertThat(body.stopSequences()).hasValue(List.of("END"));
            assertThat(body.system().orElseThrow().isTextBlockParams()).isTrue();
            assertThat(body.toolChoice().orElseThrow().isAny()).isTrue();
            assertThat(body.tools().orElseThrow().get(0).asTool().name()).isEqualTo("get_weather");
            assertThat(body.outputConfig().orElseThrow().format()).isPresent();
            List<MessageParam> turns = body.messages();
            assertThat(turns).hasSize(4);
            List<ContentBlockParam> user = turns.get(0).content().asContentBlockParams();
            assertThat(user.get(1).asImage().source().isBase64()).isTrue();
            assertThat(user.get(2).asImage().source().isUrl()).isTrue();
            List<ContentBlockParam> assistant = turns.get(1).content().asContentBlockParams();
            assertThat(assistant.get(1).asToolUse().id()).isEqualTo("toolu_1");
            List<ContentBlockParam> results = turns.get(2).content().asContentBlockParams();
            assertThat(results).hasSize(2).allMatch(ContentBlockParam::isToolResult);
            assertThat(results.get(1).asToolResult().toolUseId()).isEqualTo("toolu_2");

            lm.stream(LmRequest.of(List.of(io.dspex.lm.Message.user("hi")))).blockLast(Duration.ofSeconds(10));
            MessageCreateParams.Body streamed = parse(server.lastRequest().rawBody());
            assertThat(SdkReferee.unknownFields(streamed, "com.anthropic.models", Set.of("stream"))).isEmpty();
            assertThat(streamed.maxTokens()).isEqualTo(AnthropicLm.DEFAULT_MAX_TOKENS);
            assertThat(streamed.system()).isEmpty();
        }
    }

    /** The referee can fail: a misspelt field, at the top or in a block, is found. */
    @Test
    void theRefereeCatchesAFieldTheSdkDoesNotKnow() throws Exception {
        MessageCreateParams.Body body = parse("{\"model\": \"m\", \"max_tokens\": 5, \"stop_sequence\": [\"x\"], "
                + "\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"txt\": \"hi\", "
                + "\"text\": \"hi\"}]}]}");
        assertThat(SdkReferee.unknownFields(body, "com.anthropic.models", Set.of()))
                .contains("$: [stop_sequence]", "$.messages[0].content.contentBlockParams[0].text: [txt]");
    }

    private static MessageCreateParams.Body parse(String json) throws Exception {
        MessageCreateParams.Body body = ObjectMappers.jsonMapper().readValue(json, MessageCreateParams.Body.class);
        return body.validate();
    }

    @Test
    void theSdkReadsTheServersErrorBody() {
        server.faultNext(1, Fault.status(400, "max_tokens: Field required"));
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model("m").maxTokens(10)
                .addUserMessage("a").build()))
                .isInstanceOfSatisfying(AnthropicServiceException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("invalid_request_error");
                });
    }
}

package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * The {@link LanguageModelContract} plus the wire details of OpenAI's chat-completions protocol, for every
 * {@link LanguageModel} that speaks it (OpenAI, and the many servers compatible with it): the request body's fields,
 * the {@code Authorization: Bearer} header, the {@code choices} of a response and the deltas of its server-sent
 * events, {@code stream_options} usage, the {@code x-request-id}, {@code retry-after}, {@code retry-after-ms} and
 * {@code x-should-retry} headers, the {@code context_length_exceeded} error body, and function calling: {@code tools}
 * and {@code tool_choice}, an assistant's {@code tool_calls}, a tool result's {@code tool_call_id}, content parts.
 *
 * <p><b>How to extend.</b> Build the model under test pointed at the server's base URL (it ends in {@code /v1}):
 *
 * <pre>{@code
 * class MyOpenAiClientContractTest extends OpenAiCompatibleContract {
 *     @Override
 *     protected LanguageModel createLm(MockLmServer server, String apiKey, Duration responseTimeout) {
 *         return MyClient.builder().baseUrl(server.baseUrl()).apiKey(apiKey).model(MODEL)
 *                 .responseTimeout(responseTimeout).build();
 *     }
 * }
 * }</pre>
 *
 * <p>The capability hooks of {@link LanguageModelContract} apply here too; the model must be an HTTP client of the
 * server, so {@link #usesServer()} is always true.
 */
public abstract class OpenAiCompatibleContract extends LanguageModelContract {

    /** Creates the suite. */
    protected OpenAiCompatibleContract() {
    }

    /** @return true: these cases are about the wire */
    @Override
    protected final boolean usesServer() {
        return true;
    }

    /** A response maps its request id and keeps the raw chat-completion body. */
    @Test
    protected void callMapsRequestIdAndRawBody() {
        server.reply("Paris is the capital");
        StepVerifier.create(lm.call(ask("Capital of France?")))
                .assertNext(r -> {
                    assertThat(r.text()).isEqualTo("Paris is the capital");
                    assertThat(r.requestId()).isEqualTo("req_mock_1");
                    assertThat(r.raw()).contains("\"chat.completion\"");
                })
                .verifyComplete();
    }

    /**
     * The body carries the messages, the default model and every parameter under OpenAI's names; the key goes in
     * {@code Authorization: Bearer}; the rollout id is never sent.
     */
    @Test
    protected void callSendsMessagesParametersAndKeyButNotTheRolloutId() {
        LmRequest request = ask("hi").withConfig(CallConfig.empty().withTemperature(0.25).withMaxTokens(33)
                .withStop(List.of("END")).withSeed(9L).withExtra("top_p", 0.5).withRolloutId("rollout-77"))
                .withResponseFormat(Map.of("type", "json_object"));
        StepVerifier.create(lm.call(request)).expectNextCount(1).verifyComplete();
        ParsedRequest seen = server.lastRequest();
        assertThat(seen.path()).isEqualTo("/v1/chat/completions");
        assertThat(seen.header("authorization")).isEqualTo("Bearer " + API_KEY);
        assertThat(seen.messages()).containsExactlyElementsOf(request.messages());
        assertThat(seen.model()).isEqualTo(MODEL);
        assertThat(seen.body()).containsEntry("temperature", 0.25).containsEntry("max_tokens", 33)
                .containsEntry("seed", 9).containsEntry("top_p", 0.5)
                .containsEntry("stop", List.of("END")).containsEntry("response_format", Map.of("type", "json_object"));
        assertThat(seen.rawBody()).doesNotContain("rollout-77");
        assertThat(seen.stream()).isFalse();
    }

    /** The request's model goes in the body's {@code model}. */
    @Test
    protected void requestModelIsSentInTheBody() {
        StepVerifier.create(lm.call(ask("hi").withConfig(CallConfig.empty().withModel("other-model"))))
                .expectNextCount(1).verifyComplete();
        assertThat(server.lastRequest().model()).isEqualTo("other-model");
    }

    /** Several choices are asked for with {@code n} and read from {@code choices} in order. */
    @Test
    protected void severalChoicesAreAskedForWithN() {
        assumeTrue(supportsSeveralChoices(), "several choices");
        server.replies("one", "two", "three");
        StepVerifier.create(lm.call(ask("count").withConfig(CallConfig.empty().withN(3))))
                .assertNext(r -> assertThat(r.texts()).containsExactly("one", "two", "three"))
                .verifyComplete();
        assertThat(server.lastRequest().n()).isEqualTo(3);
    }

    /** A stream is asked for with {@code "stream": true} and usage with {@code stream_options.include_usage}. */
    @Test
    protected void streamAsksForServerSentEventsWithUsage() {
        assumeTrue(supportsStreaming(), "streaming");
        server.reply("the quick brown fox");
        StepVerifier.create(lm.stream(ask("go"))).thenConsumeWhile(c -> true).verifyComplete();
        assertThat(server.lastRequest().stream()).isTrue();
        assertThat(server.lastRequest().body()).containsEntry("stream_options", Map.of("include_usage", true));
    }

    /**
     * Tools and the tool choice go in the body as OpenAI defines them; an assistant turn's tool calls, a tool result
     * and a user turn of text and image parts arrive as the same messages.
     */
    @Test
    protected void toolsToolCallsToolResultsAndPartsAreSentInOpenAisFormat() {
        assumeTrue(supportsToolCalls(), "tool calls");
        Map<String, Object> add = Map.of("type", "function", "function", Map.of("name", "add", "description",
                "Add two integers.", "parameters", Map.of("type", "object", "properties",
                        Map.of("a", Map.of("type", "integer"), "b", Map.of("type", "integer")),
                        "required", List.of("a", "b"))));
        ToolCall call = new ToolCall("call_7", "add", "{\"a\": 1, \"b\": 2}");
        LmRequest request = LmRequest.of(List.of(Message.system("Use tools."),
                        Message.user(List.of(new Message.Part.Text("What is in "),
                                new Message.Part.ImageUrl("https://example.com/sum.png"), new Message.Part.Text("?"))),
                        Message.assistant("", List.of(call)), Message.tool("call_7", "3"), Message.user("Thanks")))
                .withTools(List.of(add))
                .withToolChoice(Map.of("type", "function", "function", Map.of("name", "add")));
        server.reply("3");
        StepVerifier.create(lm.call(request)).expectNextCount(1).verifyComplete();
        ParsedRequest seen = server.lastRequest();
        assertThat(seen.tools()).isEqualTo(List.of(add));
        assertThat(seen.toolChoice()).isEqualTo(Map.of("type", "function", "function", Map.of("name", "add")));
        assertThat(seen.messages()).containsExactlyElementsOf(request.messages());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages = (List<Map<String, Object>>) seen.body().get("messages");
        assertThat(messages.get(2)).containsEntry("role", "assistant").containsEntry("tool_calls",
                List.of(Map.of("id", "call_7", "type", "function", "function",
                        Map.of("name", "add", "arguments", "{\"a\": 1, \"b\": 2}"))));
        assertThat(messages.get(3)).containsEntry("role", "tool").containsEntry("tool_call_id", "call_7")
                .containsEntry("content", "3");
        assertThat(messages.get(1).get("content")).isEqualTo(List.of(Map.of("type", "text", "text", "What is in "),
                Map.of("type", "image_url", "image_url", Map.of("url", "https://example.com/sum.png")),
                Map.of("type", "text", "text", "?")));
    }

    /**
     * OpenAI carries a call's arguments as text: they arrive exactly as the model wrote them (spacing and all), whole
     * and streamed.
     */
    @Test
    protected void toolCallArgumentsArriveAsTheTextSent() {
        assumeTrue(supportsToolCalls(), "tool calls");
        server.reply(LmResponse.ofToolCalls("", TOOL_CALLS));
        StepVerifier.create(lm.call(ask("Add and search")))
                .assertNext(r -> assertThat(r.toolCalls()).containsExactlyElementsOf(TOOL_CALLS))
                .verifyComplete();
        if (supportsStreaming()) {
            List<LmChunk> chunks = lm.stream(ask("Add and search")).collectList().block(WAIT);
            assertThat(chunks).isNotNull();
            assertThat(chunks.stream().flatMap(c -> c.toolCalls().stream()).toList())
                    .containsExactlyElementsOf(TOOL_CALLS);
        }
    }

    /** A 400 whose body has {@code code: context_length_exceeded} is a non-retryable context window error. */
    @Test
    protected void contextWindowErrorIsRecognisedFromTheBody() {
        server.fault(Fault.statusWithBody(400, "{\"error\":{\"message\":\"This model's maximum context length is "
                + "4096 tokens. However, you requested 5000 tokens.\",\"type\":\"invalid_request_error\","
                + "\"code\":\"context_length_exceeded\"}}"));
        LmException e = expectError(lm.call(ask("long")), LmException.ContextWindowExceeded.class);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("maximum context length");
    }

    /** {@code Retry-After} is read in seconds and as an HTTP date; {@code retry-after-ms} wins over it. */
    @Test
    protected void retryAfterIsReadInSecondsMillisecondsAndAsADate() {
        server.faultNext(1, Fault.status(429, "slow down").withHeader("Retry-After", "3"));
        assertThat(expectError(lm.call(ask("a")), LmException.RateLimit.class).retryAfter())
                .hasValue(Duration.ofSeconds(3));
        server.faultNext(1, Fault.status(429, "slow down").withHeader("retry-after-ms", "1500")
                .withHeader("Retry-After", "9"));
        assertThat(expectError(lm.call(ask("b")), LmException.RateLimit.class).retryAfter())
                .hasValue(Duration.ofMillis(1500));
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(60));
        server.faultNext(1, Fault.status(503, "busy").withHeader("Retry-After", date));
        Duration d = expectError(lm.call(ask("c")), LmException.InternalServer.class).retryAfter().orElseThrow();
        assertThat(d).isBetween(Duration.ofSeconds(55), Duration.ofSeconds(61));
    }

    /** {@code x-should-retry} overrides the retryability a status would give. */
    @Test
    protected void xShouldRetryOverridesTheStatusDefault() {
        server.faultNext(1, Fault.status(400, "try again").withHeader("x-should-retry", "true"));
        assertThat(expectError(lm.call(ask("a")), LmException.BadRequest.class).isRetryable()).isTrue();
        server.faultNext(1, Fault.status(503, "do not").withHeader("x-should-retry", "false"));
        assertThat(expectError(lm.call(ask("b")), LmException.InternalServer.class).isRetryable()).isFalse();
    }

    /** An error carries the {@code x-request-id} header's value, in its message too. */
    @Test
    protected void errorsCarryTheRequestId() {
        server.fault(Fault.status(401, "Incorrect API key provided: " + API_KEY)
                .withHeader("x-request-id", "req_abc"));
        LmException e = expectError(lm.call(ask("a")), LmException.Authentication.class);
        assertThat(e.requestId()).hasValue("req_abc");
        assertThat(e.getMessage()).contains("req_abc").doesNotContain(API_KEY);
    }
}

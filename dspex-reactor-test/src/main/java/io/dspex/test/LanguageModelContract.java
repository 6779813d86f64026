package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;


/**
 * The contract every HTTP {@link LanguageModel} that speaks OpenAI's chat-completions protocol must pass:
 * mapping of requests and responses, streaming, every error kind, and cancellation. Extend it, and build the
 * model under test pointed at the {@link MockLmServer} it is given.
 *
 * <pre>{@code
 * class MyLmContractTest extends LanguageModelContract {
 *     protected LanguageModel createLm(String baseUrl, String apiKey, Duration responseTimeout) {
 *         return MyLm.builder().baseUrl(baseUrl).apiKey(apiKey).model(MODEL)
 *             .responseTimeout(responseTimeout).build();
 *     }
 * }
 * }</pre>
 *
 * <p>The model is closed after each test when it is {@link AutoCloseable} or {@link Disposable}.
 */
public abstract class LanguageModelContract {

    /** The API key the suite configures; no error message may contain it. */
    protected static final String API_KEY = "sk-contract-test-key-0123456789";
    /** The model name the suite configures. */
    protected static final String MODEL = "contract-model";
    /** The response timeout the suite configures. */
    protected static final Duration RESPONSE_TIMEOUT = Duration.ofMillis(1500);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** The server the model under test talks to; fresh for each test. */
    protected MockLmServer server;
    /** The model under test; fresh for each test. */
    protected LanguageModel lm;
    private final List<Object> toClose = new ArrayList<>();

    /** Creates the suite. */
    protected LanguageModelContract() {
    }

    /**
     * Builds the model under test.
     *
     * @param baseUrl         the base URL (ends in {@code /v1})
     * @param apiKey          the API key to send as {@code Authorization: Bearer}
     * @param responseTimeout the response timeout to configure
     * @return the model, with {@link #MODEL} as its default model
     */
    protected abstract LanguageModel createLm(String baseUrl, String apiKey, Duration responseTimeout);

    @BeforeEach
    void startServer() {
        server = MockLmServer.create().start();
        lm = track(createLm(server.baseUrl(), API_KEY, RESPONSE_TIMEOUT));
    }

    @AfterEach
    void stopServer() throws Exception {
        for (Object o : toClose) {
            if (o instanceof AutoCloseable c) {
                c.close();
            } else if (o instanceof Disposable d) {
                d.dispose();
            }
        }
        server.close();
    }

    private LanguageModel track(LanguageModel model) {
        toClose.add(model);
        return model;
    }

    /**
     * @param text a user message
     * @return a request with it
     */
    protected static LmRequest ask(String text) {
        return LmRequest.of(List.of(Message.system("You are terse."), Message.user(text)));
    }

    private <T extends LmException> T expectError(Mono<?> call, Class<T> type) {
        Throwable[] seen = new Throwable[1];
        StepVerifier.create(call).consumeErrorWith(e -> seen[0] = e).verify(WAIT);
        assertThat(seen[0]).isInstanceOf(type);
        assertThat(seen[0].getMessage()).doesNotContain(API_KEY);
        return type.cast(seen[0]);
    }

    private <T extends LmException> T expectStreamError(Flux<?> call, Class<T> type) {
        Throwable[] seen = new Throwable[1];
        StepVerifier.create(call).thenConsumeWhile(x -> true).consumeErrorWith(e -> seen[0] = e).verify(WAIT);
        assertThat(seen[0]).isInstanceOf(type);
        assertThat(seen[0].getMessage()).doesNotContain(API_KEY);
        return type.cast(seen[0]);
    }

    // ------------------------------------------------------------------ mapping

    @Test
    void callMapsTextUsageModelAndRequestId() {
        server.reply(r -> "Paris is the capital");
        StepVerifier.create(lm.call(ask("Capital of France?")))
                .assertNext(r -> {
                    assertThat(r.text()).isEqualTo("Paris is the capital");
                    assertThat(r.choices()).hasSize(1);
                    assertThat(r.choices().get(0).finishReason()).isEqualTo("stop");
                    assertThat(r.usage().completionTokens()).isEqualTo(4);
                    assertThat(r.usage().totalTokens()).isEqualTo(r.usage().promptTokens() + 4);
                    assertThat(r.model()).isEqualTo(MODEL);
                    assertThat(r.requestId()).isEqualTo("req_mock_1");
                    assertThat(r.raw()).contains("\"chat.completion\"");
                })
                .verifyComplete();
    }

    @Test
    void callSendsMessagesParametersAndKeyButNotTheRolloutId() {
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

    @Test
    void requestModelOverridesTheDefault() {
        StepVerifier.create(lm.call(ask("hi").withConfig(CallConfig.empty().withModel("other-model"))))
                .assertNext(r -> assertThat(r.model()).isEqualTo("other-model")).verifyComplete();
        assertThat(server.lastRequest().model()).isEqualTo("other-model");
    }

    @Test
    void callIsLazyAndEverySubscriptionSendsAgain() {
        Mono<LmResponse> call = lm.call(ask("hi"));
        assertThat(server.requestCount()).isZero();
        StepVerifier.create(call).expectNextCount(1).verifyComplete();
        StepVerifier.create(call).expectNextCount(1).verifyComplete();
        assertThat(server.requestCount()).isEqualTo(2);
    }

    @Test
    void callMapsSeveralChoicesInOrder() {
        server.replies("one", "two", "three");
        StepVerifier.create(lm.call(ask("count").withConfig(CallConfig.empty().withN(3))))
                .assertNext(r -> {
                    assertThat(r.texts()).containsExactly("one", "two", "three");
                    assertThat(r.text()).isEqualTo("one");
                })
                .verifyComplete();
        assertThat(server.lastRequest().n()).isEqualTo(3);
    }

    @Test
    void escapesAndUnicodeSurviveTheRoundTrip() {
        String tricky = "quote \" backslash \\ newline \n tab \t unicode ✓ 😀 </script>";
        server.reply(ParsedRequest::lastUserMessage);
        StepVerifier.create(lm.call(ask(tricky)))
                .assertNext(r -> assertThat(r.text()).isEqualTo(tricky)).verifyComplete();
    }

    // ------------------------------------------------------------------ streaming

    @Test
    void streamDeliversDeltasThenUsage() {
        server.reply("the quick brown fox");
        List<LmChunk> chunks = lm.stream(ask("go")).collectList().block(WAIT);
        assertThat(chunks).isNotNull();
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.text()));
        assertThat(text.toString()).isEqualTo("the quick brown fox");
        assertThat(chunks.stream().filter(c -> !c.text().isEmpty()).count()).isGreaterThan(1);
        assertThat(chunks.get(chunks.size() - 1).usage()).isNotNull();
        assertThat(chunks.get(chunks.size() - 1).usage().completionTokens()).isEqualTo(4);
        assertThat(chunks).anyMatch(c -> "stop".equals(c.finishReason()));
        assertThat(server.lastRequest().stream()).isTrue();
        assertThat(server.lastRequest().body()).containsEntry("stream_options", Map.of("include_usage", true));
    }

    @Test
    void streamSeparatesSeveralChoices() {
        server.replies("alpha beta", "gamma delta");
        List<LmChunk> chunks = lm.stream(ask("go").withConfig(CallConfig.empty().withN(2))).collectList().block(WAIT);
        assertThat(chunks).isNotNull();
        StringBuilder first = new StringBuilder();
        StringBuilder second = new StringBuilder();
        chunks.forEach(c -> (c.choiceIndex() == 0 ? first : second).append(c.text()));
        assertThat(first.toString()).isEqualTo("alpha beta");
        assertThat(second.toString()).isEqualTo("gamma delta");
    }

    @Test
    void slowBodyStillArrivesWhole() {
        server.reply("slow but whole").fault(Fault.slowBody(Duration.ofMillis(20)));
        StepVerifier.create(lm.call(ask("hi"))).assertNext(r -> assertThat(r.text()).isEqualTo("slow but whole"))
                .verifyComplete();
        String streamed = lm.stream(ask("hi")).map(LmChunk::text).collect(java.util.stream.Collectors.joining())
                .block(WAIT);
        assertThat(streamed).isEqualTo("slow but whole");
    }

    // ------------------------------------------------------------------ errors

    static Stream<Arguments> statuses() {
        return Stream.of(
                Arguments.of(400, LmException.BadRequest.class, false),
                Arguments.of(401, LmException.Authentication.class, false),
                Arguments.of(403, LmException.PermissionDenied.class, false),
                Arguments.of(404, LmException.NotFound.class, false),
                Arguments.of(408, LmException.RequestTimeout.class, true),
                Arguments.of(409, LmException.Conflict.class, true),
                Arguments.of(422, LmException.UnprocessableEntity.class, false),
                Arguments.of(429, LmException.RateLimit.class, true),
                Arguments.of(500, LmException.InternalServer.class, true),
                Arguments.of(502, LmException.InternalServer.class, true),
                Arguments.of(503, LmException.InternalServer.class, true),
                Arguments.of(418, LmException.HttpError.class, false));
    }

    @ParameterizedTest(name = "HTTP {0} -> {1}")
    @MethodSource("statuses")
    void eachStatusMapsToItsException(int status, Class<? extends LmException> type, boolean retryable) {
        server.fault(Fault.status(status, "provider says no"));
        LmException e = expectError(lm.call(ask("hi")), type);
        assertThat(e.statusCode()).hasValue(status);
        assertThat(e.isRetryable()).isEqualTo(retryable);
        assertThat(e.getMessage()).contains(Integer.toString(status)).contains("provider says no");
        LmException s = expectStreamError(lm.stream(ask("hi")), type);
        assertThat(s.statusCode()).hasValue(status);
    }

    @Test
    void contextWindowErrorIsRecognisedFromTheBody() {
        server.fault(Fault.statusWithBody(400, "{\"error\":{\"message\":\"This model's maximum context length is "
                + "4096 tokens. However, you requested 5000 tokens.\",\"type\":\"invalid_request_error\","
                + "\"code\":\"context_length_exceeded\"}}"));
        LmException e = expectError(lm.call(ask("long")), LmException.ContextWindowExceeded.class);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("maximum context length");
    }

    @Test
    void retryAfterIsReadInSecondsMillisecondsAndAsADate() {
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

    @Test
    void xShouldRetryOverridesTheStatusDefault() {
        server.faultNext(1, Fault.status(400, "try again").withHeader("x-should-retry", "true"));
        assertThat(expectError(lm.call(ask("a")), LmException.BadRequest.class).isRetryable()).isTrue();
        server.faultNext(1, Fault.status(503, "do not").withHeader("x-should-retry", "false"));
        assertThat(expectError(lm.call(ask("b")), LmException.InternalServer.class).isRetryable()).isFalse();
    }

    @Test
    void errorsCarryTheRequestIdAndNeverTheKey() {
        server.fault(Fault.status(401, "Incorrect API key provided: " + API_KEY + " (Bearer " + API_KEY + ")")
                .withHeader("x-request-id", "req_abc"));
        LmException e = expectError(lm.call(ask("a")), LmException.Authentication.class);
        assertThat(e.requestId()).hasValue("req_abc");
        assertThat(e.getMessage()).contains("req_abc").contains("Incorrect API key").doesNotContain(API_KEY);
        assertThat(String.valueOf(lm)).doesNotContain(API_KEY);
        assertThat(lm.id()).doesNotContain(API_KEY);
    }

    @Test
    void longProviderMessagesAreTruncated() {
        server.fault(Fault.status(500, "x".repeat(20_000)));
        LmException e = expectError(lm.call(ask("a")), LmException.InternalServer.class);
        assertThat(e.getMessage().length()).isLessThan(1_000);
    }

    @Test
    void resetBeforeHeadersIsARetryableConnectionError() {
        server.fault(Fault.resetBeforeHeaders());
        assertThat(expectError(lm.call(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        assertThat(expectStreamError(lm.stream(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
    }

    @Test
    void resetMidBodyIsARetryableConnectionError() {
        server.fault(Fault.resetMidBody());
        assertThat(expectError(lm.call(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        assertThat(expectStreamError(lm.stream(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
    }

    @Test
    void truncatedBodyIsRetryable() {
        server.reply("a reply long enough to be cut in half").fault(Fault.truncated());
        assertThat(expectError(lm.call(ask("a")), LmException.MalformedResponse.class).isRetryable()).isTrue();
        assertThat(expectStreamError(lm.stream(ask("a")), LmException.MalformedResponse.class).isRetryable()).isTrue();
    }

    @Test
    void malformedJsonIsRetryable() {
        server.fault(Fault.malformedJson());
        assertThat(expectError(lm.call(ask("a")), LmException.MalformedResponse.class).isRetryable()).isTrue();
        assertThat(expectStreamError(lm.stream(ask("a")), LmException.MalformedResponse.class).isRetryable()).isTrue();
    }

    @Test
    void errorEventMidStreamFailsTheStreamAfterItsFirstChunks() {
        server.reply("several words in this reply").fault(Fault.streamError("engine overloaded"));
        List<String> texts = new CopyOnWriteArrayList<>();
        LmException e = expectStreamError(lm.stream(ask("a")).doOnNext(c -> texts.add(c.text())),
                LmException.StreamError.class);
        assertThat(texts).isNotEmpty();
        assertThat(e.getMessage()).contains("stream failed");
        assertThat(e.isRetryable()).isTrue();
    }

    @Test
    void noResponseWithinTheTimeoutIsARetryableTimeout() {
        server.fault(Fault.hang());
        assertThat(expectError(lm.call(ask("a")), LmException.ResponseTimeout.class).isRetryable()).isTrue();
        assertThat(expectStreamError(lm.stream(ask("a")), LmException.ResponseTimeout.class).isRetryable()).isTrue();
    }

    @Test
    void refusedConnectionIsARetryableConnectionError() {
        MockLmServer gone = MockLmServer.create().start();
        String url = gone.baseUrl();
        gone.close();
        LanguageModel dead = track(createLm(url, API_KEY, RESPONSE_TIMEOUT));
        assertThat(expectError(dead.call(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        assertThat(expectStreamError(dead.stream(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
    }

    @Test
    void oneFailingCallNeverFailsAnother() {
        server.reply(ParsedRequest::lastUserMessage).faultWhen(r -> r.lastUserMessage().startsWith("bad"),
                Fault.status(500, "boom"));
        List<String> ok = Flux.range(0, 40)
                .flatMap(i -> lm.call(ask((i % 2 == 0 ? "bad " : "good ") + i)).map(LmResponse::text)
                        .onErrorResume(LmException.InternalServer.class, e -> Mono.empty()), 16)
                .collectList().block(WAIT);
        assertThat(ok).hasSize(20).allMatch(t -> t.startsWith("good"));
        StepVerifier.create(lm.call(ask("good again"))).expectNextCount(1).verifyComplete();
    }

    // ------------------------------------------------------------------ cancellation

    @Test
    void cancellingACallClosesItsConnectionWithin100ms() {
        server.fault(Fault.hang());
        Disposable d = lm.call(ask("wait")).subscribe(r -> { }, e -> { });
        awaitRequests(1);
        long closedBefore = server.connectionsClosed();
        d.dispose();
        assertThat(server.awaitConnectionsClosed(closedBefore + 1, Duration.ofMillis(100)))
                .as("server saw the connection close within 100 ms of dispose()").isTrue();
    }

    @Test
    void cancellingAStreamClosesItsConnectionWithin100ms() {
        server.reply("many words arrive slowly one after another").fault(Fault.slowBody(Duration.ofMillis(100)));
        List<LmChunk> got = new CopyOnWriteArrayList<>();
        Disposable d = lm.stream(ask("wait")).subscribe(got::add, e -> { });
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (got.isEmpty() && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        assertThat(got).isNotEmpty();
        long closedBefore = server.connectionsClosed();
        d.dispose();
        assertThat(server.awaitConnectionsClosed(closedBefore + 1, Duration.ofMillis(100)))
                .as("server saw the connection close within 100 ms of dispose()").isTrue();
    }

    @Test
    void connectionsAreReusedAcrossCalls() {
        for (int i = 0; i < 10; i++) {
            StepVerifier.create(lm.call(ask("hi " + i))).expectNextCount(1).verifyComplete();
        }
        // a pooled connection is released a moment after its response completes, so allow a spare
        assertThat(server.connectionsOpened()).isLessThanOrEqualTo(3);
    }

    private void awaitRequests(long n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (server.requestCount() < n && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        assertThat(server.requestCount()).isGreaterThanOrEqualTo(n);
    }
}

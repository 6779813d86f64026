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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
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
 * The contract every {@link LanguageModel} must pass, whatever its provider: calls are lazy and each subscription
 * is one request; replies, several choices, usage and streams map in order; HTTP failures become the typed
 * {@link LmException} with the right retryability (statuses, resets, truncated or malformed bodies, timeouts,
 * refused connections); one failing call never fails another; cancelling closes the exchange; the API key appears
 * in no message. It asserts nothing about a provider's wire format: {@link OpenAiCompatibleContract} adds the
 * OpenAI chat-completions details.
 *
 * <p><b>How to extend.</b> Build the model under test pointed at the {@link MockLmServer} the suite gives you:
 *
 * <pre>{@code
 * class MyLmContractTest extends LanguageModelContract {
 *     @Override
 *     protected LanguageModel createLm(MockLmServer server, String apiKey, Duration responseTimeout) {
 *         return MyLm.builder().baseUrl(server.baseUrl()).apiKey(apiKey).model(MODEL)
 *                 .responseTimeout(responseTimeout).build();
 *     }
 *
 *     @Override
 *     protected boolean supportsSeveralChoices() {
 *         return false; // my provider has no n
 *     }
 * }
 * }</pre>
 *
 * <p>The suite drives the server only through what every wire protocol shares: the reply scripting of
 * {@link MockLmServer} ({@code reply}, {@code replies}, {@code faultWhen}), {@link Fault}s, the request count and
 * the connection counters. Override {@link #createServer()} to configure the server, for instance its wire
 * protocol ({@code MockLmServer.create(MockLmServer.Protocol.ANTHROPIC)}). A model that is not an HTTP client (such
 * as {@link ScriptedLm}) answers
 * {@code false} to {@link #usesServer()}: then no server is started, the cases about the wire, connections, HTTP
 * failures, timeouts and keys are skipped, and the suite scripts the model through {@link #scriptReply},
 * {@link #scriptReplies}, {@link #scriptResponse}, {@link #scriptEcho}, {@link #scriptFailureWhen} and
 * {@link #requestCount()}, which the
 * subclass overrides.
 *
 * <p>Capability hooks ({@code supports...}) switch off cases for features a provider lacks; a switched-off case is
 * reported as skipped (a JUnit assumption). To replace one case, override its method (with {@code @Test}); to drop
 * it, override it without a test annotation. Every case is {@code protected}, so a subclass in any package can.
 * The model is closed after each test when it is {@link AutoCloseable} or {@link Disposable}.
 */
public abstract class LanguageModelContract {

    /** The API key the suite configures; no error message, {@code toString} or id may contain it. */
    protected static final String API_KEY = "sk-contract-test-key-0123456789";
    /** The model name the suite configures as the default. */
    protected static final String MODEL = "contract-model";
    /** The response timeout the suite configures (cases about cancellation use a far longer one). */
    protected static final Duration RESPONSE_TIMEOUT = Duration.ofMillis(1500);
    /** The longest the suite waits for an outcome it expects; nothing is asserted about how fast it comes. */
    protected static final Duration WAIT = Duration.ofSeconds(10);
    /** A response timeout long enough that only a cancellation can end an exchange within {@link #WAIT}. */
    private static final Duration PATIENT = Duration.ofSeconds(60);

    /** The server the model under test talks to; fresh and started for each test; null when not {@link #usesServer()}. */
    protected MockLmServer server;
    /** The model under test; fresh for each test. */
    protected LanguageModel lm;
    private final List<Object> toClose = new ArrayList<>();

    /** Creates the suite. */
    protected LanguageModelContract() {
    }

    // ------------------------------------------------------------------ what a provider supplies

    /**
     * Builds the model under test.
     *
     * @param server          the started server to call (its {@link MockLmServer#baseUrl()}); null when not
     *                        {@link #usesServer()}
     * @param apiKey          the API key to send
     * @param responseTimeout the response timeout to configure
     * @return the model, with {@link #MODEL} as its default model
     */
    protected abstract LanguageModel createLm(MockLmServer server, String apiKey, Duration responseTimeout);

    /**
     * The server the model under test talks to, configured but not started (the suite starts and closes it).
     * Override to configure it, e.g. to choose its wire protocol.
     *
     * @return a new server; by default {@link MockLmServer#create()}
     */
    protected MockLmServer createServer() {
        return MockLmServer.create();
    }

    // ------------------------------------------------------------------ capability hooks

    /**
     * @return whether the model is an HTTP client of the {@link MockLmServer} (default true); false skips every case
     *         about the wire, connections, HTTP failures, timeouts and API keys, and scripts the model through the
     *         {@code script...} hooks instead
     */
    protected boolean usesServer() {
        return true;
    }

    /** @return whether the model implements {@link LanguageModel#stream} (default true) */
    protected boolean supportsStreaming() {
        return true;
    }

    /** @return whether the model returns several choices for {@link CallConfig#withN} (default true) */
    protected boolean supportsSeveralChoices() {
        return true;
    }

    /**
     * @return whether the model asks for {@code n} choices with {@code n} separate requests, as an Anthropic client
     *         must (its API has no {@code n}); default false. Then which scripted reply becomes which choice follows
     *         the order in which the parallel requests reach the server, so the cases about several choices check
     *         that every choice got one of the replies, once each, in any order
     */
    protected boolean choicesAreSeparateRequests() {
        return false;
    }

    /** @return whether the model accepts a {@link CallConfig#withSeed seed} (default true) */
    protected boolean supportsSeed() {
        return true;
    }

    /** @return whether the model accepts {@link CallConfig#withStop stop sequences} (default true) */
    protected boolean supportsStop() {
        return true;
    }

    /** @return whether the model accepts a {@link LmRequest#withResponseFormat response format} (default true) */
    protected boolean supportsResponseFormat() {
        return true;
    }

    /**
     * @return whether the model returns the tool calls a model asks for ({@link LmResponse#toolCalls()}, and whole
     *         in a stream's chunks) (default true)
     */
    protected boolean supportsToolCalls() {
        return true;
    }

    // ------------------------------------------------------------------ scripting hooks

    /**
     * Makes every request answered with {@code text}.
     *
     * @param text the reply; by default {@code server.reply(text)}
     */
    protected void scriptReply(String text) {
        scriptedServer("scriptReply").reply(text);
    }

    /**
     * Makes the next choices answered with these texts in order, one per choice.
     *
     * @param texts the replies; by default {@code server.replies(texts)}
     */
    protected void scriptReplies(String... texts) {
        scriptedServer("scriptReplies").replies(texts);
    }

    /**
     * Makes every request answered with this whole response (its choices' text, tool calls and finish reasons).
     *
     * @param response the answer; by default {@code server.reply(response)}
     */
    protected void scriptResponse(LmResponse response) {
        scriptedServer("scriptResponse").reply(response);
    }

    /** Makes every request answered with the text of its last user message; by default on the server. */
    protected void scriptEcho() {
        scriptedServer("scriptEcho").reply(ParsedRequest::lastUserMessage);
    }

    /**
     * Makes the requests whose last user message matches fail with a retryable server error, so that the model
     * signals {@link LmException.InternalServer}; by default a {@code Fault.status(500, ..)} plan on the server.
     *
     * @param lastUserMessage which requests, by the text of their last user message
     */
    protected void scriptFailureWhen(Predicate<String> lastUserMessage) {
        scriptedServer("scriptFailureWhen").faultWhen(r -> lastUserMessage.test(r.lastUserMessage()),
                Fault.status(500, "boom"));
    }

    /** @return how many requests the model under test has sent; by default the server's count */
    protected long requestCount() {
        return scriptedServer("requestCount").requestCount();
    }

    private MockLmServer scriptedServer(String hook) {
        if (server == null) {
            throw new IllegalStateException(getClass().getName() + " answers false to usesServer(), so it must "
                    + "override " + hook + " to script the model under test");
        }
        return server;
    }

    // ------------------------------------------------------------------ lifecycle and helpers

    /** Starts the server (when {@link #usesServer()}) and builds the model under test. */
    @BeforeEach
    protected final void startContract() {
        if (usesServer()) {
            server = createServer().start();
        }
        lm = track(createLm(server, API_KEY, RESPONSE_TIMEOUT));
    }

    /**
     * Closes every model the suite built, then the server.
     *
     * @throws Exception when a model fails to close
     */
    @AfterEach
    protected final void stopContract() throws Exception {
        try {
            for (Object o : toClose) {
                if (o instanceof AutoCloseable c) {
                    c.close();
                } else if (o instanceof Disposable d) {
                    d.dispose();
                }
            }
        } finally {
            toClose.clear();
            if (server != null) {
                server.close();
            }
        }
    }

    /**
     * Registers a further model to close after the test.
     *
     * @param model a model the test built
     * @return the model
     */
    protected final LanguageModel track(LanguageModel model) {
        toClose.add(model);
        return model;
    }

    /**
     * @param text a user message
     * @return a request with a short system message and it
     */
    protected static LmRequest ask(String text) {
        return LmRequest.of(List.of(Message.system("You are terse."), Message.user(text)));
    }

    /**
     * Subscribes and expects an error of the given type whose message does not contain {@link #API_KEY}.
     *
     * @param call the call
     * @param type the expected error type
     * @param <T>  that type
     * @return the error
     */
    protected static <T extends LmException> T expectError(Mono<?> call, Class<T> type) {
        Throwable[] seen = new Throwable[1];
        StepVerifier.create(call).consumeErrorWith(e -> seen[0] = e).verify(WAIT);
        assertThat(seen[0]).isInstanceOf(type);
        assertThat(seen[0].getMessage()).doesNotContain(API_KEY);
        return type.cast(seen[0]);
    }

    /**
     * Subscribes, lets any chunks pass, and expects an error of the given type whose message does not contain
     * {@link #API_KEY}.
     *
     * @param call the stream
     * @param type the expected error type
     * @param <T>  that type
     * @return the error
     */
    protected static <T extends LmException> T expectStreamError(Flux<?> call, Class<T> type) {
        Throwable[] seen = new Throwable[1];
        StepVerifier.create(call).thenConsumeWhile(x -> true).consumeErrorWith(e -> seen[0] = e).verify(WAIT);
        assertThat(seen[0]).isInstanceOf(type);
        assertThat(seen[0].getMessage()).doesNotContain(API_KEY);
        return type.cast(seen[0]);
    }

    /**
     * Waits on the test thread, up to {@link #WAIT}, until the condition holds.
     *
     * @param condition the condition
     * @return whether it held in time
     */
    protected static boolean await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(1_000_000);
        }
        return true;
    }

    private static String join(List<LmChunk> chunks, int choice) {
        return chunks.stream().filter(c -> c.choiceIndex() == choice).map(LmChunk::text).collect(Collectors.joining());
    }

    // ------------------------------------------------------------------ calls

    /** A reply maps to its text, one choice that stopped, usage and the default model. */
    @Test
    protected void callMapsTextUsageAndModel() {
        scriptReply("Paris is the capital");
        StepVerifier.create(lm.call(ask("Capital of France?")))
                .assertNext(r -> {
                    assertThat(r.text()).isEqualTo("Paris is the capital");
                    assertThat(r.choices()).hasSize(1);
                    assertThat(r.choices().get(0).finishReason()).isEqualTo("stop");
                    assertThat(r.usage().completionTokens()).isEqualTo(4);
                    assertThat(r.usage().totalTokens()).isEqualTo(r.usage().promptTokens() + 4);
                    assertThat(r.model()).isEqualTo(MODEL);
                })
                .verifyComplete();
    }

    /** Nothing is sent before subscription; each subscription of one {@code Mono} sends one request. */
    @Test
    protected void callIsLazyAndEverySubscriptionSendsAgain() {
        scriptReply("again");
        Mono<LmResponse> call = lm.call(ask("hi"));
        assertThat(requestCount()).isZero();
        StepVerifier.create(call).expectNextCount(1).verifyComplete();
        assertThat(requestCount()).isEqualTo(1);
        StepVerifier.create(call).expectNextCount(1).verifyComplete();
        assertThat(requestCount()).isEqualTo(2);
    }

    /** The request's model replaces the default one. */
    @Test
    protected void requestModelOverridesTheDefault() {
        scriptReply("ok");
        StepVerifier.create(lm.call(ask("hi").withConfig(CallConfig.empty().withModel("other-model"))))
                .assertNext(r -> assertThat(r.model()).isEqualTo("other-model")).verifyComplete();
    }

    /** Every call parameter the model supports is accepted; the rollout id is never sent to the provider. */
    @Test
    protected void callAcceptsEveryParameterButNeverSendsTheRolloutId() {
        scriptReply("fine");
        CallConfig config = CallConfig.empty().withTemperature(0.25).withMaxTokens(33).withRolloutId("rollout-77");
        if (supportsStop()) {
            config = config.withStop(List.of("END"));
        }
        if (supportsSeed()) {
            config = config.withSeed(9L);
        }
        LmRequest request = ask("hi").withConfig(config);
        if (supportsResponseFormat()) {
            request = request.withResponseFormat(Map.of("type", "json_object"));
        }
        StepVerifier.create(lm.call(request)).assertNext(r -> assertThat(r.text()).isEqualTo("fine")).verifyComplete();
        if (usesServer()) {
            assertThat(server.lastRequest().rawBody()).doesNotContain("rollout-77");
        }
    }

    /** {@code n} choices come back as {@code n} texts, in order. */
    @Test
    protected void callMapsSeveralChoicesInOrder() {
        assumeTrue(supportsSeveralChoices(), "several choices");
        scriptReplies("one", "two", "three");
        StepVerifier.create(lm.call(ask("count").withConfig(CallConfig.empty().withN(3))))
                .assertNext(r -> {
                    if (choicesAreSeparateRequests()) {
                        assertThat(r.texts()).containsExactlyInAnyOrder("one", "two", "three");
                        assertThat(r.usage().completionTokens()).as("the usage of the three requests, summed")
                                .isEqualTo(3);
                    } else {
                        assertThat(r.texts()).containsExactly("one", "two", "three");
                        assertThat(r.text()).isEqualTo("one");
                    }
                })
                .verifyComplete();
        if (choicesAreSeparateRequests()) {
            assertThat(requestCount()).isEqualTo(3);
        }
    }

    /** Quotes, backslashes, control characters and non-ASCII text survive the trip there and back. */
    @Test
    protected void escapesAndUnicodeSurviveTheRoundTrip() {
        String tricky = "quote \" backslash \\ newline \n tab \t unicode ✓ 😀 </script>";
        scriptEcho();
        StepVerifier.create(lm.call(ask(tricky)))
                .assertNext(r -> assertThat(r.text()).isEqualTo(tricky)).verifyComplete();
    }

    // ------------------------------------------------------------------ streaming

    /** A stream delivers the reply in several deltas, in order, a stop, and usage on its last chunk. */
    @Test
    protected void streamDeliversDeltasInOrderThenUsage() {
        assumeTrue(supportsStreaming(), "streaming");
        scriptReply("the quick brown fox");
        List<LmChunk> chunks = lm.stream(ask("go")).collectList().block(WAIT);
        assertThat(chunks).isNotNull().isNotEmpty();
        assertThat(join(chunks, 0)).isEqualTo("the quick brown fox");
        assertThat(chunks.stream().filter(c -> !c.text().isEmpty()).count()).isGreaterThan(1);
        assertThat(chunks).anyMatch(c -> "stop".equals(c.finishReason()));
        LmChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.usage()).isNotNull();
        assertThat(last.usage().completionTokens()).isEqualTo(4);
    }

    /** Nothing is streamed before subscription; each subscription of one {@code Flux} sends one request. */
    @Test
    protected void streamIsLazyAndEverySubscriptionSendsAgain() {
        assumeTrue(supportsStreaming(), "streaming");
        scriptReply("two words");
        Flux<LmChunk> stream = lm.stream(ask("hi"));
        assertThat(requestCount()).isZero();
        assertThat(stream.map(LmChunk::text).collect(Collectors.joining()).block(WAIT)).isEqualTo("two words");
        assertThat(stream.map(LmChunk::text).collect(Collectors.joining()).block(WAIT)).isEqualTo("two words");
        assertThat(requestCount()).isEqualTo(2);
    }

    /** The deltas of several choices carry their choice index, each choice in order. */
    @Test
    protected void streamSeparatesSeveralChoices() {
        assumeTrue(supportsStreaming() && supportsSeveralChoices(), "streaming several choices");
        scriptReplies("alpha beta", "gamma delta");
        List<LmChunk> chunks = lm.stream(ask("go").withConfig(CallConfig.empty().withN(2))).collectList().block(WAIT);
        assertThat(chunks).isNotNull();
        if (choicesAreSeparateRequests()) {
            assertThat(List.of(join(chunks, 0), join(chunks, 1)))
                    .containsExactlyInAnyOrder("alpha beta", "gamma delta");
            assertThat(chunks.get(chunks.size() - 1).usage()).as("the last chunk carries the summed usage")
                    .isNotNull().extracting(u -> u.completionTokens()).isEqualTo(4L);
        } else {
            assertThat(join(chunks, 0)).isEqualTo("alpha beta");
            assertThat(join(chunks, 1)).isEqualTo("gamma delta");
        }
    }

    /** A body that arrives slowly, piece by piece, still arrives whole, called or streamed. */
    @Test
    protected void slowBodyStillArrivesWhole() {
        assumeTrue(usesServer(), "HTTP");
        server.reply("slow but whole").fault(Fault.slowBody(Duration.ofMillis(20)));
        StepVerifier.create(lm.call(ask("hi"))).assertNext(r -> assertThat(r.text()).isEqualTo("slow but whole"))
                .verifyComplete();
        if (supportsStreaming()) {
            String streamed = lm.stream(ask("hi")).map(LmChunk::text).collect(Collectors.joining()).block(WAIT);
            assertThat(streamed).isEqualTo("slow but whole");
        }
    }

    // ------------------------------------------------------------------ failures

    /**
     * The HTTP statuses every provider maps, with the exception type and retryability each must give.
     *
     * @return (status, exception type, retryable)
     */
    protected static Stream<Arguments> statuses() {
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

    /**
     * Each status maps to its exception, status code and retryability, with the provider's message, called or
     * streamed.
     *
     * @param status    the HTTP status
     * @param type      the exception it maps to
     * @param retryable whether that is retryable
     */
    @ParameterizedTest(name = "HTTP {0} -> {1}")
    @MethodSource("statuses")
    protected void eachStatusMapsToItsException(int status, Class<? extends LmException> type, boolean retryable) {
        assumeTrue(usesServer(), "HTTP");
        server.fault(Fault.status(status, "provider says no"));
        LmException e = expectError(lm.call(ask("hi")), type);
        assertThat(e.statusCode()).hasValue(status);
        assertThat(e.isRetryable()).isEqualTo(retryable);
        assertThat(e.getMessage()).contains(Integer.toString(status)).contains("provider says no");
        if (supportsStreaming()) {
            LmException s = expectStreamError(lm.stream(ask("hi")), type);
            assertThat(s.statusCode()).hasValue(status);
        }
    }

    /** An error message that echoes the key never carries it; neither do the model's id and {@code toString}. */
    @Test
    protected void errorsNeverCarryTheKey() {
        assumeTrue(usesServer(), "HTTP");
        server.fault(Fault.status(401, "Incorrect API key provided: " + API_KEY + " (Bearer " + API_KEY + ")"));
        LmException e = expectError(lm.call(ask("a")), LmException.Authentication.class);
        assertThat(e.getMessage()).contains("Incorrect API key").doesNotContain(API_KEY);
        assertThat(String.valueOf(lm)).doesNotContain(API_KEY);
        assertThat(lm.id()).doesNotContain(API_KEY);
    }

    /** A very long provider message is cut in the exception's message. */
    @Test
    protected void longProviderMessagesAreTruncated() {
        assumeTrue(usesServer(), "HTTP");
        server.fault(Fault.status(500, "x".repeat(20_000)));
        LmException e = expectError(lm.call(ask("a")), LmException.InternalServer.class);
        assertThat(e.getMessage().length()).isLessThan(1_000);
    }

    /** A connection reset before any header is a retryable connection error. */
    @Test
    protected void resetBeforeHeadersIsARetryableConnectionError() {
        assumeTrue(usesServer(), "HTTP");
        server.fault(Fault.resetBeforeHeaders());
        assertThat(expectError(lm.call(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        if (supportsStreaming()) {
            assertThat(expectStreamError(lm.stream(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        }
    }

    /** A connection reset in the middle of the body is a retryable connection error. */
    @Test
    protected void resetMidBodyIsARetryableConnectionError() {
        assumeTrue(usesServer(), "HTTP");
        server.fault(Fault.resetMidBody());
        assertThat(expectError(lm.call(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        if (supportsStreaming()) {
            assertThat(expectStreamError(lm.stream(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        }
    }

    /** A body that ends early (cleanly) is a retryable malformed response. */
    @Test
    protected void truncatedBodyIsRetryable() {
        assumeTrue(usesServer(), "HTTP");
        server.reply("a reply long enough to be cut in half").fault(Fault.truncated());
        assertThat(expectError(lm.call(ask("a")), LmException.MalformedResponse.class).isRetryable()).isTrue();
        if (supportsStreaming()) {
            assertThat(expectStreamError(lm.stream(ask("a")), LmException.MalformedResponse.class).isRetryable())
                    .isTrue();
        }
    }

    /** A body (or stream event) that is not JSON is a retryable malformed response. */
    @Test
    protected void malformedJsonIsRetryable() {
        assumeTrue(usesServer(), "HTTP");
        server.fault(Fault.malformedJson());
        assertThat(expectError(lm.call(ask("a")), LmException.MalformedResponse.class).isRetryable()).isTrue();
        if (supportsStreaming()) {
            assertThat(expectStreamError(lm.stream(ask("a")), LmException.MalformedResponse.class).isRetryable())
                    .isTrue();
        }
    }

    /** An error event in the middle of a stream fails it after the chunks before it, retryably. */
    @Test
    protected void errorEventMidStreamFailsTheStreamAfterItsFirstChunks() {
        assumeTrue(usesServer() && supportsStreaming(), "HTTP streaming");
        server.reply("several words in this reply").fault(Fault.streamError("engine overloaded"));
        List<String> texts = new CopyOnWriteArrayList<>();
        LmException e = expectStreamError(lm.stream(ask("a")).doOnNext(c -> texts.add(c.text())),
                LmException.StreamError.class);
        assertThat(texts).isNotEmpty();
        assertThat(e.getMessage()).contains("stream failed");
        assertThat(e.isRetryable()).isTrue();
    }

    /** No response within the response timeout is a retryable timeout. */
    @Test
    protected void noResponseWithinTheTimeoutIsARetryableTimeout() {
        assumeTrue(usesServer(), "HTTP");
        server.fault(Fault.hang());
        assertThat(expectError(lm.call(ask("a")), LmException.ResponseTimeout.class).isRetryable()).isTrue();
        if (supportsStreaming()) {
            assertThat(expectStreamError(lm.stream(ask("a")), LmException.ResponseTimeout.class).isRetryable())
                    .isTrue();
        }
    }

    /** A refused connection (nothing listens) is a retryable connection error. */
    @Test
    protected void refusedConnectionIsARetryableConnectionError() {
        assumeTrue(usesServer(), "HTTP");
        MockLmServer gone = createServer().start();
        LanguageModel dead = track(createLm(gone, API_KEY, RESPONSE_TIMEOUT));
        gone.close();
        assertThat(expectError(dead.call(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        if (supportsStreaming()) {
            assertThat(expectStreamError(dead.stream(ask("a")), LmException.Connection.class).isRetryable()).isTrue();
        }
    }

    /** Failing calls in flight next to good ones fail alone; the model keeps working. */
    @Test
    protected void oneFailingCallNeverFailsAnother() {
        scriptEcho();
        scriptFailureWhen(m -> m.startsWith("bad"));
        List<String> ok = Flux.range(0, 40)
                .flatMap(i -> lm.call(ask((i % 2 == 0 ? "bad " : "good ") + i)).map(LmResponse::text)
                        .onErrorResume(LmException.InternalServer.class, e -> Mono.empty()), 16)
                .collectList().block(WAIT);
        assertThat(ok).hasSize(20).allMatch(t -> t.startsWith("good"));
        assertThat(requestCount()).isEqualTo(40);
        StepVerifier.create(lm.call(ask("good again"))).expectNextCount(1).verifyComplete();
    }

    // ------------------------------------------------------------------ cancellation and connections

    /**
     * Disposing a call in flight closes its exchange: the server sees the connection close long before the
     * response timeout could have closed it.
     */
    @Test
    protected void cancellingACallClosesItsExchange() {
        assumeTrue(usesServer(), "HTTP");
        LanguageModel patient = track(createLm(server, API_KEY, PATIENT));
        server.fault(Fault.hang());
        Disposable d = patient.call(ask("wait")).subscribe(r -> { }, e -> { });
        assertThat(await(() -> server.requestCount() >= 1)).as("the request arrived").isTrue();
        long closedBefore = server.connectionsClosed();
        d.dispose();
        assertThat(server.awaitConnectionsClosed(closedBefore + 1, WAIT))
                .as("the server saw the connection close after dispose()").isTrue();
    }

    /** Disposing a stream that is delivering chunks closes its exchange. */
    @Test
    protected void cancellingAStreamClosesItsExchange() {
        assumeTrue(usesServer() && supportsStreaming(), "HTTP streaming");
        LanguageModel patient = track(createLm(server, API_KEY, PATIENT));
        // about 40 words, one every 500 ms: the stream would run for 20 s, twice as long as the suite waits
        server.reply("many words arrive slowly one after another ".repeat(6).strip())
                .fault(Fault.slowBody(Duration.ofMillis(500)));
        List<LmChunk> got = new CopyOnWriteArrayList<>();
        Disposable d = patient.stream(ask("wait")).subscribe(got::add, e -> { });
        assertThat(await(() -> !got.isEmpty())).as("a first chunk arrived").isTrue();
        long closedBefore = server.connectionsClosed();
        d.dispose();
        assertThat(server.awaitConnectionsClosed(closedBefore + 1, WAIT))
                .as("the server saw the connection close after dispose()").isTrue();
    }

    /** Sequential calls reuse pooled connections. */
    @Test
    protected void connectionsAreReusedAcrossCalls() {
        assumeTrue(usesServer(), "HTTP");
        for (int i = 0; i < 10; i++) {
            StepVerifier.create(lm.call(ask("hi " + i))).expectNextCount(1).verifyComplete();
        }
        // a pooled connection is released a moment after its response completes, so allow a spare
        assertThat(server.connectionsOpened()).isLessThanOrEqualTo(3);
    }

    // ------------------------------------------------------------------ tool calls

    /** Two tool calls, one with arguments beyond ASCII, as the tool-call cases script them. */
    protected static final List<ToolCall> TOOL_CALLS = List.of(new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}"),
            new ToolCall("call_2", "search", "{\"query\": \"cafés «near» me\", \"k\": 3}"));

    /**
     * Asserts that tool calls are the expected ones: the same ids and names in the same order, and arguments that
     * are the same JSON. Only the arguments' formatting may differ: a provider that carries them as JSON objects
     * (Anthropic's {@code input}, Gemini's {@code args}) hands back their JSON re-serialized.
     *
     * @param actual   the calls a model returned
     * @param expected the calls scripted
     */
    protected static void assertSameToolCalls(List<ToolCall> actual, List<ToolCall> expected) {
        assertThat(actual.stream().map(LanguageModelContract::canonical).toList())
                .containsExactlyElementsOf(expected.stream().map(LanguageModelContract::canonical).toList());
    }

    private static ToolCall canonical(ToolCall call) {
        return new ToolCall(call.id(), call.name(), canonicalJson(call.arguments()));
    }

    private static String canonicalJson(String json) {
        try {
            return ParsedRequest.MAPPER.readTree(json).toString();
        } catch (java.io.IOException notJson) {
            return json;
        }
    }

    /**
     * A conversation in a form every protocol keeps: each call id replaced by its position among the conversation's
     * calls ({@code #0}, {@code #1}, ..., also in the tool messages answering it, since Gemini carries no call ids),
     * arguments as canonical JSON.
     */
    private static List<Message> canonical(List<Message> messages) {
        Map<String, String> ids = new java.util.HashMap<>();
        List<Message> out = new ArrayList<>(messages.size());
        for (Message m : messages) {
            List<ToolCall> calls = new ArrayList<>(m.toolCalls().size());
            for (ToolCall c : m.toolCalls()) {
                String id = "#" + ids.size();
                ids.put(c.id(), id);
                calls.add(new ToolCall(id, c.name(), canonicalJson(c.arguments())));
            }
            String answered = m.toolCallId() == null ? null : ids.getOrDefault(m.toolCallId(), m.toolCallId());
            out.add(new Message(m.role(), m.content(), m.parts(), calls, answered));
        }
        return out;
    }

    /** A reply that asks for tool calls maps to them, in order, with the {@code tool_calls} finish reason. */
    @Test
    protected void toolCallRepliesMapToToolCalls() {
        assumeTrue(supportsToolCalls(), "tool calls");
        scriptResponse(LmResponse.ofToolCalls("", TOOL_CALLS));
        StepVerifier.create(lm.call(ask("Add and search")))
                .assertNext(r -> {
                    assertSameToolCalls(r.toolCalls(), TOOL_CALLS);
                    assertThat(r.text()).isEmpty();
                    assertThat(r.choices().get(0).finishReason()).isEqualTo("tool_calls");
                })
                .verifyComplete();
    }

    /** A stream delivers each tool call once and whole, however its arguments were split on the wire. */
    @Test
    protected void streamedToolCallsArriveWhole() {
        assumeTrue(supportsToolCalls() && supportsStreaming(), "tool calls in streams");
        scriptResponse(LmResponse.ofToolCalls("Let me see.", TOOL_CALLS));
        List<LmChunk> chunks = lm.stream(ask("Add and search")).collectList().block(WAIT);
        assertThat(chunks).isNotNull();
        assertSameToolCalls(chunks.stream().flatMap(c -> c.toolCalls().stream()).toList(), TOOL_CALLS);
        assertThat(join(chunks, 0)).isEqualTo("Let me see.");
        assertThat(chunks.stream().map(LmChunk::finishReason).filter(java.util.Objects::nonNull).toList())
                .containsExactly("tool_calls");
    }

    /**
     * A conversation with an image, a turn that called a tool and the tool's result, and the request's tools and
     * tool choice, reach the server as sent, in whatever format the protocol writes them: the server reads them back
     * ({@link ParsedRequest#messages()}, {@link ParsedRequest#tools()}, {@link ParsedRequest#toolChoice()}) as the
     * same messages (call ids compared by position, arguments as JSON), tools and choice.
     */
    @Test
    protected void toolTurnsImagesToolsAndToolChoiceReachTheServer() {
        assumeTrue(usesServer() && supportsToolCalls(), "tool calls over HTTP");
        Map<String, Object> add = Map.of("type", "function", "function", Map.of("name", "add", "description",
                "Add two integers.", "parameters", Map.of("type", "object", "properties",
                        Map.of("a", Map.of("type", "integer"), "b", Map.of("type", "integer")),
                        "required", List.of("a", "b"))));
        Map<String, Object> choice = Map.of("type", "function", "function", Map.of("name", "add"));
        LmRequest request = LmRequest.of(List.of(Message.system("Use tools."),
                        Message.user(List.of(new Message.Part.Text("What is in "),
                                new Message.Part.ImageUrl("https://example.com/sum.png"),
                                new Message.Part.Text(" and "),
                                new Message.Part.ImageUrl("data:image/png;base64,iVBORw0KGgo="),
                                new Message.Part.Text("?"))),
                        Message.assistant("I add.", List.of(TOOL_CALLS.get(0))), Message.tool("call_1", "3"),
                        Message.user("Thanks")))
                .withTools(List.of(add)).withToolChoice(choice);
        scriptReply("3");
        StepVerifier.create(lm.call(request)).expectNextCount(1).verifyComplete();
        ParsedRequest seen = server.lastRequest();
        assertThat(canonical(seen.messages())).containsExactlyElementsOf(canonical(request.messages()));
        assertThat(seen.tools()).isEqualTo(List.of(add));
        assertThat(seen.toolChoice()).isEqualTo(choice);
        for (Object other : List.of("auto", "required", "none")) {
            StepVerifier.create(lm.call(request.withToolChoice(other))).expectNextCount(1).verifyComplete();
            assertThat(server.lastRequest().toolChoice()).isEqualTo(other);
        }
    }
}

package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Prediction;
import io.dspex.lm.LmException;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each fault {@link MockLmServer} can inject, end to end through {@link Predict} and {@link OpenAiCompatibleLm}:
 * a fault on the first attempts is retried away; a fault on every attempt fails with its typed
 * {@link LmException} after exactly the policy's attempts (one for a non-retryable fault). Netty's leak detector
 * runs at PARANOID, and the pool holds no acquired connection afterwards.
 */
@ExtendWith(NettyLeakWatcher.class)
@Timeout(30)
class FaultInjectionTest {

    static MockLmServer server;
    static OpenAiCompatibleLm lm;
    static OpenAiCompatibleLm shortTimeoutLm;
    Rel.Attempts attempts;

    @BeforeAll
    static void start() {
        server = Rel.echoServer();
        lm = Rel.lm(server);
        shortTimeoutLm = Rel.lm(server, Duration.ofSeconds(1));
        // Warm up (class loading, JIT, the first connections) so no attempt of a test below is slow for that.
        Predict warm = Predict.of("question -> answer").withRetry(RetryPolicy.none());
        for (int i = 0; i < 20; i++) {
            warm.withLm(lm).forward(Map.of("question", "q-0")).block(Duration.ofSeconds(10));
            warm.withLm(shortTimeoutLm).forward(Map.of("question", "q-0")).block(Duration.ofSeconds(10));
        }
    }

    @AfterAll
    static void stop() {
        Rel.assertNoAcquiredConnection(lm);
        Rel.assertNoAcquiredConnection(shortTimeoutLm);
        lm.close();
        shortTimeoutLm.close();
        server.close();
        assertThat(Rel.await(() -> server.openConnections() == 0, Duration.ofSeconds(5)))
                .as("connections still open after close: %d", server.openConnections()).isTrue();
    }

    @BeforeEach
    void reset() {
        server.reset().recordRequests(true).reply(r -> Rel.chatAnswer("A-" + Rel.idOf(r)));
        attempts = new Rel.Attempts();
    }

    /** name, fault, expected type on exhaustion, status or -1, whether the LM must use the short response timeout. */
    static Stream<Arguments> retryableFaults() {
        return Stream.of(
                Arguments.of("429 with Retry-After: 0", Fault.status(429, "slow down").withRetryAfter(0),
                        LmException.RateLimit.class, 429, false),
                Arguments.of("500", Fault.status(500, "boom"), LmException.InternalServer.class, 500, false),
                Arguments.of("502", Fault.status(502, "bad gateway"), LmException.InternalServer.class, 502, false),
                Arguments.of("503", Fault.status(503, "overloaded"), LmException.InternalServer.class, 503, false),
                Arguments.of("504", Fault.status(504, "gateway timeout"), LmException.InternalServer.class, 504, false),
                Arguments.of("408", Fault.status(408, "request timeout"), LmException.RequestTimeout.class, 408, false),
                Arguments.of("reset before the response", Fault.resetBeforeHeaders(), LmException.Connection.class,
                        -1, false),
                Arguments.of("reset mid-body", Fault.resetMidBody(), LmException.Connection.class, -1, false),
                Arguments.of("malformed JSON", Fault.malformedJson(), LmException.MalformedResponse.class, -1, false),
                Arguments.of("truncated JSON body", Fault.truncated(), LmException.MalformedResponse.class, -1, false),
                Arguments.of("response slower than the response timeout", Fault.delay(Duration.ofMillis(2500)),
                        LmException.ResponseTimeout.class, -1, true),
                Arguments.of("body slower than the response timeout", Fault.slowBody(Duration.ofMillis(1500)),
                        LmException.ResponseTimeout.class, -1, true),
                Arguments.of("200 with an embedded server error",
                        Fault.statusWithBody(200, "{\"error\":{\"message\":\"upstream\",\"code\":503}}"),
                        LmException.InternalServer.class, 503, false));
    }

    @ParameterizedTest(name = "{0}: fails twice, then the third attempt succeeds")
    @MethodSource("retryableFaults")
    void retryableFaultOnEarlyAttemptsIsRetriedAway(String name, Fault fault, Class<?> type, int status,
                                                    boolean shortTimeout) {
        server.faultWhen(r -> attempts.attempt(r) <= 2, fault);
        Predict qa = Predict.of("question -> answer").withLm(shortTimeout ? shortTimeoutLm : lm).withRetry(Rel.FAST);

        Prediction p = qa.forward(Map.of("question", "q-7")).block(Duration.ofSeconds(20));

        assertThat(p.get("answer")).isEqualTo("A-7");
        assertThat(attempts.of(7)).isEqualTo(3);
        assertThat(server.requestCount()).isEqualTo(3);
    }

    @ParameterizedTest(name = "{0}: on every attempt, fails typed after exactly 3 attempts")
    @MethodSource("retryableFaults")
    void retryableFaultOnEveryAttemptExhaustsThePolicy(String name, Fault fault, Class<? extends Throwable> type,
                                                      int status, boolean shortTimeout) {
        server.fault(fault);
        Predict qa = Predict.of("question -> answer").withLm(shortTimeout ? shortTimeoutLm : lm).withRetry(Rel.FAST);

        assertThatThrownBy(() -> qa.forward(Map.of("question", "q-1")).block(Duration.ofSeconds(20)))
                .isInstanceOf(type)
                .satisfies(e -> {
                    LmException le = (LmException) e;
                    assertThat(le.isRetryable()).isTrue();
                    assertThat(le.statusCode()).isEqualTo(status < 0 ? OptionalInt.empty() : OptionalInt.of(status));
                    assertThat(RetryPolicy.attemptsOf(e)).isEqualTo(3);
                    assertThat(e.getMessage()).isNotBlank();
                });
        assertThat(server.requestCount()).isEqualTo(3);
    }

    static Stream<Arguments> nonRetryableFaults() {
        return Stream.of(
                Arguments.of(Fault.status(400, "bad request"), LmException.BadRequest.class, 400),
                Arguments.of(Fault.status(400, "This model's maximum context length is 8192 tokens"),
                        LmException.ContextWindowExceeded.class, 400),
                Arguments.of(Fault.status(401, "invalid api key"), LmException.Authentication.class, 401),
                Arguments.of(Fault.status(403, "forbidden"), LmException.PermissionDenied.class, 403),
                Arguments.of(Fault.status(404, "no such model"), LmException.NotFound.class, 404),
                Arguments.of(Fault.status(422, "bad value"), LmException.UnprocessableEntity.class, 422),
                Arguments.of(Fault.status(500, "do not retry").withHeader("x-should-retry", "false"),
                        LmException.InternalServer.class, 500));
    }

    @ParameterizedTest(name = "{0}: one attempt, typed error")
    @MethodSource("nonRetryableFaults")
    void nonRetryableFaultFailsAtOnce(Fault fault, Class<? extends Throwable> type, int status) {
        server.fault(fault);
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);

        assertThatThrownBy(() -> qa.forward(Map.of("question", "q-1")).block(Duration.ofSeconds(10)))
                .isInstanceOf(type)
                .satisfies(e -> {
                    assertThat(((LmException) e).isRetryable()).isFalse();
                    assertThat(((LmException) e).statusCode()).hasValue(status);
                    assertThat(e.getMessage()).contains(Integer.toString(status));
                });
        assertThat(server.requestCount()).isEqualTo(1);
    }

    @Test
    void retryAfterIsHonoured() {
        server.faultWhen(r -> attempts.attempt(r) == 1, Fault.status(429, "slow down").withRetryAfter(1));
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);

        long start = System.nanoTime();
        Prediction p = qa.forward(Map.of("question", "q-3")).block(Duration.ofSeconds(10));
        Duration waited = Duration.ofNanos(System.nanoTime() - start);

        assertThat(p.get("answer")).isEqualTo("A-3");
        assertThat(server.requestCount()).isEqualTo(2);
        // The policy's own backoff is 2 ms; only the server's Retry-After explains a wait of a second.
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(950));
    }

    @Test
    void retryAfterIsCappedByThePolicy() {
        server.faultWhen(r -> attempts.attempt(r) == 1, Fault.status(503, "later").withRetryAfter(3600));
        Predict qa = Predict.of("question -> answer").withLm(lm)
                .withRetry(Rel.FAST.withMaxRetryAfter(Duration.ofMillis(20)));

        assertThat(qa.forward(Map.of("question", "q-4")).block(Duration.ofSeconds(10)).get("answer")).isEqualTo("A-4");
        assertThat(server.requestCount()).isEqualTo(2);
    }

    @Test
    void attemptTimeoutOfThePolicyCutsAHangingAttempt() {
        server.faultWhen(r -> attempts.attempt(r) <= 2, Fault.hang());
        Predict qa = Predict.of("question -> answer").withLm(lm)
                .withRetry(Rel.FAST.withAttemptTimeout(Duration.ofSeconds(1)));

        assertThat(qa.forward(Map.of("question", "q-5")).block(Duration.ofSeconds(10)).get("answer")).isEqualTo("A-5");
        assertThat(server.requestCount()).isEqualTo(3);
        // The two timed-out exchanges were cancelled: their connections are closed, not returned to the pool.
        assertThat(Rel.await(() -> server.connectionsClosed() >= 2, Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void attemptTimeoutExhaustionIsATypedResponseTimeout() {
        server.fault(Fault.hang());
        Predict qa = Predict.of("question -> answer").withLm(lm)
                .withRetry(Rel.FAST.withAttemptTimeout(Duration.ofMillis(300)));

        assertThatThrownBy(() -> qa.forward(Map.of("question", "q-5")).block(Duration.ofSeconds(10)))
                .isInstanceOf(LmException.ResponseTimeout.class)
                .hasMessageContaining("300 ms")
                .satisfies(e -> assertThat(RetryPolicy.attemptsOf(e)).isEqualTo(3));
        assertThat(server.requestCount()).isEqualTo(3);
    }

    @Test
    void deadlineBoundsTheWholeCall() {
        server.fault(Fault.status(503, "down").withRetryAfter(30));
        Predict qa = Predict.of("question -> answer").withLm(lm)
                .withRetry(Rel.FAST.withMaxAttempts(10).withDeadline(Duration.ofMillis(300)));

        assertThatThrownBy(() -> qa.forward(Map.of("question", "q-6")).block(Duration.ofSeconds(10)))
                .isInstanceOf(RetryPolicy.DeadlineExceededException.class)
                .hasMessageContaining("300 ms");
        assertThat(server.requestCount()).isEqualTo(1);
    }

    @Test
    void leakDetectorIsLive() {
        // A canary: a buffer dropped unreleased must be reported, or the watcher proves nothing.
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.writeLong(42);
        leaked = null;
        boolean seen = Rel.await(() -> {
            NettyLeakWatcher.drain(1);
            return !NettyLeakWatcher.LEAKS.isEmpty();
        }, Duration.ofSeconds(10));
        assertThat(seen).as("Netty's leak detector reported the canary").isTrue();
        NettyLeakWatcher.LEAKS.clear();
    }
}

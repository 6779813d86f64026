package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Prediction;
import io.dspex.lm.AnthropicLm;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.lm.RateLimit;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import io.dspex.test.ParsedRequest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The rate limit over real HTTP, measured where a provider measures it: at the server, by the arrival time of each
 * request. Every assertion is about the spread of arrivals (how many fall in any one-second window, a pause that
 * holds every call back), not about how fast anything went.
 */
@Timeout(60)
class RateLimitOverHttpTest {

    /** @return the most arrivals in any window {@code [t, t + 1 s)}, t being any arrival */
    private static int mostInAnyOneSecondWindow(List<ParsedRequest> requests) {
        return mostInAnyOneSecondWindow(requests.stream().mapToLong(ParsedRequest::arrivalNanos).toArray());
    }

    private static int mostInAnyOneSecondWindow(long[] times) {
        long[] at = times.clone();
        Arrays.sort(at);
        long second = TimeUnit.SECONDS.toNanos(1);
        int most = 0;
        for (int i = 0, j = 0; i < at.length; i++) {
            while (j < at.length && at[j] < at[i] + second) {
                j++;
            }
            most = Math.max(most, j - i);
        }
        return most;
    }

    /**
     * 40 concurrent calls from two programs through one 10-per-second limit: no more than 10 calls leave the limiter in
     * any one-second window, and every call is answered by the server. (Counted where the calls leave the limiter: at
     * the server, a loaded machine's delays in transit can bunch arrivals by more than the limiter's 5% margin.)
     */
    @Test
    void fortyConcurrentCallsThroughTenPerSecondNeverPutMoreThanTenInAnySecond() {
        try (MockLmServer server = MockLmServer.create().reply(r -> Rel.chatAnswer("ok")).start();
             OpenAiCompatibleLm http = Rel.lm(server)) {
            // warm the connection and the code paths, so that the first measured calls are not slowed down
            for (int i = 0; i < 3; i++) {
                http.call(LmRequest.of(List.of(Message.user("warm")))).block(Duration.ofSeconds(10));
            }
            server.reset().reply(r -> Rel.chatAnswer("ok"));
            Queue<Long> started = new ConcurrentLinkedQueue<>();
            LanguageModel recorded = new LanguageModel() {
                @Override
                public Mono<LmResponse> call(LmRequest request) {
                    return Mono.defer(() -> {
                        started.add(System.nanoTime());
                        return http.call(request);
                    });
                }

                @Override
                public String id() {
                    return http.id();
                }
            };
            LanguageModel limited = RateLimit.of(recorded).requestsPerMinute(600).build();
            Predict first = Predict.of("question -> answer").withLm(limited).withRetry(RetryPolicy.none());
            Predict second = Predict.of("question -> answer").withLm(limited).withRetry(RetryPolicy.none());
            List<Prediction> answers = Flux.range(0, 40)
                    .flatMap(i -> (i % 2 == 0 ? first : second).forward(Map.of("question", "q-" + i)), 40)
                    .collectList().block(Duration.ofSeconds(30));
            assertThat(answers).hasSize(40).allSatisfy(p -> assertThat(p.get("answer")).isEqualTo("ok"));
            List<ParsedRequest> arrived = server.requests();
            assertThat(arrived).hasSize(40);
            assertThat(started).hasSize(40);
            assertThat(mostInAnyOneSecondWindow(started.stream().mapToLong(Long::longValue).toArray()))
                    .isLessThanOrEqualTo(10);
        }
    }

    /** The measure itself: without the limit, the same 40 calls arrive far more than 10 to a second. */
    @Test
    void withoutTheLimitTheSameCallsBunchUp() {
        try (MockLmServer server = MockLmServer.create().reply(r -> Rel.chatAnswer("ok"))
                .latency(Duration.ofMillis(200)).start();
             OpenAiCompatibleLm http = Rel.lm(server)) {
            Flux.range(0, 40).flatMap(i -> http.call(LmRequest.of(List.of(Message.user("q-" + i)))), 40)
                    .collectList().block(Duration.ofSeconds(30));
            // all 40 are in flight at once (each held 200 ms by the server): they cannot spread over 4 seconds
            assertThat(mostInAnyOneSecondWindow(server.requests())).isGreaterThan(10);
        }
    }

    /**
     * A 429 whose wait is given only by Anthropic's rate-limit headers (no Retry-After) pauses the whole model: the
     * calls made after it reach the server only after the reset, although the request limit would let them through.
     */
    @Test
    void anthropicRateLimitHeadersPauseEveryCall() {
        try (MockLmServer server = MockLmServer.create(MockLmServer.Protocol.ANTHROPIC).reply("ok").start();
             AnthropicLm claude = AnthropicLm.builder().baseUrl(server.baseUrl()).apiKey("sk-ant-test")
                     .model("claude-mock").build()) {
            String reset = OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(2).toString();
            server.faultNext(1, Fault.status(429, "Number of requests has exceeded your rate limit")
                    .withHeader("anthropic-ratelimit-requests-limit", "50")
                    .withHeader("anthropic-ratelimit-requests-remaining", "0")
                    .withHeader("anthropic-ratelimit-requests-reset", reset));
            LanguageModel limited = RateLimit.of(claude).requestsPerMinute(6000).build();
            Throwable refused = limited.call(LmRequest.of(List.of(Message.user("q-0")))).map(LmResponse::text)
                    .cast(Object.class).onErrorResume(Mono::just).block(Duration.ofSeconds(10)) instanceof Throwable t
                    ? t : null;
            assertThat(refused).isInstanceOfSatisfying(LmException.RateLimit.class,
                    e -> assertThat(e.retryAfter()).isPresent());
            List<String> answers = Flux.range(1, 3)
                    .flatMap(i -> limited.call(LmRequest.of(List.of(Message.user("q-" + i)))).map(LmResponse::text), 3)
                    .collectList().block(Duration.ofSeconds(30));
            assertThat(answers).containsExactly("ok", "ok", "ok");
            List<ParsedRequest> arrived = server.requests();
            assertThat(arrived).hasSize(4);
            long pause = arrived.get(1).arrivalNanos() - arrived.get(0).arrivalNanos();
            // the reset was 2 s (less a little, the header has whole seconds) after the 429 was sent
            assertThat(Duration.ofNanos(pause)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        }
    }
}

package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.RetryPolicy;
import io.dspex.test.MockLmServer;
import io.dspex.test.ParsedRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Shared helpers of the reliability suite. */
final class Rel {

    private Rel() {
    }

    static final Pattern ID = Pattern.compile("q-(\\d+)");

    /** A fast policy: 3 attempts, 2..10 ms backoff, no jitter, so counts and time stay exact and short. */
    static final RetryPolicy FAST = RetryPolicy.defaults().withMaxAttempts(3)
            .withBackoff(Duration.ofMillis(2), Duration.ofMillis(10)).withJitter(0);

    static OpenAiCompatibleLm lm(MockLmServer server) {
        return lm(server, Duration.ofSeconds(10));
    }

    static OpenAiCompatibleLm lm(MockLmServer server, Duration responseTimeout) {
        return OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("mock-model").apiKey("sk-test-0000")
                .responseTimeout(responseTimeout).connectTimeout(Duration.ofSeconds(2)).maxConnections(64)
                .pendingAcquireTimeout(Duration.ofSeconds(20)).build();
    }

    /** The ChatAdapter reply for {@code question -> answer}. */
    static String chatAnswer(String answer) {
        return "[[ ## answer ## ]]\n" + answer + "\n\n[[ ## completed ## ]]";
    }

    /** @return the input id {@code N} of a request whose question is {@code q-N}, or -1 */
    static int idOf(ParsedRequest r) {
        Matcher m = ID.matcher(r.lastUserMessage());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Serves {@code A-N} for question {@code q-N}. */
    static MockLmServer echoServer() {
        return MockLmServer.create().recordRequests(false).reply(r -> chatAnswer("A-" + idOf(r))).start();
    }

    /**
     * Counts the attempts per input as the server sees them. {@link #attempt(ParsedRequest)} is idempotent per
     * request (memoised by request number), so any number of fault plans may ask.
     */
    static final class Attempts {
        private final Map<Integer, AtomicInteger> perInput = new ConcurrentHashMap<>();
        private final Map<Long, Integer> perRequest = new ConcurrentHashMap<>();

        int attempt(ParsedRequest r) {
            return perRequest.computeIfAbsent(r.number(),
                    n -> perInput.computeIfAbsent(idOf(r), i -> new AtomicInteger()).incrementAndGet());
        }

        int of(int input) {
            AtomicInteger a = perInput.get(input);
            return a == null ? 0 : a.get();
        }
    }

    /**
     * Counts, on the caller's side, the LM calls a program starts (at subscription, synchronously) and those that
     * fail. A count read right after the program was disposed, or after virtual time was advanced past every
     * backoff, is final: no request can reach the server without first being counted here, so the tests need
     * not wait and see whether a late request turns up.
     */
    static final class CountingLm implements LanguageModel {
        private final LanguageModel delegate;
        private final AtomicInteger started = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();

        CountingLm(LanguageModel delegate) {
            this.delegate = delegate;
        }

        @Override
        public Mono<LmResponse> call(LmRequest request) {
            return Mono.defer(() -> {
                started.incrementAndGet();
                return delegate.call(request);
            }).doOnError(e -> failed.incrementAndGet());
        }

        @Override
        public Flux<LmChunk> stream(LmRequest request) {
            return Flux.defer(() -> {
                started.incrementAndGet();
                return delegate.stream(request);
            }).doOnError(e -> failed.incrementAndGet());
        }

        @Override
        public String id() {
            return delegate.id();
        }

        /** @return the calls started so far */
        int started() {
            return started.get();
        }

        /** @return the calls that failed so far (a failed call's retry, if any, is scheduled right after) */
        int failed() {
            return failed.get();
        }
    }

    /** Polls (on the test thread) until the condition holds or the timeout passes. */
    static boolean await(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(2_000_000);
        }
        return true;
    }

    /** Asserts the LM's pool holds no acquired connection once in-flight releases settle. */
    static void assertNoAcquiredConnection(OpenAiCompatibleLm lm) {
        await(() -> lm.poolStats().acquired() == 0, Duration.ofSeconds(5));
        assertThat(lm.poolStats().acquired()).as("acquired connections left in the pool: %s", lm.poolStats())
                .isZero();
        assertThat(lm.poolStats().pendingAcquires()).as("pending acquires").isZero();
    }
}

package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The rate limiter in virtual time: starts are spaced (no burst over the limit in any window), first come first
 * served, a cancelled waiter frees its place, a server's Retry-After pauses every call, and token reservations are
 * corrected by the reported usage. Times are exact because the clock is the virtual one.
 */
class RateLimitTest {

    private final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    /** When (virtual ms) each call reached the model, and which. */
    private final List<long[]> starts = new CopyOnWriteArrayList<>();

    @AfterEach
    void dispose() {
        vts.dispose();
    }

    /** A model that records each call's start (virtual time) and its number, answering after {@code latency}. */
    private LanguageModel recording(Duration latency, Function<Integer, Mono<LmResponse>> answer) {
        return request -> Mono.defer(() -> {
            int number = Integer.parseInt(request.messages().get(0).content());
            starts.add(new long[] {vts.now(TimeUnit.MILLISECONDS), number});
            Mono<LmResponse> r = answer.apply(number);
            return latency.isZero() ? r : r.delaySubscription(latency, vts);
        });
    }

    private LanguageModel instant() {
        return recording(Duration.ZERO, n -> Mono.just(LmResponse.of(List.of("ok"), Usage.of(10, 10))));
    }

    private static LmRequest call(int number) {
        return LmRequest.of(List.of(Message.user(Integer.toString(number))));
    }

    private List<Long> startTimes() {
        return starts.stream().map(s -> s[0]).toList();
    }

    private List<Long> startOrder() {
        return starts.stream().map(s -> s[1]).toList();
    }

    /** @return the most starts in any window {@code [t, t + width)} */
    private static int mostInAnyWindow(List<Long> times, long width) {
        int most = 0;
        for (long t : times) {
            int in = 0;
            for (long u : times) {
                if (u >= t && u < t + width) {
                    in++;
                }
            }
            most = Math.max(most, in);
        }
        return most;
    }

    @Test
    void noBurstOverTheLimitInAnyOneSecondWindow() {
        RateLimit limited = RateLimit.of(instant()).requestsPerMinute(600).scheduler(vts).build();
        List<LmResponse> done = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 30; i++) {
            limited.call(call(i)).subscribe(done::add);
        }
        assertThat(starts).hasSize(1);
        assertThat(limited.waiting()).isEqualTo(29);
        vts.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(done).hasSize(30);
        assertThat(limited.waiting()).isZero();
        List<Long> times = startTimes();
        assertThat(mostInAnyWindow(times, 1000)).isEqualTo(10);
        // evenly spaced: 63 s / 600 = 105 ms apart, not 10 at once and then a pause
        for (int i = 1; i < times.size(); i++) {
            assertThat(times.get(i) - times.get(i - 1)).isEqualTo(105);
        }
    }

    @Test
    void atMostCeilNOver60StartInAnySecondAndAtMostNInAnyMinute() {
        for (int rpm : new int[] {30, 100, 150, 1000}) {
            starts.clear();
            RateLimit limited = RateLimit.of(instant()).requestsPerMinute(rpm).scheduler(vts).build();
            int calls = Math.min(rpm + 20, 200);
            for (int i = 0; i < calls; i++) {
                limited.call(call(i)).subscribe();
            }
            vts.advanceTimeBy(Duration.ofMinutes(5));
            List<Long> times = startTimes();
            assertThat(times).as("rpm %d", rpm).hasSize(calls);
            assertThat(mostInAnyWindow(times, 1000)).as("rpm %d, any second", rpm)
                    .isLessThanOrEqualTo((rpm + 59) / 60);
            assertThat(mostInAnyWindow(times, 60_000)).as("rpm %d, any minute", rpm).isLessThanOrEqualTo(rpm);
        }
    }

    @Test
    void callsStartFirstComeFirstServed() {
        RateLimit limited = RateLimit.of(instant()).requestsPerMinute(60).scheduler(vts).build();
        for (int i = 0; i < 8; i++) {
            limited.call(call(i)).subscribe();
        }
        vts.advanceTimeBy(Duration.ofSeconds(30));
        assertThat(startOrder()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    }

    @Test
    void programsAndSubscribersShareOneLimiter() {
        RateLimit limited = RateLimit.of(instant()).requestsPerMinute(120).scheduler(vts).build();
        Flux.range(0, 5).flatMap(i -> limited.call(call(i))).subscribe();
        Flux.range(5, 5).flatMap(i -> limited.call(call(i))).subscribe();
        vts.advanceTimeBy(Duration.ofSeconds(30));
        assertThat(starts).hasSize(10);
        assertThat(mostInAnyWindow(startTimes(), 1000)).isEqualTo(2);
    }

    @Test
    void cancellingAWaitingCallFreesItsPlace() {
        RateLimit limited = RateLimit.of(instant()).requestsPerMinute(600).scheduler(vts).build();
        List<Disposable> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(limited.call(call(i)).subscribe());
        }
        assertThat(limited.waiting()).isEqualTo(4);
        calls.get(1).dispose();
        calls.get(2).dispose();
        assertThat(limited.waiting()).isEqualTo(2);
        vts.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(startOrder()).containsExactly(0L, 3L, 4L);
        // call 3 took the first free slot, 105 ms after call 0
        assertThat(startTimes()).containsExactly(0L, 105L, 210L);
        assertThat(limited.waiting()).isZero();
    }

    @Test
    void retryAfterPausesTheWholeModel() {
        AtomicInteger failures = new AtomicInteger(1);
        LanguageModel model = recording(Duration.ZERO, n -> failures.getAndDecrement() > 0
                ? Mono.error(new LmException.RateLimit("slow down", Duration.ofSeconds(5)))
                : Mono.just(LmResponse.of("ok")));
        RateLimit limited = RateLimit.of(model).requestsPerMinute(600).scheduler(vts).build();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 4; i++) {
            limited.call(call(i)).subscribe(r -> { }, errors::add);
        }
        vts.advanceTimeBy(Duration.ofSeconds(4));
        assertThat(startOrder()).as("nothing starts during the pause").containsExactly(0L);
        assertThat(errors).singleElement().isInstanceOf(LmException.RateLimit.class);
        vts.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(startTimes()).containsExactly(0L, 5000L, 5105L, 5210L);
    }

    @Test
    void aRateLimitWithoutAWaitPausesNothing() {
        AtomicInteger failures = new AtomicInteger(1);
        LanguageModel model = recording(Duration.ZERO, n -> failures.getAndDecrement() > 0
                ? Mono.error(new LmException.RateLimit("slow down", null)) : Mono.just(LmResponse.of("ok")));
        RateLimit limited = RateLimit.of(model).requestsPerMinute(600).scheduler(vts).build();
        for (int i = 0; i < 3; i++) {
            limited.call(call(i)).subscribe(r -> { }, e -> { });
        }
        vts.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(startTimes()).containsExactly(0L, 105L, 210L);
    }

    @Test
    void tokenReservationsAreCorrectedByTheReportedUsage() {
        // Each call reserves its prompt (a few tokens) and max_tokens 400, reports 100 tokens used after 10 s.
        LanguageModel model = recording(Duration.ofSeconds(10),
                n -> Mono.just(LmResponse.of(List.of("ok"), Usage.of(60, 40))));
        RateLimit limited = RateLimit.of(model).tokensPerMinute(1000).scheduler(vts).build();
        long estimate = RateLimit.estimate(call(0).withConfig(CallConfig.empty().withMaxTokens(400)));
        assertThat(estimate).isEqualTo(405);
        for (int i = 0; i < 3; i++) {
            limited.call(call(i).withConfig(CallConfig.empty().withMaxTokens(400))).subscribe();
        }
        vts.advanceTimeBy(Duration.ofSeconds(30));
        // Calls 0 and 1 fit in the bucket at once (1000 - 2 x 405 = 190 left). Call 2 needs 405: by refill alone
        // (1000 tokens a minute) it would wait 12.9 s; the two completions at 10 s give back 305 each.
        assertThat(startTimes()).containsExactly(0L, 0L, 10_000L);
    }

    @Test
    void aFailedCallGivesItsReservationBack() {
        AtomicInteger failures = new AtomicInteger(2);
        LanguageModel model = recording(Duration.ZERO, n -> failures.getAndDecrement() > 0
                ? Mono.error(new LmException.InternalServer("boom")) : Mono.just(LmResponse.of("ok")));
        RateLimit limited = RateLimit.of(model).tokensPerMinute(1000).scheduler(vts).build();
        for (int i = 0; i < 3; i++) {
            limited.call(call(i).withConfig(CallConfig.empty().withMaxTokens(400))).subscribe(r -> { }, e -> { });
        }
        vts.advanceTimeBy(Duration.ofMillis(1));
        assertThat(startTimes()).containsExactly(0L, 0L, 0L);
    }

    @Test
    void aCallLargerThanTheBudgetWaitsForAFullBucketThenRuns() {
        LanguageModel model = recording(Duration.ZERO, n -> Mono.just(LmResponse.of("ok")));
        RateLimit limited = RateLimit.of(model).tokensPerMinute(600).scheduler(vts).build();
        limited.call(call(0).withConfig(CallConfig.empty().withMaxTokens(300))).subscribe();
        limited.call(call(1).withConfig(CallConfig.empty().withMaxTokens(5000))).subscribe();
        vts.advanceTimeBy(Duration.ofMinutes(2));
        // 305 tokens spent (no usage reported: the estimate stands) refill at 10 a second: full again after 30.5 s
        assertThat(startTimes()).containsExactly(0L, 30_500L);
    }

    @Test
    void streamsQueueLikeCallsAndTheirLastUsageCorrectsTheReservation() {
        LanguageModel model = new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                return Mono.error(new AssertionError("not called"));
            }

            @Override
            public Flux<LmChunk> stream(LmRequest request) {
                return Flux.defer(() -> {
                    starts.add(new long[] {vts.now(TimeUnit.MILLISECONDS),
                            Long.parseLong(request.messages().get(0).content())});
                    return Flux.just(LmChunk.of("a"), LmChunk.ofUsage(Usage.of(5, 5)));
                });
            }
        };
        RateLimit limited = RateLimit.of(model).requestsPerMinute(600).tokensPerMinute(1000).scheduler(vts).build();
        List<String> texts = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 4; i++) {
            limited.stream(call(i).withConfig(CallConfig.empty().withMaxTokens(400)))
                    .subscribe(c -> texts.add(c.text()));
        }
        vts.advanceTimeBy(Duration.ofSeconds(2));
        // without the correction the third stream would wait for tokens; with it, only the spacing applies
        assertThat(startTimes()).containsExactly(0L, 105L, 210L, 315L);
        assertThat(String.join("", texts)).isEqualTo("aaaa");
    }

    @Test
    void theCallIsLazyAndEverySubscriptionQueuesAgain() {
        RateLimit limited = RateLimit.of(instant()).requestsPerMinute(600).scheduler(vts).build();
        Mono<LmResponse> once = limited.call(call(7));
        assertThat(starts).isEmpty();
        once.subscribe();
        once.subscribe();
        vts.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(startTimes()).containsExactly(0L, 105L);
    }

    @Test
    void estimateCountsThePromptImagesToolsAndNTimesMaxTokens() {
        LmRequest r = LmRequest.of(List.of(Message.system("x".repeat(400)), Message.user(List.of(
                        new Message.Part.Text("hi"), new Message.Part.ImageUrl("https://example.com/a.png")))),
                CallConfig.empty().withMaxTokens(100).withN(3));
        // (400 + 16 + 2 + 16 + 3) / 4 = 109 prompt tokens, one image, 3 x 100 completion tokens
        assertThat(RateLimit.estimate(r)).isEqualTo(109 + 1000 + 300);
        LmRequest withTools = LmRequest.of(List.of(Message.user("hi"))).withTools(List.of(Map.of("type", "function",
                "function", Map.of("name", "f"))));
        assertThat(RateLimit.estimate(withTools)).isGreaterThan(RateLimit.estimate(LmRequest.of(List.of(
                Message.user("hi")))));
    }

    @Test
    void builderRejectsBadLimitsNamingThem() {
        assertThatThrownBy(() -> RateLimit.of(null)).hasMessageContaining("LanguageModel");
        assertThatThrownBy(() -> RateLimit.of(instant()).build()).hasMessageContaining("requestsPerMinute");
        assertThatThrownBy(() -> RateLimit.of(instant()).requestsPerMinute(0))
                .hasMessageContaining("requestsPerMinute");
        assertThatThrownBy(() -> RateLimit.of(instant()).tokensPerMinute(-1)).hasMessageContaining("tokensPerMinute");
        LanguageModel model = instant();
        RateLimit limited = RateLimit.of(model).requestsPerMinute(5).build();
        assertThat(limited.id()).isEqualTo(model.id());
        assertThat(limited.delegate()).isSameAs(model);
        assertThat(limited.toString()).contains("5 requests/min");
    }
}

package io.dspex.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.lm.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class EvaluateTest {

    /** Examples q0..q(n-1) whose gold answer is "a" + i. */
    static List<Example> devset(int n) {
        List<Example> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(Example.of(Map.of("question", "q" + i, "answer", "a" + i)).withInputs("question"));
        }
        return list;
    }

    static int indexOf(Example inputs) {
        return Integer.parseInt(((String) inputs.get("question")).substring(1));
    }

    /** Answers correctly, after a delay that scrambles completion order. */
    static Program echo(Duration unit) {
        return inputs -> {
            int i = indexOf(inputs);
            long delay = (i * 7919L) % 13;
            return Mono.delay(unit.multipliedBy(delay + 1))
                    .map(t -> Prediction.of(Map.of("answer", "a" + i)).withUsage(Usage.of(10, 2)));
        };
    }

    static final Metric EXACT = Metric.of((ex, p) -> ex.get("answer").equals(p.get("answer")));

    @Test
    void noRowLostAndRowsInDevsetOrderWhateverTheCompletionOrder() {
        List<Integer> completionOrder = Collections.synchronizedList(new ArrayList<>());
        Program program = inputs -> echo(Duration.ofMillis(10)).forward(inputs)
                .doOnNext(p -> completionOrder.add(indexOf(inputs)));
        Evaluate evaluate = Evaluate.builder().devset(devset(200)).metric(EXACT).concurrency(16).build();

        StepVerifier.withVirtualTime(() -> evaluate.run(program))
                .thenAwait(Duration.ofMinutes(1))
                .assertNext(result -> {
                    assertThat(result.rows()).hasSize(200);
                    for (int k = 0; k < 200; k++) {
                        int i = k;
                        EvaluationRow row = result.rows().get(i);
                        assertThat(row.index()).isEqualTo(i);
                        assertThat(row.example().get("question")).isEqualTo("q" + i);
                        assertThat(row.prediction()).hasValueSatisfying(p -> assertThat(p.get("answer"))
                                .isEqualTo("a" + i));
                        assertThat(row.error()).isEmpty();
                        assertThat(row.score()).isEqualTo(1.0);
                    }
                    assertThat(result.score()).isEqualTo(100.0);
                    assertThat(result.errorCount()).isZero();
                    assertThat(result.totalUsage()).isEqualTo(new Usage(2000, 400, 2400));
                })
                .verifyComplete();
        assertThat(completionOrder).hasSize(200).isNotEqualTo(sorted(completionOrder));
    }

    private static List<Integer> sorted(List<Integer> l) {
        List<Integer> c = new ArrayList<>(l);
        Collections.sort(c);
        return c;
    }

    @Test
    void errorsAreRecordedScoredAtTheFailureScoreAndKept() {
        Program program = inputs -> {
            int i = indexOf(inputs);
            if (i % 5 == 0) {
                return Mono.delay(Duration.ofMillis(i)).then(Mono.error(new IllegalStateException("boom " + i)));
            }
            if (i == 3) {
                throw new IllegalArgumentException("thrown, not signalled");
            }
            if (i == 7) {
                return Mono.empty();
            }
            return Mono.just(Prediction.of(Map.of("answer", "a" + i)));
        };
        Evaluate evaluate = Evaluate.builder().devset(devset(20)).metric(EXACT).concurrency(4)
                .maxErrors(Evaluate.UNLIMITED_ERRORS).failureScore(0.25).build();

        StepVerifier.withVirtualTime(() -> evaluate.run(program))
                .thenAwait(Duration.ofSeconds(1))
                .assertNext(result -> {
                    assertThat(result.rows()).hasSize(20);
                    assertThat(result.errorCount()).isEqualTo(6);
                    assertThat(result.rows().get(5).error()).hasValueSatisfying(e ->
                            assertThat(e).isInstanceOf(IllegalStateException.class).hasMessage("boom 5"));
                    assertThat(result.rows().get(5).prediction()).isEmpty();
                    assertThat(result.rows().get(5).score()).isEqualTo(0.25);
                    assertThat(result.rows().get(3).error()).hasValueSatisfying(e ->
                            assertThat(e).hasMessage("thrown, not signalled"));
                    assertThat(result.rows().get(7).error()).hasValueSatisfying(e ->
                            assertThat(e).hasMessageContaining("without a prediction for example 7"));
                    // 14 successes scoring 1, 6 failures scoring 0.25: (14 + 1.5) / 20 = 77.5%.
                    assertThat(result.score()).isEqualTo(77.5);
                })
                .verifyComplete();
    }

    @Test
    void reachingMaxErrorsStopsTheRunAndCancelsInFlightWork() {
        AtomicInteger subscribed = new AtomicInteger();
        AtomicInteger cancelled = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        Program program = inputs -> {
            int i = indexOf(inputs);
            Mono<Prediction> call = i < 3
                    ? Mono.delay(Duration.ofMillis(10 * (i + 1))).then(Mono.error(new IllegalStateException("bad " + i)))
                    : Mono.delay(Duration.ofHours(1)).map(t -> Prediction.of(Map.of("answer", "a" + i)));
            return call.doOnSubscribe(s -> subscribed.incrementAndGet())
                    .doOnCancel(cancelled::incrementAndGet)
                    .doOnTerminate(finished::incrementAndGet);
        };
        Evaluate evaluate = Evaluate.builder().devset(devset(50)).metric(EXACT).concurrency(8).maxErrors(3).build();

        StepVerifier.withVirtualTime(() -> evaluate.run(program))
                .thenAwait(Duration.ofSeconds(1))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(EvaluationException.class)
                            .hasMessageContaining("3 of 3 finished examples failed")
                            .hasMessageContaining("maxErrors=3")
                            .hasMessageContaining("50 examples")
                            .hasMessageContaining("First error, example 0: IllegalStateException: bad 0")
                            .hasMessageContaining("Last error, example 2: IllegalStateException: bad 2")
                            .hasCauseInstanceOf(IllegalStateException.class);
                    EvaluationException ee = (EvaluationException) e;
                    assertThat(ee.errorCount()).isEqualTo(3);
                    assertThat(ee.finishedCount()).isEqualTo(3);
                    assertThat(ee.failedRows()).extracting(EvaluationRow::index).containsExactly(0, 1, 2);
                })
                .verify(Duration.ofSeconds(5));
        // Every example that started and did not finish was cancelled: nothing keeps running.
        assertThat(finished.get()).isEqualTo(3);
        assertThat(subscribed.get()).isGreaterThanOrEqualTo(8);
        assertThat(cancelled.get()).isEqualTo(subscribed.get() - finished.get());
    }

    @Test
    void failuresBelowMaxErrorsDoNotStopTheRun() {
        Program program = inputs -> indexOf(inputs) < 2 ? Mono.error(new IllegalStateException("x"))
                : Mono.just(Prediction.of(Map.of("answer", "a" + indexOf(inputs))));
        EvaluationResult result = Evaluate.builder().devset(devset(10)).metric(EXACT).maxErrors(3).build()
                .run(program).block();
        assertThat(result.errorCount()).isEqualTo(2);
        assertThat(result.score()).isEqualTo(80.0);
    }

    @Test
    void cancellingTheRunCancelsInFlightExamples() {
        AtomicInteger cancelled = new AtomicInteger();
        Program slow = inputs -> Mono.delay(Duration.ofHours(1)).map(t -> Prediction.of(Map.of("answer", "x")))
                .doOnCancel(cancelled::incrementAndGet);
        Evaluate evaluate = Evaluate.builder().devset(devset(10)).metric(EXACT).concurrency(4).build();
        VirtualTimeScheduler.getOrSet();
        try {
            Disposable d = evaluate.run(slow).subscribe();
            d.dispose();
            assertThat(cancelled.get()).isEqualTo(4);
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void concurrencyIsRespectedAndFilled() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        Program program = inputs -> Mono.defer(() -> {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            return echo(Duration.ofMillis(5)).forward(inputs);
        }).doOnTerminate(inFlight::decrementAndGet);
        Evaluate evaluate = Evaluate.builder().devset(devset(100)).metric(EXACT).concurrency(7).build();
        StepVerifier.withVirtualTime(() -> evaluate.run(program))
                .thenAwait(Duration.ofMinutes(1))
                .expectNextCount(1)
                .verifyComplete();
        assertThat(maxInFlight.get()).isEqualTo(7);
    }

    @Test
    void latencyIsMeasuredFromSubscriptionToPrediction() {
        Program program = inputs -> Mono.delay(Duration.ofMillis(100 * (indexOf(inputs) + 1)))
                .map(t -> Prediction.of(Map.of("answer", "a" + indexOf(inputs))));
        Evaluate evaluate = Evaluate.builder().devset(devset(3)).metric(EXACT).concurrency(3).build();
        StepVerifier.withVirtualTime(() -> evaluate.run(program))
                .thenAwait(Duration.ofSeconds(1))
                .assertNext(r -> assertThat(r.rows()).extracting(EvaluationRow::latency)
                        .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300)))
                .verifyComplete();
    }

    @Test
    void aMetricThatThrowsFailsThatExampleAndKeepsThePrediction() {
        Metric picky = (ex, p) -> {
            if (ex.get("question").equals("q1")) {
                throw new IllegalArgumentException("cannot score q1");
            }
            return 1;
        };
        Metric nan = (ex, p) -> ex.get("question").equals("q2") ? Double.NaN : 1;
        Program program = inputs -> Mono.just(Prediction.of(Map.of("answer", "x")));
        EvaluationResult r = Evaluate.builder().devset(devset(3)).metric(picky.and(nan)).build().run(program).block();
        assertThat(r.rows().get(0).failed()).isFalse();
        assertThat(r.rows().get(1).error()).hasValueSatisfying(e -> assertThat(e).hasMessage("cannot score q1"));
        assertThat(r.rows().get(1).prediction()).isPresent();
        assertThat(r.rows().get(2).error()).hasValueSatisfying(e ->
                assertThat(e).hasMessageContaining("metric returned NaN for example 2"));
        assertThat(r.score()).isEqualTo(33.33);
    }

    @Test
    void aBlockingMetricFailsOnAReactorThreadButRunsOnBoundedElasticWhenAskedTo() {
        Metric blocking = (ex, p) -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 1;
        };
        // Mono.delay delivers the prediction on a parallel (non-blocking) thread, where BlockHound objects.
        Program program = inputs -> Mono.delay(Duration.ofMillis(1)).map(t -> Prediction.of(Map.of("answer", "x")));
        EvaluationResult onReactor = Evaluate.builder().devset(devset(2)).metric(blocking).build()
                .run(program).block(Duration.ofSeconds(10));
        assertThat(onReactor.rows()).allSatisfy(row -> assertThat(row.error())
                .hasValueSatisfying(e -> assertThat(e).isInstanceOf(BlockingOperationError.class)));

        EvaluationResult onElastic = Evaluate.builder().devset(devset(2)).metric(blocking)
                .metricScheduler(Schedulers.boundedElastic()).build().run(program).block(Duration.ofSeconds(10));
        assertThat(onElastic.errorCount()).isZero();
        assertThat(onElastic.score()).isEqualTo(100.0);
    }

    @Test
    void asyncMetricsAreSubscribedAndTheirFailuresCounted() {
        AsyncMetric judge = (ex, p) -> switch ((String) ex.get("question")) {
            case "q0" -> Mono.delay(Duration.ofSeconds(2)).thenReturn(1.0);
            case "q1" -> Mono.error(new IllegalStateException("judge down"));
            case "q2" -> Mono.empty();
            default -> Mono.just(0.5);
        };
        Program program = inputs -> Mono.just(Prediction.of(Map.of("answer", "x")));
        Evaluate evaluate = Evaluate.builder().devset(devset(4)).asyncMetric(judge).build();
        StepVerifier.withVirtualTime(() -> evaluate.run(program))
                .thenAwait(Duration.ofSeconds(3))
                .assertNext(r -> {
                    assertThat(r.rows()).extracting(EvaluationRow::score).containsExactly(1.0, 0.0, 0.0, 0.5);
                    assertThat(r.rows().get(1).error()).hasValueSatisfying(e -> assertThat(e).hasMessage("judge down"));
                    assertThat(r.rows().get(2).error()).hasValueSatisfying(e ->
                            assertThat(e).hasMessageContaining("no score for example 2"));
                    assertThat(r.score()).isEqualTo(37.5);
                    assertThat(r.metricName()).isEqualTo("metric");
                })
                .verifyComplete();
    }

    @Test
    void theProgressListenerHearsEveryExample() {
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        Program program = inputs -> indexOf(inputs) == 1 ? Mono.error(new IllegalStateException("x"))
                : Mono.just(Prediction.of(Map.of("answer", indexOf(inputs) == 2 ? "wrong" : "a" + indexOf(inputs))));
        Evaluate.builder().devset(devset(4)).metric(EXACT).concurrency(1)
                .progressListener((done, total, errors, score) ->
                        calls.add(done + "/" + total + " e" + errors + " " + score))
                .build().run(program).block();
        assertThat(calls).containsExactly("1/4 e0 100.0", "2/4 e1 50.0", "3/4 e1 33.333333333333336",
                "4/4 e1 50.0");
    }

    @Test
    void aThrowingListenerDoesNotStopTheEvaluation() {
        Program program = inputs -> Mono.just(Prediction.of(Map.of("answer", "a" + indexOf(inputs))));
        EvaluationResult r = Evaluate.builder().devset(devset(3)).metric(EXACT)
                .progressListener((d, t, e, s) -> {
                    throw new IllegalStateException("listener bug");
                })
                .build().run(program).block();
        assertThat(r.score()).isEqualTo(100.0);
    }

    @Test
    void eachSubscriptionIsAnIndependentRun() {
        AtomicInteger calls = new AtomicInteger();
        Program program = inputs -> Mono.fromCallable(() -> {
            calls.incrementAndGet();
            return Prediction.of(Map.of("answer", "a" + indexOf(inputs)));
        });
        Mono<EvaluationResult> run = Evaluate.builder().devset(devset(5)).metric(EXACT).build().run(program);
        assertThat(calls.get()).isZero();
        run.block();
        run.block();
        assertThat(calls.get()).isEqualTo(10);
    }

    @Test
    void costIsPricedWhenAPriceIsGiven() {
        Program program = inputs -> Mono.just(Prediction.of(Map.of("answer", "x")).withUsage(Usage.of(1000, 500)));
        EvaluationResult priced = Evaluate.builder().devset(devset(4)).metric(EXACT)
                .price(new Price(1.0, 4.0)).build().run(program).block();
        // 4000 prompt tokens at $1/M + 2000 completion tokens at $4/M.
        assertThat(priced.cost()).hasValue(0.004 + 0.008);
        EvaluationResult unpriced = Evaluate.builder().devset(devset(1)).metric(EXACT).build().run(program).block();
        assertThat(unpriced.cost()).isEmpty();
    }

    @Test
    void costPricesEachModelsUsageAtItsPrice() {
        // Even examples use two models, odd ones only the small one.
        Program program = inputs -> Mono.just(Prediction.of(Map.of("answer", "x")).withUsageByModel(
                indexOf(inputs) % 2 == 0
                        ? Map.of("small", Usage.of(1000, 100), "large", Usage.of(2000, 200))
                        : Map.of("small", Usage.of(1000, 100))));
        Evaluate.Builder b = Evaluate.builder().devset(devset(4)).metric(EXACT);
        EvaluationResult r = b.price("small", new Price(1.0, 2.0)).price("large", new Price(10.0, 20.0)).build()
                .run(program).block();
        assertThat(r.usageByModel()).containsOnly(Map.entry("small", Usage.of(4000, 400)),
                Map.entry("large", Usage.of(4000, 400)));
        assertThat(r.totalUsage()).isEqualTo(Usage.of(8000, 800));
        // small: 4000 * 1 + 400 * 2 per million; large: 4000 * 10 + 400 * 20 per million.
        assertThat(r.cost().getAsDouble()).isCloseTo((4000 + 800 + 40000 + 8000) / 1e6,
                org.assertj.core.data.Offset.offset(1e-12));

        EvaluationResult onlySmall = Evaluate.builder().devset(devset(4)).metric(EXACT)
                .price("small", new Price(1.0, 2.0)).build().run(program).block();
        assertThat(onlySmall.cost()).as("the large model's tokens have no price").isEmpty();
        EvaluationResult fallback = Evaluate.builder().devset(devset(4)).metric(EXACT)
                .price("small", new Price(1.0, 2.0)).price(new Price(10.0, 20.0)).build().run(program).block();
        assertThat(fallback.cost()).hasValue(r.cost().getAsDouble());
        assertThatThrownBy(() -> Evaluate.builder().price(" ", new Price(1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model name");
    }

    @Test
    void builderRejectsBadInputClearly() {
        assertThatThrownBy(() -> Evaluate.builder().metric(EXACT).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("devset");
        assertThatThrownBy(() -> Evaluate.builder().devset(List.of()).metric(EXACT).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("non-empty devset");
        assertThatThrownBy(() -> Evaluate.builder().devset(devset(1)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a metric");
        assertThatThrownBy(() -> Evaluate.builder().devset(devset(1)).metric(EXACT)
                .asyncMetric(AsyncMetric.of(EXACT)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not both");
        assertThatThrownBy(() -> Evaluate.builder().devset(List.of(Example.of(Map.of("q", "x")))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("devset[0] has no input keys");
        assertThatThrownBy(() -> Evaluate.builder().concurrency(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("concurrency");
        assertThatThrownBy(() -> Evaluate.builder().maxErrors(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxErrors");
        assertThatThrownBy(() -> Evaluate.builder().failureScore(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failureScore");
        assertThatThrownBy(() -> Evaluate.builder().devset(devset(1)).metric(EXACT).build().run(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("program");
    }
}

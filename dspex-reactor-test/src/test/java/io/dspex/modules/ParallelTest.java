package io.dspex.modules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.BatchResult;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.predict.Parallel;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.test.ScriptedLm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** Parallel: pair order, recorded failures, maxErrors, bounded concurrency; DSPy's dspy.Parallel semantics. */
class ParallelTest {

    /** Echoes its input "x" after a delay that scrambles completion order; fails for x = "fail". */
    static Program echo(AtomicInteger inFlight, AtomicInteger maxInFlight, AtomicInteger cancelled) {
        return in -> Mono.defer(() -> {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            String x = (String) in.get("x");
            long delay = (Math.abs(x.hashCode()) % 7) + 1;
            return Mono.delay(Duration.ofMillis(delay * 10))
                    .then(x.startsWith("fail") ? Mono.<Prediction>error(new IllegalStateException("failed on " + x))
                            : Mono.just(Prediction.of(Map.of("y", x))));
        }).doOnCancel(cancelled::incrementAndGet).doOnTerminate(inFlight::decrementAndGet);
    }

    static List<Parallel.Pair> pairs(Program program, List<String> xs) {
        List<Parallel.Pair> out = new ArrayList<>();
        xs.forEach(x -> out.add(Parallel.pair(program, Map.of("x", x))));
        return out;
    }

    @Test
    void resultsComeInPairOrderWithEveryFailureRecordedAndConcurrencyBounded() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        Program echo = echo(inFlight, max, new AtomicInteger());
        List<String> xs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            xs.add(i % 10 == 3 ? "fail-" + i : "x" + i);
        }
        Parallel parallel = Parallel.builder().concurrency(4).maxErrors(Parallel.UNLIMITED_ERRORS).build();
        List<BatchResult> results = parallel.run(pairs(echo, xs)).block(Duration.ofSeconds(30));

        assertThat(results).hasSize(30);
        for (int i = 0; i < 30; i++) {
            BatchResult r = results.get(i);
            assertThat(r.index()).isEqualTo(i);
            assertThat(r.input().get("x")).isEqualTo(xs.get(i));
            if (i % 10 == 3) {
                assertThat(r.isSuccess()).isFalse();
                assertThat(r.error()).hasMessage("failed on fail-" + i);
            } else {
                assertThat(r.prediction().get("y")).isEqualTo(xs.get(i));
            }
        }
        assertThat(max.get()).isBetween(1, 4);
    }

    @Test
    void reachingMaxErrorsCancelsThePairsInFlightAndKeepsWhatFinished() throws InterruptedException {
        // The error may reach the caller before the cancellations run on the failing pair's thread: wait for them.
        CountDownLatch cancelled = new CountDownLatch(2);
        // The failing pairs fail only once both slow pairs are in flight (slow-4 takes ok-0's slot): so the run
        // always has two pairs to cancel, however the threads are scheduled.
        AtomicInteger slowStarted = new AtomicInteger();
        Sinks.Empty<Void> bothSlowStarted = Sinks.empty();
        Program fail = in -> bothSlowStarted.asMono().then(Mono.delay(Duration.ofMillis(5)))
                .then(Mono.<Prediction>error(new IllegalStateException("failed on " + in.get("x"))));
        Program slow = in -> Mono.<Prediction>never()
                .doOnSubscribe(s -> {
                    if (slowStarted.incrementAndGet() == 2) {
                        bothSlowStarted.tryEmitEmpty();
                    }
                })
                .doOnCancel(cancelled::countDown);
        List<Parallel.Pair> pairs = new ArrayList<>();
        pairs.add(Parallel.pair(in -> Mono.just(Prediction.of(Map.of("y", "now"))), Map.of("x", "ok-0")));
        pairs.add(Parallel.pair(slow, Map.of("x", "slow-1")));
        pairs.add(Parallel.pair(fail, Map.of("x", "fail-2")));
        pairs.add(Parallel.pair(fail, Map.of("x", "fail-3")));
        pairs.add(Parallel.pair(slow, Map.of("x", "slow-4")));
        Parallel parallel = Parallel.builder().concurrency(4).maxErrors(2).build();

        assertThatThrownBy(() -> parallel.run(pairs).block(Duration.ofSeconds(10)))
                .isInstanceOfSatisfying(Parallel.MaxErrorsException.class, e -> {
                    assertThat(e.failures()).extracting(BatchResult::index).containsExactlyInAnyOrder(2, 3);
                    assertThat(e.finished()).extracting(BatchResult::index).containsExactly(0, 2, 3);
                    assertThat(e.getCause()).hasMessageStartingWith("failed on fail-");
                    assertThat(e).hasMessageContaining("reaching maxErrors=2");
                });
        assertThat(cancelled.await(10, TimeUnit.SECONDS)).as("both slow pairs were cancelled").isTrue();
    }

    @Test
    void differentProgramsOnDifferentInputsAndProgramsThatMisbehaveAreRecorded() {
        ScriptedLm lm = ScriptedLm.create()
                .when(r -> ScriptedLm.lastUserMessage(r).contains("[[ ## text ## ]]"),
                        "[[ ## summary ## ]]\nshort\n\n[[ ## completed ## ]]")
                .reply("[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]");
        Program throwing = in -> {
            throw new IllegalArgumentException("thrown, not signalled");
        };
        Program nullMono = in -> null;
        Program empty = in -> Mono.empty();
        List<Parallel.Pair> pairs = List.of(
                Parallel.pair(Predict.of("text -> summary"), Map.of("text", "a long text")),
                Parallel.pair(Predict.of("question -> answer"), Example.of(Map.of("question", "2+2?", "answer", "4"))
                        .withInputs("question")),
                Parallel.pair(throwing, Map.of()),
                Parallel.pair(nullMono, Map.of()),
                Parallel.pair(empty, Map.of()));
        List<BatchResult> results = Parallel.builder().build().run(pairs)
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();
        assertThat(results.get(0).prediction().get("summary")).isEqualTo("short");
        assertThat(results.get(1).prediction().get("answer")).isEqualTo("4");
        assertThat(results.get(2).error()).hasMessage("thrown, not signalled");
        assertThat(results.get(3).error()).hasMessageContaining("returned null");
        assertThat(results.get(4).error()).hasMessageContaining("pair 4 completed without a prediction");
    }

    @Test
    void nothingRunsBeforeSubscriptionAndBadArgumentsAreNamed() {
        AtomicInteger calls = new AtomicInteger();
        Program counted = in -> Mono.fromCallable(() -> {
            calls.incrementAndGet();
            return Prediction.of(Map.of("y", "1"));
        });
        Mono<List<BatchResult>> run = Parallel.builder().build().run(List.of(Parallel.pair(counted, Map.of())));
        assertThat(calls.get()).isZero();
        run.block();
        run.block();
        assertThat(calls.get()).isEqualTo(2);

        assertThatThrownBy(() -> Parallel.builder().concurrency(0)).hasMessageContaining("concurrency");
        assertThatThrownBy(() -> Parallel.builder().maxErrors(0)).hasMessageContaining("maxErrors");
        List<Parallel.Pair> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> Parallel.builder().build().run(withNull)).hasMessageContaining("pairs[0]");
        assertThatThrownBy(() -> Parallel.pair(null, Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThat(Parallel.builder().build().run(List.of()).block()).isEmpty();
    }
}

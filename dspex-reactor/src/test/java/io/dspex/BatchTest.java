package io.dspex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class BatchTest {

    /** Echoes the input after a delay that makes later inputs finish first; input 3 fails. */
    private static final Program SCRAMBLED = ex -> {
        int i = (Integer) ex.get("i");
        if (i == 3) {
            return Mono.error(new IllegalStateException("boom 3"));
        }
        return Mono.delay(Duration.ofMillis(100 - i * 10L)).thenReturn(Prediction.of(Map.of("out", i * 2)));
    };

    private static List<Map<String, Object>> inputs(int n) {
        List<Map<String, Object>> l = new ArrayList<>();
        IntStream.range(0, n).forEach(i -> l.add(Map.of("i", i)));
        return l;
    }

    @Test
    void orderedBatchKeepsInputOrderAndRecordsErrors() {
        StepVerifier.withVirtualTime(() -> SCRAMBLED.batch(inputs(8), 8).map(r -> r.index() + ":" + (r.isSuccess()
                        ? r.prediction().get("out") : r.error().getMessage())))
                .thenAwait(Duration.ofSeconds(1))
                .expectNext("0:0", "1:2", "2:4", "3:boom 3", "4:8", "5:10", "6:12", "7:14")
                .verifyComplete();
    }

    @Test
    void unorderedBatchEmitsAsRunsComplete() {
        StepVerifier.withVirtualTime(() -> SCRAMBLED.batch(Flux.fromIterable(inputs(3)), 3, false)
                        .map(BatchResult::index))
                .thenAwait(Duration.ofSeconds(1))
                .expectNext(2, 1, 0)
                .verifyComplete();
    }

    @Test
    void concurrencyIsBounded() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        Program p = ex -> Mono.defer(() -> {
            peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            return Mono.delay(Duration.ofMillis(10)).map(t -> {
                inFlight.decrementAndGet();
                return Prediction.of(Map.of("ok", true));
            });
        });
        StepVerifier.withVirtualTime(() -> p.batch(inputs(50), 4))
                .thenAwait(Duration.ofSeconds(5))
                .expectNextCount(50)
                .verifyComplete();
        assertThat(peak.get()).isEqualTo(4);
    }

    @Test
    void invalidInputsAreRecordedNotLost() {
        List<Object> in = Arrays.asList(Map.of("i", 0), null, "text", Map.of("i", 1));
        Program ok = ex -> Mono.just(Prediction.of(Map.of("x", 1)));
        List<BatchResult> out = ok.batch(in, 2).collectList().block();
        assertThat(out).extracting(BatchResult::index).containsExactly(0, 1, 2, 3);
        assertThat(out.get(1).error()).hasMessageContaining("batch input 1").hasMessageContaining("null");
        assertThat(out.get(2).error()).hasMessageContaining("java.lang.String");
        assertThat(out.get(3).isSuccess()).isTrue();
    }

    @Test
    void programThrowingOrCompletingEmptyIsRecorded() {
        Program thrower = ex -> {
            throw new IllegalArgumentException("bad input");
        };
        Program empty = ex -> Mono.empty();
        assertThat(thrower.batch(inputs(2), 2).map(r -> r.error().getMessage()).collectList().block())
                .containsExactly("bad input", "bad input");
        assertThat(empty.batch(inputs(1), 1).blockFirst().error()).hasMessageContaining("without a prediction");
    }

    @Test
    void cancellingTheBatchCancelsRunsInFlight() {
        AtomicInteger cancelled = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        Program slow = ex -> Mono.never().cast(Prediction.class)
                .doOnSubscribe(s -> started.incrementAndGet())
                .doOnCancel(cancelled::incrementAndGet);
        slow.batch(inputs(100), 10).subscribe().dispose();
        assertThat(started.get()).isEqualTo(10);
        assertThat(cancelled.get()).isEqualTo(10);
    }

    @Test
    void rejectsBadArguments() {
        Program p = ex -> Mono.empty();
        assertThatThrownBy(() -> p.batch((Iterable<?>) null, 1)).hasMessageContaining("must not be null");
        assertThatThrownBy(() -> p.batch(List.of(), 0)).hasMessageContaining("at least 1, got 0");
        assertThatThrownBy(() -> new BatchResult(0, null, null, null)).hasMessageContaining("exactly one");
    }

    @Test
    void orElseThrowWrapsTheError() {
        BatchResult r = new BatchResult(4, null, null, new IllegalStateException("x"));
        assertThatThrownBy(r::orElseThrow).isInstanceOf(BatchResult.BatchException.class)
                .hasMessageContaining("batch input 4").hasCauseInstanceOf(IllegalStateException.class);
    }
}

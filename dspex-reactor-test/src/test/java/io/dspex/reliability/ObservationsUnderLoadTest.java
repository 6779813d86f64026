package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Usage;
import io.dspex.observe.Callback;
import io.dspex.observe.Instrumentation;
import io.dspex.observe.LmMeterObservationHandler;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;

/**
 * 10,000 forwards in flight at once with callbacks and observations on (BlockHound watching every thread they run
 * on): every call's callbacks pair up, every observation stops, and what stays behind is bounded: the meters are
 * the same set after 10,000 calls as after 100 (no meter per call), and no long task timer keeps a task. How much
 * memory the calls in flight take is measured in benchmarks/ ({@code dspex-predict-observed} in
 * {@code latency-1s-10k}).
 */
@Timeout(120)
class ObservationsUnderLoadTest {

    private static final String REPLY = "[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]";

    /** Counts starts and ends of module and LM calls. */
    static final class Counting implements Callback {
        final AtomicLong moduleStarts = new AtomicLong();
        final AtomicLong moduleEnds = new AtomicLong();
        final AtomicLong lmStarts = new AtomicLong();
        final AtomicLong lmEnds = new AtomicLong();
        final AtomicLong inFlight = new AtomicLong();
        final AtomicLong peak = new AtomicLong();

        @Override
        public void onModuleStart(String callId, Program module, Example inputs) {
            moduleStarts.incrementAndGet();
            peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        }

        @Override
        public void onModuleEnd(String callId, @Nullable Prediction outputs, @Nullable Throwable error) {
            inFlight.decrementAndGet();
            moduleEnds.incrementAndGet();
        }

        @Override
        public void onLmStart(String callId, LanguageModel lm, LmRequest request) {
            lmStarts.incrementAndGet();
        }

        @Override
        public void onLmEnd(String callId, @Nullable LmResponse response, @Nullable Throwable error) {
            lmEnds.incrementAndGet();
        }
    }

    /** Answers every call once its gate opens: the test opens it when all calls are in flight. */
    static final class GatedLm implements LanguageModel {
        volatile Sinks.Empty<Void> gate = Sinks.empty();

        @Override
        public Mono<LmResponse> call(LmRequest request) {
            Sinks.Empty<Void> g = gate;
            return g.asMono().then(Mono.fromSupplier(() -> LmResponse.of(java.util.List.of(REPLY),
                    Usage.of(20, 3))));
        }

        void open() {
            gate.tryEmitEmpty();
        }
    }

    @Test
    void tenThousandObservedForwardsInFlightLeaveNothingBehind() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters))
                .observationHandler(new LmMeterObservationHandler(meters));
        Counting counting = new Counting();
        Function<Context, Context> settings = Settings.empty().withObservationRegistry(observations)
                .withCallbacks(java.util.List.of(counting)).asContext();
        GatedLm lm = new GatedLm();
        Predict qa = Predict.of("question -> answer").withLm(lm);

        lm.open();
        Flux.range(0, 100).flatMap(i -> qa.forward(Map.of("question", "warm-" + i)), 100).contextWrite(settings)
                .blockLast(Duration.ofSeconds(30));
        int metersAfterWarmUp = meters.getMeters().size();

        lm.gate = Sinks.empty();
        Mono<Long> run = Flux.range(0, 10_000).flatMap(i -> qa.forward(Map.of("question", "q-" + i)), 10_000)
                .contextWrite(settings).count().cache();
        run.subscribe();
        assertThat(Rel.await(() -> counting.lmStarts.get() == 10_100, Duration.ofSeconds(60)))
                .as("all 10,000 LM calls started, %d so far", counting.lmStarts.get()).isTrue();
        assertThat(meters.get(Instrumentation.LM_OBSERVATION + ".active").longTaskTimer().activeTasks())
                .as("observations in flight").isEqualTo(10_000);
        lm.open();
        long count = run.block(Duration.ofSeconds(60));

        assertThat(count).isEqualTo(10_000);
        assertThat(counting.peak.get()).as("calls in flight at once").isEqualTo(10_000);
        assertThat(counting.moduleStarts.get()).isEqualTo(10_100).isEqualTo(counting.moduleEnds.get());
        assertThat(counting.lmStarts.get()).isEqualTo(10_100).isEqualTo(counting.lmEnds.get());
        assertThat(meters.getMeters()).as("no meter per call").hasSize(metersAfterWarmUp);
        assertThat(meters.get(Instrumentation.LM_OBSERVATION + ".active").longTaskTimer().activeTasks()).isZero();
        assertThat(meters.get(Instrumentation.MODULE_OBSERVATION + ".active").longTaskTimer().activeTasks()).isZero();
        assertThat(meters.get(LmMeterObservationHandler.OPERATION_DURATION).timer().count()).isEqualTo(10_100);
    }
}

package io.dspex.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.lm.CallConfig;
import io.dspex.lm.LmCache;
import io.dspex.lm.LmException;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Usage;
import io.dspex.observe.Fixtures.SeqLm;
import io.dspex.observe.Fixtures.TwoStep;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class LmMeterObservationHandlerTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ObservationRegistry observations = ObservationRegistry.create();

    LmMeterObservationHandlerTest() {
        observations.observationConfig().observationHandler(new LmMeterObservationHandler(meters));
    }

    private Settings settings() {
        return Settings.empty().withObservationRegistry(observations);
    }

    private DistributionSummary tokens(String type) {
        return meters.get(LmMeterObservationHandler.TOKEN_USAGE).tag("gen_ai.token.type", type).summary();
    }

    @Test
    void tokenUsageIsWhatTheModelReportedPerCallAndType() {
        for (int i = 0; i < 3; i++) {
            new TwoStep(new SeqLm(Fixtures.REPLY)).forward(Map.of("question", "q"))
                    .contextWrite(settings().asContext()).block(Duration.ofSeconds(10));
        }
        DistributionSummary input = tokens("input");
        DistributionSummary output = tokens("output");
        assertThat(input.count()).isEqualTo(6);
        assertThat(input.totalAmount()).isEqualTo(6 * 11.0);
        assertThat(output.totalAmount()).isEqualTo(6 * 7.0);
        assertThat(input.getId().getBaseUnit()).isEqualTo("tokens");
        assertThat(input.getId().getTag("gen_ai.operation.name")).isEqualTo("chat");
        assertThat(input.getId().getTag("gen_ai.provider.name")).isEqualTo("openai");
        assertThat(input.getId().getTag("gen_ai.request.model")).isEqualTo("test-model");
        assertThat(input.getId().getTag("gen_ai.response.model")).isEqualTo("test-model-2025");

        Timer duration = meters.get(LmMeterObservationHandler.OPERATION_DURATION).timer();
        assertThat(duration.count()).isEqualTo(6);
        assertThat(duration.getId().getTag("error.type")).isNull();
        assertThat(duration.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    }

    @Test
    void aFailedCallHasAnErrorTypeAndNoTokenUsage() {
        StepVerifier.create(Predict.of("question -> answer").withLm(new SeqLm(new LmException.BadRequest("bad")))
                        .forward(Map.of("question", "q")).contextWrite(settings().asContext()))
                .expectError(LmException.BadRequest.class).verify(Duration.ofSeconds(10));

        assertThat(meters.find(LmMeterObservationHandler.TOKEN_USAGE).meters()).isEmpty();
        Timer failed = meters.get(LmMeterObservationHandler.OPERATION_DURATION)
                .tag("error.type", LmException.BadRequest.class.getName()).timer();
        assertThat(failed.count()).isEqualTo(1);
    }

    @Test
    void aCancelledCallIsTimedAsCancelled() {
        Sinks.One<LmResponse> never = Sinks.one();
        Predict.of("question -> answer").withLm(new SeqLm(never.asMono())).forward(Map.of("question", "q"))
                .contextWrite(settings().asContext()).subscribe().dispose();

        assertThat(meters.get(LmMeterObservationHandler.OPERATION_DURATION).tag("error.type", "cancelled").timer()
                .count()).isEqualTo(1);
    }

    @Test
    void aCacheHitReportsNoTokens() {
        Predict qa = Predict.of("question -> answer").withLm(LmCache.inMemory(10).wrap(new SeqLm(Fixtures.REPLY)));
        for (int i = 0; i < 2; i++) {
            qa.forward(Map.of("question", "same")).contextWrite(settings().asContext()).block(Duration.ofSeconds(10));
        }
        assertThat(tokens("input").count()).as("the second call was a hit").isEqualTo(1);
        assertThat(meters.get(LmMeterObservationHandler.OPERATION_DURATION).timer().count()).isEqualTo(2);
    }

    @Test
    void manyCallsMakeABoundedSetOfMeters() {
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        for (int i = 0; i < 200; i++) {
            new TwoStep(new SeqLm(Fixtures.REPLY)).forward(Map.of("question", "q" + i))
                    .contextWrite(settings().asContext()).block(Duration.ofSeconds(10));
        }
        List<Meter> after200 = meters.getMeters();
        for (int i = 0; i < 200; i++) {
            new TwoStep(new SeqLm(Fixtures.REPLY)).forward(Map.of("question", "r" + i))
                    .contextWrite(settings().asContext()).block(Duration.ofSeconds(10));
        }
        assertThat(meters.getMeters()).as("no meter per call: high-cardinality values stay out of meters")
                .hasSameSizeAs(after200);
        assertThat(meters.get("dspex.module").tag("dspex.module", "Predict").timer().count()).isEqualTo(800);
        assertThat(meters.get("dspex.module.active").longTaskTimer().activeTasks()).isZero();
    }

    @Test
    void eachAttemptOfARetriedCallIsTimedAndOnlyTheAnswerCountsTokens() {
        Predict.of("question -> answer").withLm(new SeqLm(new LmException.InternalServer("again"), Fixtures.REPLY))
                .withRetry(Fixtures.FAST).forward(Map.of("question", "q")).contextWrite(settings().asContext())
                .block(Duration.ofSeconds(10));

        assertThat(meters.get(LmMeterObservationHandler.OPERATION_DURATION)
                .tag("error.type", LmException.InternalServer.class.getName()).timer().count()).isEqualTo(1);
        assertThat(meters.find(LmMeterObservationHandler.OPERATION_DURATION).timers().stream()
                .mapToLong(Timer::count).sum()).isEqualTo(2);
        assertThat(tokens("input").count()).isEqualTo(1);
        assertThat(tokens("input").getId().getTag("error.type")).isNull();
    }

    @Test
    void itsTimerRunsOnItsOwnRegistrysClockBesideMicrometersMeterHandler() {
        MockClock ours = new MockClock();
        MockClock theirs = new MockClock();
        SimpleMeterRegistry ourMeters = new SimpleMeterRegistry(SimpleConfig.DEFAULT, ours);
        ObservationRegistry both = ObservationRegistry.create();
        // Micrometer's handler after ours: it keeps its own sample under Timer.Sample.class.
        both.observationConfig().observationHandler(new LmMeterObservationHandler(ourMeters))
                .observationHandler(new DefaultMeterObservationHandler(
                        new SimpleMeterRegistry(SimpleConfig.DEFAULT, theirs)));
        Sinks.One<LmResponse> answer = Sinks.one();
        Predict.of("question -> answer").withLm(new SeqLm(answer.asMono())).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withObservationRegistry(both).asContext()).subscribe();
        ours.add(Duration.ofSeconds(5));
        theirs.add(Duration.ofSeconds(1));
        answer.tryEmitValue(new LmResponse(List.of(new LmResponse.Choice(Fixtures.REPLY, "stop")), Usage.of(1, 1),
                "m", null, null));

        assertThat(ourMeters.get(LmMeterObservationHandler.OPERATION_DURATION).timer()
                .totalTime(TimeUnit.SECONDS)).isEqualTo(5.0);
    }

    @Test
    void requestsThatTakeTurnsBetweenModelsAreCountedUnderEach() {
        Predict a = Predict.of("question -> answer").withLm(new SeqLm(Fixtures.REPLY))
                .withConfig(CallConfig.empty().withModel("model-a"));
        Predict b = Predict.of("question -> answer").withLm(new SeqLm(Fixtures.REPLY))
                .withConfig(CallConfig.empty().withModel("model-b"));
        for (int i = 0; i < 5; i++) {
            for (Predict p : List.of(a, b, b)) {
                p.forward(Map.of("question", "q")).contextWrite(settings().asContext()).block(Duration.ofSeconds(10));
            }
        }
        assertThat(meters.get(LmMeterObservationHandler.OPERATION_DURATION).tag("gen_ai.request.model", "model-a")
                .timer().count()).isEqualTo(5);
        assertThat(meters.get(LmMeterObservationHandler.OPERATION_DURATION).tag("gen_ai.request.model", "model-b")
                .timer().count()).isEqualTo(10);
        assertThat(meters.get(LmMeterObservationHandler.TOKEN_USAGE).tag("gen_ai.request.model", "model-b")
                .tag("gen_ai.token.type", "input").summary().totalAmount()).isEqualTo(10 * 11.0);
    }

    @Test
    void aNullRegistryIsRejected() {
        assertThatThrownBy(() -> new LmMeterObservationHandler(null)).isInstanceOf(IllegalArgumentException.class);
    }
}

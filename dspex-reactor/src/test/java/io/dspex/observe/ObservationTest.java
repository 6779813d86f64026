package io.dspex.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.LmException;
import io.dspex.lm.LmResponse;
import io.dspex.observe.Fixtures.SeqLm;
import io.dspex.observe.Fixtures.TwoStep;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class ObservationTest {

    private final TestObservationRegistry registry = TestObservationRegistry.create();
    private final Stopped stopped = new Stopped();

    /** Records every context when it stops, in order. */
    static final class Stopped implements ObservationHandler<Observation.Context> {
        final List<Observation.Context> contexts = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onStop(Observation.Context context) {
            contexts.add(context);
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return true;
        }

        List<Observation.Context> named(String name) {
            return contexts.stream().filter(c -> c.getName().equals(name)).toList();
        }
    }

    ObservationTest() {
        registry.observationConfig().observationHandler(stopped);
    }

    @AfterEach
    void resetGlobal() {
        Settings.configure(Settings.empty());
    }

    private Mono<Prediction> twoStep(SeqLm lm) {
        return new TwoStep(lm).forward(Map.of("question", "Capital of France?"))
                .contextWrite(Settings.empty().withObservationRegistry(registry).asContext());
    }

    private static Observation.@Nullable Context parent(Observation.Context c) {
        io.micrometer.observation.ObservationView p = c.getParentObservation();
        return p == null ? null : (Observation.Context) p.getContextView();
    }

    private static String low(Observation.Context c, String key) {
        KeyValue kv = c.getLowCardinalityKeyValue(key);
        return kv == null ? null : kv.getValue();
    }

    private static String high(Observation.Context c, String key) {
        KeyValue kv = c.getHighCardinalityKeyValue(key);
        return kv == null ? null : kv.getValue();
    }

    @Test
    void aTwoStepProgramWithARetryIsATreeOfModulesAndRequests() {
        SeqLm lm = new SeqLm(new LmException.InternalServer("try again"), Fixtures.REPLY);
        twoStep(lm).block(Duration.ofSeconds(10));

        List<Observation.Context> modules = stopped.named(Instrumentation.MODULE_OBSERVATION);
        List<Observation.Context> requests = stopped.named(Instrumentation.LM_OBSERVATION);
        assertThat(modules).hasSize(3);
        assertThat(requests).as("one per attempt").hasSize(3);
        assertThat(stopped.contexts).hasSize(6);

        Observation.Context program = modules.get(2);
        assertThat(program.getContextualName()).isEqualTo("TwoStep");
        assertThat(low(program, "dspex.module")).isEqualTo("TwoStep");
        assertThat(program.getParentObservation()).isNull();
        Observation.Context first = modules.get(0);
        Observation.Context second = modules.get(1);
        assertThat(List.of(first, second)).allSatisfy(m -> {
            assertThat(parent(m)).isSameAs(program);
            assertThat(m.getContextualName()).isEqualTo("Predict");
        });
        assertThat(high(first, "dspex.signature")).isEqualTo("question -> answer");
        assertThat(high(second, "dspex.signature")).isEqualTo("answer -> verdict");

        assertThat(parent(requests.get(0))).as("the failed attempt").isSameAs(first);
        assertThat(parent(requests.get(1))).as("its retry, a sibling").isSameAs(first);
        assertThat(parent(requests.get(2))).isSameAs(second);
        assertThat(requests.stream().map(a -> high(a, "dspex.lm.attempt"))).containsExactly("1", "2", "1");
        assertThat(requests.stream().map(a -> ((LmObservationContext) a).attempt())).containsExactly(1, 2, 1);
        assertThat(low(requests.get(0), "error.type")).isEqualTo(LmException.InternalServer.class.getName());
        assertThat(requests.get(0).getError()).isInstanceOf(LmException.InternalServer.class);
        assertThat(((LmObservationContext) requests.get(0)).response()).isNull();
        assertThat(low(requests.get(1), "error.type")).isNull();
        assertThat(high(requests.get(1), "gen_ai.usage.input_tokens")).isEqualTo("11");
    }

    @Test
    void anLmCallCarriesTheGenAiKeys() {
        twoStep(new SeqLm(Fixtures.REPLY)).block(Duration.ofSeconds(10));

        TestObservationRegistryAssert.assertThat(registry)
                .hasNumberOfObservationsWithNameEqualTo(Instrumentation.LM_OBSERVATION, 2)
                .hasObservationWithNameEqualTo(Instrumentation.LM_OBSERVATION).that()
                .hasBeenStarted().hasBeenStopped()
                .hasContextualNameEqualTo("chat test-model")
                .hasLowCardinalityKeyValue("gen_ai.operation.name", "chat")
                .hasLowCardinalityKeyValue("gen_ai.provider.name", "openai")
                .hasLowCardinalityKeyValue("gen_ai.request.model", "test-model")
                .hasLowCardinalityKeyValue("gen_ai.response.model", "test-model-2025")
                .doesNotHaveLowCardinalityKeyValueWithKey("error.type")
                .hasHighCardinalityKeyValue("gen_ai.usage.input_tokens", "11")
                .hasHighCardinalityKeyValue("gen_ai.usage.output_tokens", "7")
                .hasHighCardinalityKeyValue("gen_ai.response.finish_reasons", "stop")
                .hasHighCardinalityKeyValue("server.address", "127.0.0.1")
                .hasHighCardinalityKeyValue("server.port", "9999")
                .doesNotHaveHighCardinalityKeyValueWithKey(LmContentObservationFilter.INPUT_MESSAGES)
                .doesNotHaveHighCardinalityKeyValueWithKey(LmContentObservationFilter.OUTPUT_MESSAGES);
        LmObservationContext c = (LmObservationContext) stopped.named(Instrumentation.LM_OBSERVATION).get(0);
        assertThat(c.response().usage().totalTokens()).isEqualTo(18);
        assertThat(c.request().messages()).hasSize(2);
        assertThat(c.providerName()).isEqualTo("openai");
        assertThat(c.requestModel()).isEqualTo("test-model");
        assertThat(c.attempt()).isEqualTo(1);
    }

    @Test
    void theRequestsModelAndParametersWinOverTheClientsDefault() {
        Predict.of("question -> answer").withLm(new SeqLm(Fixtures.REPLY))
                .withConfig(io.dspex.lm.CallConfig.empty().withModel("other").withTemperature(0.5).withMaxTokens(64)
                        .withSeed(7L))
                .forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withObservationRegistry(registry).asContext())
                .block(Duration.ofSeconds(10));

        TestObservationRegistryAssert.assertThat(registry)
                .hasObservationWithNameEqualTo(Instrumentation.LM_OBSERVATION).that()
                .hasContextualNameEqualTo("chat other")
                .hasLowCardinalityKeyValue("gen_ai.request.model", "other")
                .hasHighCardinalityKeyValue("gen_ai.request.temperature", "0.5")
                .hasHighCardinalityKeyValue("gen_ai.request.max_tokens", "64")
                .hasHighCardinalityKeyValue("gen_ai.request.seed", "7");
    }

    @Test
    void aFailedCallMarksEveryObservationWithTheErrorType() {
        StepVerifier.create(twoStep(new SeqLm(new LmException.BadRequest("bad"))))
                .expectError(LmException.BadRequest.class).verify(Duration.ofSeconds(10));

        String type = LmException.BadRequest.class.getName();
        assertThat(stopped.contexts).hasSize(3).allSatisfy(c -> {
            assertThat(low(c, "error.type")).isEqualTo(type);
            assertThat(c.getError()).isInstanceOf(LmException.BadRequest.class);
        });
    }

    @Test
    void aCancelledCallStopsEveryObservationMarkedCancelled() {
        Sinks.One<LmResponse> never = Sinks.one();
        Disposable run = twoStep(new SeqLm(never.asMono())).subscribe();
        assertThat(stopped.contexts).isEmpty();
        run.dispose();

        assertThat(stopped.contexts).hasSize(3).allSatisfy(c -> {
            assertThat(low(c, "error.type")).isEqualTo("cancelled");
            assertThat(c.getError()).isNull();
        });
        assertThat(stopped.contexts.stream().map(Observation.Context::getName)).as("children stop first")
                .containsExactly(Instrumentation.LM_OBSERVATION, Instrumentation.MODULE_OBSERVATION,
                        Instrumentation.MODULE_OBSERVATION);
    }

    @Test
    void theCallersObservationInTheContextIsTheParent() {
        Observation caller = Observation.start("caller", registry);
        twoStep(new SeqLm(Fixtures.REPLY)).contextWrite(c -> c.put("micrometer.observation", caller))
                .block(Duration.ofSeconds(10));
        caller.stop();

        Observation.Context program = stopped.named(Instrumentation.MODULE_OBSERVATION).get(2);
        assertThat(parent(program)).isSameAs(caller.getContext());
        assertThat(Observed.OBSERVATION_KEY).isEqualTo("micrometer.observation");
    }

    @Test
    void theThreadsCurrentObservationIsTheParentOtherwise() {
        Observation caller = Observation.start("caller", registry);
        try (Observation.Scope scope = caller.openScope()) {
            twoStep(new SeqLm(Fixtures.REPLY)).block(Duration.ofSeconds(10));
        }
        caller.stop();

        assertThat(parent(stopped.named(Instrumentation.MODULE_OBSERVATION).get(2))).isSameAs(caller.getContext());
    }

    @Test
    void aGlobalRegistryObservesEveryRun() {
        Settings.configure(Settings.empty().withObservationRegistry(registry));
        new TwoStep(new SeqLm(Fixtures.REPLY)).forward(Map.of("question", "q")).block(Duration.ofSeconds(10));
        assertThat(stopped.contexts).hasSize(5);

        new TwoStep(new SeqLm(Fixtures.REPLY)).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withObservationRegistry(ObservationRegistry.NOOP).asContext())
                .block(Duration.ofSeconds(10));
        assertThat(stopped.contexts).as("the no-op registry switches them off for a run").hasSize(5);
    }

    @Test
    void aPredicateCanSwitchModuleObservationsOffAndRequestsNestInTheCallersObservation() {
        registry.observationConfig().observationPredicate((name, context) ->
                !name.equals(Instrumentation.MODULE_OBSERVATION));
        Observation caller = Observation.start("caller", registry);
        twoStep(new SeqLm(Fixtures.REPLY)).contextWrite(c -> c.put("micrometer.observation", caller))
                .block(Duration.ofSeconds(10));
        caller.stop();

        assertThat(stopped.named(Instrumentation.MODULE_OBSERVATION)).isEmpty();
        List<Observation.Context> requests = stopped.named(Instrumentation.LM_OBSERVATION);
        assertThat(requests).hasSize(2).allSatisfy(r -> assertThat(parent(r)).isSameAs(caller.getContext()));
    }

    @Test
    void anEvaluationIsTheParentOfItsProgramsCalls() {
        List<Example> devset = List.of(Example.of(Map.of("question", "a", "verdict", "ok")).withInputs("question"));
        Evaluate.builder().devset(devset).metric(Metrics.exactMatch("verdict")).build()
                .run(new TwoStep(new SeqLm(Fixtures.REPLY)))
                .contextWrite(Settings.empty().withObservationRegistry(registry).asContext())
                .block(Duration.ofSeconds(10));

        Observation.Context evaluation = stopped.named(Instrumentation.EVALUATE_OBSERVATION).get(0);
        assertThat(low(evaluation, "dspex.module")).isEqualTo("TwoStep");
        assertThat(high(evaluation, "dspex.devset.size")).isEqualTo("1");
        assertThat(parent(stopped.named(Instrumentation.MODULE_OBSERVATION).get(2))).isSameAs(evaluation);
    }

    @Test
    void aToolCallIsAnExecuteToolObservation() {
        Instrumentation.tool("get_weather", Map.of("city", "Paris"), Mono.just("18 °C"))
                .contextWrite(Settings.empty().withObservationRegistry(registry).asContext())
                .block(Duration.ofSeconds(10));
        TestObservationRegistryAssert.assertThat(registry)
                .hasObservationWithNameEqualTo(Instrumentation.TOOL_OBSERVATION).that()
                .hasContextualNameEqualTo("execute_tool get_weather")
                .hasLowCardinalityKeyValue("gen_ai.operation.name", "execute_tool")
                .hasLowCardinalityKeyValue("gen_ai.tool.name", "get_weather")
                .hasOnlyKeys("gen_ai.operation.name", "gen_ai.tool.name");
    }

    @Test
    void aRegistryThatThrowsNeverFailsTheCall() {
        AtomicInteger thrown = new AtomicInteger();
        ObservationRegistry broken = ObservationRegistry.create();
        broken.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public void onStart(Observation.Context context) {
                if (context.getName().equals(Instrumentation.LM_OBSERVATION)) {
                    thrown.incrementAndGet();
                    throw new IllegalStateException("handler failed on start");
                }
            }

            @Override
            public void onStop(Observation.Context context) {
                thrown.incrementAndGet();
                throw new IllegalStateException("handler failed on stop");
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        Prediction p = new TwoStep(new SeqLm(Fixtures.REPLY)).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withObservationRegistry(broken).asContext())
                .block(Duration.ofSeconds(10));

        assertThat(p.get("verdict")).isEqualTo("ok");
        assertThat(thrown.get()).as("2 starts, then every stop").isEqualTo(2 + 5);
    }

    @Test
    void contentIsRecordedOnlyWithTheFilter() {
        registry.observationConfig().observationFilter(new LmContentObservationFilter());
        Predict.of("question -> answer").withLm(new SeqLm(Fixtures.REPLY)).forward(Map.of("question", "Über?"))
                .contextWrite(Settings.empty().withObservationRegistry(registry).asContext())
                .block(Duration.ofSeconds(10));

        LmObservationContext c = (LmObservationContext) stopped.named(Instrumentation.LM_OBSERVATION).get(0);
        assertThat(high(c, LmContentObservationFilter.INPUT_MESSAGES))
                .startsWith("[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"Your input fields")
                .contains("{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"[[ ## question ## ]]\\nÜber?");
        assertThat(high(c, LmContentObservationFilter.OUTPUT_MESSAGES)).isEqualTo(
                "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":"
                        + "\"[[ ## answer ## ]]\\nParis\\n\\n[[ ## verdict ## ]]\\nok\\n\\n[[ ## completed ## ]]\"}],"
                        + "\"finish_reason\":\"stop\"}]");
    }
}

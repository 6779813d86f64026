package io.dspex.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.observe.Fixtures.Recorder;
import io.dspex.observe.Fixtures.SeqLm;
import io.dspex.observe.Fixtures.TwoStep;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.tool.Tool;
import io.dspex.tool.ToolException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class CallbackTest {

    @AfterEach
    void resetGlobal() {
        Settings.configure(Settings.empty());
    }

    private static Mono<Prediction> twoStep(LanguageModel lm, Callback... callbacks) {
        return new TwoStep(lm).forward(Map.of("question", "Capital of France?"))
                .contextWrite(Settings.empty().withCallbacks(List.of(callbacks)).asContext());
    }

    @Test
    void everyStepOfATwoStepProgramStartsAndEndsInOrder() {
        Recorder rec = new Recorder();
        Prediction p = twoStep(new SeqLm(Fixtures.REPLY), rec).block(Duration.ofSeconds(10));

        assertThat(p.get("verdict")).isEqualTo("ok");
        rec.assertBalanced();
        List<String> oneStep = List.of("format>", "<format", "lm>", "<lm", "parse>ChatAdapter", "<parse", "<module");
        List<String> expected = new ArrayList<>();
        expected.add("module>TwoStep{question=Capital of France?}");
        expected.add("module>Predict{question=Capital of France?}");
        expected.addAll(oneStep);
        expected.add("module>Predict{answer=Paris}");
        expected.addAll(oneStep);
        expected.add("<module");
        assertThat(rec.events.stream().map(e -> e.startsWith("format>") ? "format>" : e).toList())
                .containsExactlyElementsOf(expected);
    }

    @Test
    void endMethodsReceiveTheResults() {
        Recorder rec = new Recorder();
        Prediction p = twoStep(new SeqLm(Fixtures.REPLY), rec).block(Duration.ofSeconds(10));

        assertThat(rec.values.get(rec.values.size() - 1)).isSameAs(p);
        assertThat(rec.values).anySatisfy(v -> assertThat(v).isInstanceOfSatisfying(LmResponse.class,
                r -> assertThat(r.usage().totalTokens()).isEqualTo(18)));
        assertThat(rec.values).anySatisfy(v -> assertThat(v).isEqualTo(Map.of("answer", "Paris")));
        assertThat(rec.values).anySatisfy(v -> assertThat(v).isInstanceOf(List.class));
    }

    @Test
    void parentCallIdNamesTheEnclosingCallDuringStart() {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        Callback cb = new Callback() {
            @Override
            public void onModuleStart(String callId, Program module, Example inputs) {
                ids.add("module " + callId);
                seen.add("module " + Callback.parentCallId().orElse("-"));
            }

            @Override
            public void onLmStart(String callId, LanguageModel lm, LmRequest request) {
                seen.add("lm " + Callback.parentCallId().orElse("-"));
            }
        };
        twoStep(new SeqLm(Fixtures.REPLY), cb).block(Duration.ofSeconds(10));

        String top = ids.get(0).substring(7);
        String first = ids.get(1).substring(7);
        String second = ids.get(2).substring(7);
        assertThat(seen).containsExactly("module -", "module " + top, "lm " + first, "module " + top,
                "lm " + second);
        assertThat(Callback.parentCallId()).as("outside a start method").isEmpty();
    }

    @Test
    void aFailedCallEndsEveryPairWithItsError() {
        Recorder rec = new Recorder();
        LmException.InternalServer down = new LmException.InternalServer("down");
        StepVerifier.create(twoStep(new SeqLm(down), rec)).expectError(LmException.class).verify(Duration.ofSeconds(10));

        rec.assertBalanced();
        assertThat(rec.events).containsExactly("module>TwoStep{question=Capital of France?}",
                "module>Predict{question=Capital of France?}", "format>question -> answer", "<format", "lm>",
                "<lm:InternalServer", "<module:InternalServer", "<module:InternalServer");
    }

    @Test
    void aCancelledCallEndsEveryPairWithACancellationException() {
        Recorder rec = new Recorder();
        Sinks.One<LmResponse> never = Sinks.one();
        Disposable run = twoStep(new SeqLm(never.asMono()), rec).subscribe();
        assertThat(rec.events).contains("lm>");
        run.dispose();

        rec.assertBalanced();
        assertThat(rec.events).endsWith("<lm:CallCancelled", "<module:CallCancelled", "<module:CallCancelled");
        List<Throwable> errors = new ArrayList<>();
        Callback cb = new Callback() {
            @Override
            public void onModuleEnd(String callId, @Nullable Prediction outputs, @Nullable Throwable error) {
                errors.add(error);
            }
        };
        twoStep(new SeqLm(never.asMono()), cb).subscribe().dispose();
        assertThat(errors).hasSize(2).allSatisfy(e -> assertThat(e).isInstanceOf(CancellationException.class));
    }

    @Test
    void aParseFailureFallsBackToJsonWithItsOwnEvents() {
        Recorder rec = new Recorder();
        Prediction p = Predict.of("question -> answer").withLm(new SeqLm("no markers here", "{\"answer\": \"Paris\"}"))
                .forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withCallbacks(List.of(rec)).asContext()).block(Duration.ofSeconds(10));

        assertThat(p.get("answer")).isEqualTo("Paris");
        rec.assertBalanced();
        assertThat(rec.events).containsExactly("module>Predict{question=q}", "format>question -> answer", "<format",
                "lm>", "<lm", "parse>ChatAdapter", "<parse:AdapterParseException", "format>question -> answer",
                "<format", "lm>", "<lm", "parse>JsonAdapter", "<parse", "<module");
    }

    @Test
    void aCallbackThatThrowsIsIgnoredAndTheOthersStillRun() {
        Recorder rec = new Recorder();
        AtomicInteger thrown = new AtomicInteger();
        Callback broken = new Callback() {
            @Override
            public void onModuleStart(String callId, Program module, Example inputs) {
                thrown.incrementAndGet();
                throw new IllegalStateException("boom in start");
            }

            @Override
            public void onLmEnd(String callId, @Nullable LmResponse response, @Nullable Throwable error) {
                thrown.incrementAndGet();
                throw new IllegalStateException("boom in end");
            }

            @Override
            public void onAdapterParseStart(String callId, io.dspex.adapter.Adapter adapter,
                                            io.dspex.signature.Signature signature, String completion) {
                thrown.incrementAndGet();
                throw new IllegalStateException("boom in parse");
            }
        };
        Prediction p = twoStep(new SeqLm(Fixtures.REPLY), broken, rec).block(Duration.ofSeconds(10));

        assertThat(p.get("verdict")).isEqualTo("ok");
        assertThat(thrown).hasValue(3 + 2 + 2);
        rec.assertBalanced();
        assertThat(rec.events).hasSize(2 + 2 * 8);
    }

    @Test
    void anErrorThrownByACallbackFailsTheCallAfterEveryEndRan() {
        Recorder rec = new Recorder();
        Callback fatal = new Callback() {
            @Override
            public void onLmEnd(String callId, @Nullable LmResponse response, @Nullable Throwable error) {
                throw new AssertionError("a blocking call, say");
            }
        };
        StepVerifier.create(twoStep(new SeqLm(Fixtures.REPLY), fatal, rec))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(AssertionError.class)
                        .hasMessage("a blocking call, say"))
                .verify(Duration.ofSeconds(10));
        rec.assertBalanced();
        assertThat(rec.events).endsWith("<lm", "<module:AssertionError", "<module:AssertionError");

        Recorder atStart = new Recorder();
        Callback fatalAtStart = new Callback() {
            @Override
            public void onModuleStart(String callId, Program module, Example inputs) {
                throw new AssertionError("at start");
            }
        };
        StepVerifier.create(twoStep(new SeqLm(Fixtures.REPLY), atStart, fatalAtStart))
                .expectError(AssertionError.class).verify(Duration.ofSeconds(10));
        atStart.assertBalanced();
        assertThat(atStart.events).containsExactly("module>TwoStep{question=Capital of France?}",
                "<module:AssertionError");
    }

    @Test
    void theGlobalCallbacksApplyUnlessTheRunSetsItsOwn() {
        Recorder global = new Recorder();
        Recorder local = new Recorder();
        SeqLm lm = new SeqLm(Fixtures.REPLY);
        Settings.configure(Settings.empty().withCallbacks(List.of(global)));

        new TwoStep(lm).forward(Map.of("question", "q")).block(Duration.ofSeconds(10));
        assertThat(global.events).hasSize(18);

        twoStep(lm, local).block(Duration.ofSeconds(10));
        assertThat(local.events).hasSize(18);
        assertThat(global.events).as("a run's own list replaces the global one").hasSize(18);

        new TwoStep(lm).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withCallbacks(List.of()).asContext()).block(Duration.ofSeconds(10));
        assertThat(global.events).as("an empty list silences them").hasSize(18);

        new TwoStep(lm).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withLm(lm).asContext()).block(Duration.ofSeconds(10));
        assertThat(global.events).as("settings without callbacks keep the global ones").hasSize(36);

        Settings.configure(Settings.empty());
        new TwoStep(lm).forward(Map.of("question", "q")).block(Duration.ofSeconds(10));
        assertThat(global.events).as("configure replaces them").hasSize(36);
        global.assertBalanced();
        local.assertBalanced();
    }

    @Test
    void oneRunsSettingsReusedAcrossCallsFollowTheGlobalSettingsOfTheMoment() {
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        SeqLm lm = new SeqLm(Fixtures.REPLY);
        // Settings that set a registry but no callbacks take the global callbacks, as configured at each call.
        java.util.function.Function<reactor.util.context.Context, reactor.util.context.Context> run =
                Settings.empty().withLm(lm).withObservationRegistry(io.micrometer.observation.ObservationRegistry
                        .create()).asContext();
        Settings.configure(Settings.empty().withCallbacks(List.of(first)));
        new TwoStep(lm).forward(Map.of("question", "q")).contextWrite(run).block(Duration.ofSeconds(10));
        new TwoStep(lm).forward(Map.of("question", "q")).contextWrite(run).block(Duration.ofSeconds(10));
        Settings.configure(Settings.empty().withCallbacks(List.of(second)));
        new TwoStep(lm).forward(Map.of("question", "q")).contextWrite(run).block(Duration.ofSeconds(10));

        assertThat(first.events).hasSize(36);
        assertThat(second.events).hasSize(18);
    }

    @Test
    void aStreamedCallReportsTheSameEvents() {
        Recorder rec = new Recorder();
        List<io.dspex.StreamEvent> events = Predict.of("question -> answer").withLm(new SeqLm(Fixtures.REPLY))
                .stream(Map.of("question", "q"))
                .contextWrite(Settings.empty().withCallbacks(List.of(rec)).asContext())
                .collectList().block(Duration.ofSeconds(10));

        assertThat(events.get(events.size() - 1)).isInstanceOf(io.dspex.StreamEvent.Done.class);
        rec.assertBalanced();
        assertThat(rec.events).containsExactly("module>Predict{question=q}", "format>question -> answer", "<format",
                "lm>", "<lm", "parse>ChatAdapter", "<parse", "<module");
    }

    @Test
    void chainOfThoughtReportsItselfAndItsPredictor() {
        Recorder rec = new Recorder();
        String reply = "[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]";
        ChainOfThought.of("question -> answer").withLm(new SeqLm(reply)).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withCallbacks(List.of(rec)).asContext()).block(Duration.ofSeconds(10));

        rec.assertBalanced();
        assertThat(rec.events).startsWith("module>ChainOfThought{question=q}", "module>Predict{question=q}")
                .endsWith("<module", "<module");
    }

    @Test
    void evaluateReportsTheEvaluationAroundEveryModuleCall() {
        Recorder rec = new Recorder();
        List<Example> devset = List.of(
                Example.of(Map.of("question", "a", "verdict", "ok")).withInputs("question"),
                Example.of(Map.of("question", "b", "verdict", "ok")).withInputs("question"));
        EvaluationResult result = Evaluate.builder().devset(devset).metric(Metrics.exactMatch("verdict"))
                .concurrency(1).build().run(new TwoStep(new SeqLm(Fixtures.REPLY)))
                .contextWrite(Settings.empty().withCallbacks(List.of(rec)).asContext()).block(Duration.ofSeconds(10));

        rec.assertBalanced();
        assertThat(rec.events.get(0)).isEqualTo("evaluate>TwoStep2");
        assertThat(rec.events.get(rec.events.size() - 1)).isEqualTo("<evaluate");
        assertThat(rec.values.get(rec.values.size() - 1)).isSameAs(result);
        assertThat(rec.events.stream().filter(e -> e.startsWith("module>TwoStep"))).hasSize(2);
        String evaluation = rec.parents.entrySet().stream().filter(e -> e.getValue().equals("-"))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        assertThat(rec.parents.values().stream().filter(evaluation::equals)).as("TwoStep calls nest in it").hasSize(2);
    }

    @Test
    void aToolRunnerFiresTheToolEvents() {
        Recorder rec = new Recorder();
        Object result = Instrumentation.tool("get_weather", Map.of("city", "Paris"), Mono.just("18 °C"))
                .contextWrite(Settings.empty().withCallbacks(List.of(rec)).asContext()).block(Duration.ofSeconds(10));
        assertThat(result).isEqualTo("18 °C");
        StepVerifier.create(Instrumentation.tool("broken", Map.of(), Mono.error(new IllegalStateException("no")))
                        .contextWrite(Settings.empty().withCallbacks(List.of(rec)).asContext()))
                .expectError(IllegalStateException.class).verify(Duration.ofSeconds(10));

        rec.assertBalanced();
        assertThat(rec.events).containsExactly("tool>get_weather{city=Paris}", "<tool", "tool>broken{}",
                "<tool:IllegalStateException");
        assertThat(rec.values).containsExactly("18 °C", "null");
    }

    @Test
    void everyToolCallIsReportedWhoeverMakesIt() {
        Recorder rec = new Recorder();
        Map<String, Map<String, Object>> args = new java.util.LinkedHashMap<>();
        args.put("a", Map.of("type", "integer"));
        args.put("b", Map.of("type", "integer"));
        Tool add = Tool.of("add", "Add two integers.", args,
                in -> Mono.just(((Number) in.get("a")).intValue() + ((Number) in.get("b")).intValue()));
        Object sum = add.call(new java.util.TreeMap<>(Map.of("a", 20, "b", 22)))
                .contextWrite(Settings.empty().withCallbacks(List.of(rec)).asContext()).block(Duration.ofSeconds(10));
        assertThat(sum).isEqualTo(42);
        StepVerifier.create(add.call(Map.of("a", "twenty"))
                        .contextWrite(Settings.empty().withCallbacks(List.of(rec)).asContext()))
                .expectError(ToolException.class).verify(Duration.ofSeconds(10));

        rec.assertBalanced();
        assertThat(rec.events).containsExactly("tool>add{a=20, b=22}", "<tool", "tool>add{a=twenty}",
                "<tool:ToolException");
        assertThat(add.call(Map.of("a", 1, "b", 1)).block(Duration.ofSeconds(10))).as("no callbacks: runs as is")
                .isEqualTo(2);
        assertThat(rec.events).hasSize(4);
    }

    @Test
    void nothingIsReportedWithoutCallbacksOrRegistry() {
        assertThat(Instrumentation.current(reactor.util.context.Context.empty())).isSameAs(Instrumentation.none());
        assertThat(Instrumentation.none().isActive()).isFalse();
        Mono<Prediction> call = Mono.just(Prediction.of(Map.of("a", 1)));
        assertThat(Instrumentation.none().observe(new TwoStep(new SeqLm(Fixtures.REPLY)), Example.of(Map.of()), call))
                .isSameAs(call);
        assertThat(Instrumentation.of(null, null)).isSameAs(Instrumentation.none());
        assertThat(Instrumentation.of(List.of(), io.micrometer.observation.ObservationRegistry.NOOP))
                .isSameAs(Instrumentation.none());
    }

    @Test
    void aNullCallbackIsRejectedNamingItsPosition() {
        List<Callback> withNull = new ArrayList<>();
        withNull.add(new Recorder());
        withNull.add(null);
        assertThatThrownBy(() -> Settings.empty().withCallbacks(withNull))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("callbacks[1]");
        assertThatThrownBy(() -> Instrumentation.of(withNull, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("callbacks[1]");
        assertThat(Settings.empty().withCallbacks(null).callbacks()).isNull();
    }
}

package io.dspex.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.StreamEvent;
import io.dspex.UsageTracker;
import io.dspex.adapter.ChatAdapter;
import io.dspex.internal.Json;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmCache;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.ToolCall;
import io.dspex.lm.Usage;
import io.dspex.tool.ToolCalls;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;

/** Every prediction a module returns carries the usage of all LM calls made during its forward, per model. */
class UsageAcrossRunTest {

    /**
     * Answers each call with the output fields the request's system message asks for (every one "x", "true" for a
     * bool) and a usage that grows with each call: call i uses (10 i) prompt and i completion tokens.
     */
    static final class CountingLm implements LanguageModel {
        final @Nullable String model;
        final List<LmRequest> requests = Collections.synchronizedList(new ArrayList<>());

        CountingLm(@Nullable String model) {
            this.model = model;
        }

        @Override
        public Mono<LmResponse> call(LmRequest request) {
            return Mono.fromSupplier(() -> {
                int i;
                synchronized (requests) {
                    requests.add(request);
                    i = requests.size();
                }
                return LmResponse.of(List.of(reply(request)), Usage.of(10L * i, i));
            });
        }

        @Override
        public @Nullable String model() {
            return model;
        }

        static String reply(LmRequest request) {
            String system = request.messages().get(0).content();
            String outputs = system.substring(system.indexOf("Your output fields are:"),
                    system.indexOf("All interactions"));
            StringBuilder sb = new StringBuilder();
            for (String line : outputs.split("\n")) {
                int a = line.indexOf('`');
                if (a < 0) {
                    continue;
                }
                String name = line.substring(a + 1, line.indexOf('`', a + 1));
                sb.append("[[ ## ").append(name).append(" ## ]]\n").append(line.contains("(bool)") ? "true" : "x")
                        .append("\n\n");
            }
            return sb.append("[[ ## completed ## ]]").toString();
        }
    }

    /** Three LM calls: rewrite, then a chain of thought (a nested module), then a check. */
    static final class ThreeSteps extends Module {
        final AtomicReference<Prediction> innerPrediction = new AtomicReference<>();

        ThreeSteps() {
            register("rewrite", Predict.of("question -> query"));
            register("answer", ChainOfThought.of("query -> answer"));
            register("check", Predict.of("answer -> ok: bool"));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("rewrite").forward(Map.of("question", in.get("question")))
                    .flatMap(q -> child("answer").forward(Map.of("query", q.get("query"))))
                    .doOnNext(innerPrediction::set)
                    .flatMap(a -> child("check").forward(Map.of("answer", a.get("answer")))
                            .map(c -> a.with("ok", c.get("ok"))));
        }
    }

    @AfterEach
    void resetGlobal() {
        Settings.configure(Settings.empty());
    }

    private static Function<Context, Context> ctx(LanguageModel lm) {
        return Settings.empty().withLm(lm).asContext();
    }

    @Test
    void theOuterPredictionCarriesEveryCallAndANestedModuleItsOwnSubtotal() {
        CountingLm lm = new CountingLm("gpt-test");
        ThreeSteps program = new ThreeSteps();
        Prediction p = program.forward(Map.of("question", "q")).contextWrite(ctx(lm)).block();

        assertThat(lm.requests).hasSize(3);
        Usage all = Usage.of(10, 1).plus(Usage.of(20, 2)).plus(Usage.of(30, 3));
        assertThat(p.usage()).isEqualTo(all);
        assertThat(p.usageByModel()).containsExactly(Map.entry("gpt-test", all));
        assertThat(program.innerPrediction.get().usageByModel()).as("the chain of thought's own subtotal")
                .containsExactly(Map.entry("gpt-test", Usage.of(20, 2)));
        assertThat(p.get("ok")).isEqualTo(true);
    }

    @Test
    void usageIsTotalledPerModelName() {
        CountingLm a = new CountingLm("model-a");
        CountingLm b = new CountingLm(null);
        Module program = new Module() {
            {
                register("first", Predict.of("question -> answer").withLm(a));
                register("second", Predict.of("question -> answer").withLm(b));
                register("third", Predict.of("question -> answer").withLm(a)
                        .withConfig(CallConfig.empty().withModel("model-c")));
            }

            @Override
            protected Mono<Prediction> run(Example in) {
                return child("first").forward(in).then(child("second").forward(in))
                        .then(child("third").forward(in));
            }
        };
        Prediction p = program.forward(Map.of("question", "q")).block();
        assertThat(p.usageByModel()).containsExactly(
                Map.entry("model-a", Usage.of(10, 1)),
                Map.entry(b.id(), Usage.of(10, 1)),          // no model name anywhere: the client's id
                Map.entry("model-c", Usage.of(20, 2)));       // the request's model wins over the client's
        assertThat(p.usage()).isEqualTo(Usage.of(40, 4));
    }

    @Test
    void theResponsesModelNamesUsageWhenTheClientNamesNone() {
        LanguageModel lm = request -> Mono.just(new LmResponse(List.of(new LmResponse.Choice(
                CountingLm.reply(request), "stop")), Usage.of(7, 3), "served-model", null, null));
        Prediction p = Predict.of("question -> answer").withLm(lm).forward(Map.of("question", "q")).block();
        assertThat(p.usageByModel()).containsExactly(Map.entry("served-model", Usage.of(7, 3)));
    }

    @Test
    void cacheHitsCountZero() {
        CountingLm lm = new CountingLm("m");
        LanguageModel cached = LmCache.inMemory(100).wrap(lm);
        Predict qa = Predict.of("question -> answer").withLm(cached);
        Prediction first = qa.forward(Map.of("question", "q")).block();
        Prediction second = qa.forward(Map.of("question", "q")).block();
        assertThat(lm.requests).hasSize(1);
        assertThat(first.usageByModel()).containsExactly(Map.entry("m", Usage.of(10, 1)));
        assertThat(second.usageByModel()).as("the cache delegates model()").containsExactly(Map.entry("m", Usage.ZERO));
        assertThat(second.usage()).isEqualTo(Usage.ZERO);
    }

    @Test
    void anAdapterFallbackCountsBothCalls() {
        List<Usage> usages = List.of(Usage.of(100, 10), Usage.of(200, 20));
        List<LmRequest> seen = Collections.synchronizedList(new ArrayList<>());
        LanguageModel lm = new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                return Mono.fromSupplier(() -> {
                    seen.add(request);
                    String text = seen.size() == 1 ? "no fields here" : "{\"answer\": \"Paris\"}";
                    return LmResponse.of(List.of(text), usages.get(seen.size() - 1));
                });
            }

            @Override
            public String model() {
                return "m";
            }
        };
        Prediction p = Predict.of("question -> answer").withLm(lm).forward(Map.of("question", "q")).block();
        assertThat(seen).hasSize(2);
        assertThat(p.usageByModel()).containsExactly(Map.entry("m", Usage.of(300, 30)));
    }

    @Test
    void aStreamedCallWithToolCallsRecordsItsUsage() {
        ToolCall add = new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}");
        LanguageModel lm = new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                return Mono.error(new AssertionError("stream expected"));
            }

            @Override
            public Flux<LmChunk> stream(LmRequest request) {
                return Flux.just(LmChunk.of("[[ ## answer ## ]]\nI add."),
                        new LmChunk("\n\n[[ ## completed ## ]]", 0, "tool_calls", null, List.of(add)),
                        LmChunk.ofUsage(Usage.of(7, 3)));
            }

            @Override
            public String model() {
                return "m";
            }
        };
        Predict agent = Predict.of("question, tools: list[Tool] -> answer, calls: ToolCalls").withLm(lm)
                .withAdapter(new ChatAdapter().withNativeFunctionCalling());
        List<StreamEvent> events = agent.stream(Map.of("question", "q", "tools", List.of(ReActTest.ADD)))
                .collectList().block();
        Prediction p = ((StreamEvent.Done) events.get(events.size() - 1)).prediction();
        assertThat(p.usageByModel()).containsExactly(Map.entry("m", Usage.of(7, 3)));
        assertThat(((ToolCalls) p.get("calls")).toolCalls()).extracting(ToolCalls.ToolCall::name)
                .containsExactly("add");
    }

    @Test
    void reActCountsEveryCallOfItsLoopAndItsExtraction() {
        List<String> replies = List.of(ReActTest.step("add", "{\"a\": 1, \"b\": 2}"),
                ReActTest.step("finish", "{}"), ReActTest.EXTRACT);
        List<LmRequest> seen = Collections.synchronizedList(new ArrayList<>());
        LanguageModel lm = new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                return Mono.fromSupplier(() -> {
                    seen.add(request);
                    return LmResponse.of(List.of(replies.get(seen.size() - 1)), Usage.of(10, 1));
                });
            }

            @Override
            public String model() {
                return "m";
            }
        };
        Prediction p = ReAct.of("question -> answer", List.of(ReActTest.ADD)).withLm(lm)
                .forward(Map.of("question", "q")).block();
        assertThat(seen).hasSize(3);
        assertThat(p.get("answer")).isEqualTo("done");
        assertThat(p.usageByModel()).containsExactly(Map.entry("m", Usage.of(30, 3)));
    }

    @Test
    void concurrentRunsNeverSeeEachOthersUsage() {
        CountingLm lm = new CountingLm("m");
        ThreeSteps program = new ThreeSteps();
        List<Prediction> out = Flux.range(0, 40)
                .flatMap(i -> program.forward(Map.of("question", "q" + i)).contextWrite(ctx(lm))
                        .subscribeOn(Schedulers.parallel()), 16)
                .collectList().block();
        assertThat(out).hasSize(40);
        long sumOfPrompts = out.stream().mapToLong(p -> p.usage().promptTokens()).sum();
        // 120 calls in all, call i used 10 i prompt tokens: each run's total is its own three calls.
        assertThat(sumOfPrompts).isEqualTo(10L * 120 * 121 / 2);
        assertThat(out).allSatisfy(p -> assertThat(p.usageByModel()).containsOnlyKeys("m"));
    }

    @Test
    void aModuleThatRecordsNothingKeepsItsPredictionsUsage() {
        Module handMade = new Module() {
            @Override
            protected Mono<Prediction> run(Example in) {
                return Mono.just(Prediction.of(Map.of("answer", "x")).withUsage(Usage.of(5, 5)));
            }
        };
        Prediction p = handMade.forward(Map.of("question", "q")).block();
        assertThat(p.usage()).isEqualTo(Usage.of(5, 5));
        assertThat(p.usageByModel()).isEmpty();
    }

    @Test
    void theEntryPointRecordsForProgramsThatCallAnLmThemselves() {
        Module direct = new Module() {
            @Override
            protected Mono<Prediction> run(Example in) {
                return Mono.deferContextual(c -> {
                    UsageTracker.record(c, "direct-model", Usage.of(3, 4));
                    UsageTracker.record(c, "direct-model", Usage.of(1, 1));
                    assertThat(UsageTracker.current(c)).isPresent();
                    return Mono.just(Prediction.of(Map.of("answer", "x")));
                });
            }
        };
        Prediction p = direct.forward(Map.of("q", "x")).block();
        assertThat(p.usageByModel()).containsExactly(Map.entry("direct-model", Usage.of(4, 5)));

        assertThatThrownBy(() -> UsageTracker.record(Context.empty(), " ", Usage.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model name");
        UsageTracker.record(Context.empty(), "m", Usage.of(1, 1)); // no tracker: nothing to do, no error
    }

    @Test
    void usageByModelRoundTripsThroughJson() throws Exception {
        Prediction p = Prediction.of(Map.of("answer", "4"))
                .withUsageByModel(Map.of("gpt-test", Usage.of(3, 1)));
        String json = Json.MAPPER.writeValueAsString(p);
        assertThat(json).contains("\"usage_by_model\":{\"gpt-test\":{\"prompt_tokens\":3");
        assertThat(Json.MAPPER.readValue(json, Prediction.class)).isEqualTo(p);
        assertThat(Json.MAPPER.writeValueAsString(Prediction.of(Map.of("a", "b")))).doesNotContain("usage_by_model");
        assertThat(p.usage()).isEqualTo(Usage.of(3, 1));
        assertThat(p.withUsage(Usage.of(1, 1)).usageByModel()).isEmpty();
        assertThatThrownBy(() -> p.withUsageByModel(Map.of("", Usage.ZERO)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

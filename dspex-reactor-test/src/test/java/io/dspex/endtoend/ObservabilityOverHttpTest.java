package io.dspex.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.BatchResult;
import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.observe.Callback;
import io.dspex.observe.LmMeterObservationHandler;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import io.dspex.predict.Settings;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Observability over HTTP, as an application sets it up: a real OpenTelemetry SDK behind Micrometer Tracing
 * (spans kept by an in-memory exporter) and a {@code SimpleMeterRegistry} with the gen_ai meters, a two-step program
 * calling {@code MockLmServer} through {@code OpenAiCompatibleLm}, and callbacks.
 */
@Timeout(120)
class ObservabilityOverHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REPLY =
            "[[ ## answer ## ]]\nParis\n\n[[ ## verdict ## ]]\nright\n\n[[ ## completed ## ]]";
    private static final RetryPolicy FAST = RetryPolicy.defaults().withMaxAttempts(3)
            .withBackoff(Duration.ofMillis(1), Duration.ofMillis(5)).withJitter(0);

    private MockLmServer server;
    private OpenAiCompatibleLm lm;
    private InMemorySpanExporter spans;
    private SdkTracerProvider tracerProvider;
    private SimpleMeterRegistry meters;
    private ObservationRegistry observations;

    /** question -> answer, then answer -> verdict. */
    static final class TwoStep extends Module {
        TwoStep(OpenAiCompatibleLm lm) {
            register("first", Predict.of("question -> answer").withLm(lm).withRetry(FAST));
            register("second", Predict.of("answer -> verdict").withLm(lm).withRetry(FAST));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("first").forward(in)
                    .flatMap(p -> child("second").forward(Map.of("answer", p.get("answer"))));
        }
    }

    /** Keeps the usage each LM call's response body reported, as the server wrote it. */
    static final class ServerUsage implements Callback {
        final List<JsonNode> usages = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onLmEnd(String callId, @Nullable LmResponse response, @Nullable Throwable error) {
            if (response != null) {
                try {
                    usages.add(JSON.readTree(response.raw()).path("usage"));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        long sum(String field) {
            synchronized (usages) {
                return usages.stream().mapToLong(u -> u.path(field).asLong()).sum();
            }
        }
    }

    /** Checks that every start pairs with one end. */
    static final class Pairs implements Callback {
        final Map<String, String> open = new ConcurrentHashMap<>();
        final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        final Map<String, Integer> ended = new ConcurrentHashMap<>();

        private void start(String kind, String id) {
            if (open.putIfAbsent(id, kind) != null) {
                problems.add("started twice " + id);
            }
        }

        private void end(String kind, String id, @Nullable Throwable error) {
            if (!kind.equals(open.remove(id))) {
                problems.add("ended without a start: " + kind + " " + id);
            }
            ended.merge(kind + (error == null ? "" : ":" + error.getClass().getSimpleName()), 1, Integer::sum);
        }

        @Override
        public void onModuleStart(String callId, Program module, Example inputs) {
            start("module", callId);
        }

        @Override
        public void onModuleEnd(String callId, @Nullable Prediction outputs, @Nullable Throwable error) {
            end("module", callId, error);
        }

        @Override
        public void onLmStart(String callId, io.dspex.lm.LanguageModel model, LmRequest request) {
            start("lm", callId);
        }

        @Override
        public void onLmEnd(String callId, @Nullable LmResponse response, @Nullable Throwable error) {
            end("lm", callId, error);
        }
    }

    @BeforeEach
    void start() {
        server = MockLmServer.create().reply(REPLY).start();
        lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("mock-model").apiKey("sk-secret-0123456789")
                .build();
        spans = InMemorySpanExporter.create();
        tracerProvider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
        OtelCurrentTraceContext current = new OtelCurrentTraceContext();
        OtelTracer tracer = new OtelTracer(sdk.getTracer("dspex-test"), current, event -> { },
                new OtelBaggageManager(current, List.of(), List.of()));
        meters = new SimpleMeterRegistry();
        observations = ObservationRegistry.create();
        observations.observationConfig()
                .observationHandler(new DefaultTracingObservationHandler(tracer))
                .observationHandler(new LmMeterObservationHandler(meters));
    }

    @AfterEach
    void stop() {
        Settings.configure(Settings.empty());
        lm.close();
        server.close();
        tracerProvider.close();
    }

    private static SpanData only(List<SpanData> all, String name) {
        List<SpanData> named = all.stream().filter(s -> s.getName().equals(name)).toList();
        assertThat(named).as("spans named " + name).hasSize(1);
        return named.get(0);
    }

    private static boolean isChildOf(SpanData child, SpanData parent) {
        return child.getParentSpanId().equals(parent.getSpanId())
                && child.getTraceId().equals(parent.getTraceId());
    }

    @Test
    void aTwoStepProgramWithARetryIsOneTraceWithTheGenAiConventions() {
        server.faultOn(1, Fault.status(503, "overloaded"));
        ServerUsage usage = new ServerUsage();
        Settings.configure(Settings.empty().withObservationRegistry(observations).withCallbacks(List.of(usage)));

        Prediction p = new TwoStep(lm).forward(Map.of("question", "Capital of France?")).block(Duration.ofSeconds(30));
        assertThat(p.get("verdict")).isEqualTo("right");

        List<SpanData> all = spans.getFinishedSpanItems();
        assertThat(all).hasSize(1 + 2 + 3);
        SpanData program = only(all, "TwoStep");
        List<SpanData> predictors = all.stream().filter(s -> s.getName().equals("Predict")).toList();
        List<SpanData> chats = all.stream().filter(s -> s.getName().equals("chat mock-model")).toList();
        assertThat(predictors).hasSize(2).allSatisfy(s -> assertThat(isChildOf(s, program)).isTrue());
        assertThat(program.getParentSpanContext().isValid()).isFalse();
        assertThat(chats).as("one per request: the first call's two attempts and the second call").hasSize(3);
        for (SpanData chat : chats) {
            assertThat(predictors.stream().filter(pr -> isChildOf(chat, pr))).hasSize(1);
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.operation.name"))).isEqualTo("chat");
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("openai");
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model")))
                    .isEqualTo("mock-model");
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo("127.0.0.1");
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("server.port")))
                    .isEqualTo(Integer.toString(server.port()));
        }
        SpanData failedAttempt = chats.stream().filter(c -> c.getStatus().getStatusCode() == StatusCode.ERROR)
                .findFirst().orElseThrow();
        assertThat(failedAttempt.getAttributes().get(AttributeKey.stringKey("dspex.lm.attempt"))).isEqualTo("1");
        assertThat(failedAttempt.getAttributes().get(AttributeKey.stringKey("error.type")))
                .isEqualTo("io.dspex.lm.LmException$InternalServer");
        SpanData retry = chats.stream().filter(c -> "2".equals(
                c.getAttributes().get(AttributeKey.stringKey("dspex.lm.attempt")))).findFirst().orElseThrow();
        assertThat(retry.getParentSpanId()).as("the retry is the failed attempt's sibling")
                .isEqualTo(failedAttempt.getParentSpanId());
        assertThat(retry.getStartEpochNanos()).isGreaterThanOrEqualTo(failedAttempt.getEndEpochNanos());
        List<SpanData> answered = chats.stream().filter(c -> c.getStatus().getStatusCode() != StatusCode.ERROR)
                .toList();
        assertThat(answered).hasSize(2).allSatisfy(c -> assertThat(
                c.getAttributes().get(AttributeKey.stringKey("gen_ai.response.model"))).isEqualTo("mock-model"));
        assertThat(all).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(program.getTraceId()));

        // Token counts are the server's, per call and in total.
        assertThat(usage.usages).hasSize(2);
        long input = 0;
        long output = 0;
        for (SpanData chat : answered) {
            input += Long.parseLong(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.usage.input_tokens")));
            output += Long.parseLong(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.usage.output_tokens")));
        }
        assertThat(input).isEqualTo(usage.sum("prompt_tokens")).isPositive();
        assertThat(output).isEqualTo(usage.sum("completion_tokens")).isPositive();
        DistributionSummary inputMeter = meters.get(LmMeterObservationHandler.TOKEN_USAGE)
                .tag("gen_ai.token.type", "input").summary();
        DistributionSummary outputMeter = meters.get(LmMeterObservationHandler.TOKEN_USAGE)
                .tag("gen_ai.token.type", "output").summary();
        assertThat((long) inputMeter.totalAmount()).isEqualTo(usage.sum("prompt_tokens"));
        assertThat((long) outputMeter.totalAmount()).isEqualTo(usage.sum("completion_tokens"));
        assertThat(meters.find(LmMeterObservationHandler.OPERATION_DURATION).timers().stream()
                .mapToLong(io.micrometer.core.instrument.Timer::count).sum()).as("one per request").isEqualTo(3);

        // Nothing recorded holds a prompt, a reply or the API key.
        for (SpanData s : all) {
            String attributes = s.getAttributes().toString();
            assertThat(attributes).doesNotContain("Capital of France", "Paris", "sk-secret", "[[ ##");
        }
    }

    @Test
    void theCallersSpanIsTheParentOfTheProgram() {
        Observation request = Observation.start("http.server.requests", observations);
        new TwoStep(lm).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withObservationRegistry(observations).asContext())
                .contextWrite(c -> c.put(ObservationThreadLocalAccessor.KEY, request))
                .block(Duration.ofSeconds(30));
        request.stop();

        List<SpanData> all = spans.getFinishedSpanItems();
        SpanData caller = only(all, "http.server.requests");
        assertThat(isChildOf(only(all, "TwoStep"), caller)).isTrue();
    }

    @Test
    void theClientsHttpExchangeOpensNoThreadLocalScope() {
        // With context-propagation on the class path (here, through Micrometer Tracing), Reactor Netty's body
        // operators restore the Context's observation as the thread's current one for each signal; the client makes
        // no HTTP observation, so it hides the observation from them and no scope opens: the tracing handler would
        // otherwise set and reset the current span twice per request for nothing.
        List<String> scopes = Collections.synchronizedList(new ArrayList<>());
        observations.observationConfig().observationHandler(new io.micrometer.observation.ObservationHandler<>() {
            @Override
            public void onScopeOpened(Observation.Context context) {
                scopes.add(context.getName());
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        Prediction p = Predict.of("question -> answer, verdict").withLm(lm).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withObservationRegistry(observations).asContext())
                .block(Duration.ofSeconds(30));
        assertThat(p.get("verdict")).isEqualTo("right");
        assertThat(meters.find(LmMeterObservationHandler.OPERATION_DURATION).timers().stream()
                .mapToLong(io.micrometer.core.instrument.Timer::count).sum()).as("the request was observed")
                .isEqualTo(1);
        assertThat(scopes).isEmpty();

        // A model of the application's own, whose HTTP client would observe its request, still finds the chat
        // observation where Micrometer's integrations look for a parent.
        List<Object> parents = Collections.synchronizedList(new ArrayList<>());
        io.dspex.lm.LanguageModel own = request -> Mono.deferContextual(c -> {
            parents.add(c.getOrDefault(ObservationThreadLocalAccessor.KEY, "none"));
            return lm.call(request);
        });
        Predict.of("question -> answer, verdict").withLm(own).forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withObservationRegistry(observations).asContext())
                .block(Duration.ofSeconds(30));
        assertThat(parents).singleElement().isInstanceOfSatisfying(Observation.class,
                o -> assertThat(o.getContext().getName()).isEqualTo("gen_ai.client.operation"));
    }

    @Test
    void callbacksPairUpUnderErrorsAndCancellationOverHttp() {
        Pairs pairs = new Pairs();
        Settings.configure(Settings.empty().withCallbacks(List.of(pairs)).withObservationRegistry(observations));
        // First plan first: q-7 always gets its 400 (a random 500 before it would make its error a retried one).
        server.faultWhen(r -> r.lastUserMessage().contains("q-7"), Fault.status(400, "bad"));
        server.faultRandomly(0.3, 42, Fault.status(500, "flaky"));
        List<Map<String, String>> inputs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            inputs.add(Map.of("question", "q-" + i));
        }
        List<BatchResult> results = new TwoStep(lm).batch(inputs, 8).collectList().block(Duration.ofSeconds(60));

        assertThat(results).hasSize(40);
        assertThat(results.get(7).isSuccess()).isFalse();
        assertThat(pairs.problems).isEmpty();
        assertThat(pairs.open).isEmpty();
        assertThat(pairs.ended.get("module:BadRequest")).as("q-7's predictor and program, of %s", pairs.ended)
                .isEqualTo(2);

        // A caller's timeout cancels the call in flight: every pair ends with a CancellationException.
        server.clearFaults();
        server.latency(Duration.ofSeconds(30));
        StepVerifier.create(new TwoStep(lm).forward(Map.of("question", "slow")).timeout(Duration.ofMillis(300)))
                .expectError(TimeoutException.class).verify(Duration.ofSeconds(30));
        assertThat(pairs.open).isEmpty();
        assertThat(pairs.problems).isEmpty();
        assertThat(pairs.ended.get("lm:CallCancelled")).isEqualTo(1);
        assertThat(pairs.ended.get("module:CallCancelled")).isEqualTo(2);
        assertThat(spans.getFinishedSpanItems().stream().filter(s -> "cancelled".equals(
                s.getAttributes().get(AttributeKey.stringKey("error.type"))))).hasSize(3);
    }

    @Test
    void aBlockingCallbackIsCaughtByBlockHound() {
        Callback blocking = new Callback() {
            @Override
            public void onLmEnd(String callId, @Nullable LmResponse response, @Nullable Throwable error) {
                try {
                    Thread.sleep(1); // what a callback must never do: it runs on the event loop
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Pairs pairs = new Pairs();
        StepVerifier.create(new TwoStep(lm).forward(Map.of("question", "q"))
                        .contextWrite(Settings.empty().withCallbacks(List.of(blocking, pairs)).asContext()))
                .expectErrorSatisfies(e -> assertThat(e.getClass().getName())
                        .isEqualTo("reactor.blockhound.BlockingOperationError"))
                .verify(Duration.ofSeconds(30));
        assertThat(pairs.open).isEmpty();
        assertThat(pairs.ended).containsEntry("lm", 1).containsEntry("module:BlockingOperationError", 2);
    }
}

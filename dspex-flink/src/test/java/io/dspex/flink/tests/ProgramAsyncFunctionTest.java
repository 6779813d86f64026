package io.dspex.flink.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.ProgramStateException;
import io.dspex.evaluate.Metrics;
import io.dspex.flink.LmConfig;
import io.dspex.flink.ProgramAsyncFunction;
import io.dspex.flink.ProgramInput;
import io.dspex.flink.ProgramResult;
import io.dspex.predict.Predict;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import io.dspex.test.ScriptedLm;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.TaskInfoImpl;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.api.common.functions.util.RuntimeUDFContext;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The function on its own, without a cluster: open, invoke, time out, close, fail fast, score, serialise. */
class ProgramAsyncFunctionTest {

    static final String KEY_VARIABLE = "DSPEX_FLINK_TEST_KEY";
    static final AtomicInteger CANCELLED = new AtomicInteger();

    MockLmServer server;
    ProgramAsyncFunction fn;

    @BeforeEach
    void start() {
        server = MockLmServer.create().reply(r -> Fixtures.chatAnswer("A-" + Fixtures.idOf(r))).start();
        CANCELLED.set(0);
    }

    @AfterEach
    void stop() {
        if (fn != null) {
            fn.close();
        }
        server.close();
    }

    /** Collects what the function completes a Flink result future with. */
    static final class Collected implements ResultFuture<ProgramResult> {
        final CompletableFuture<List<ProgramResult>> future = new CompletableFuture<>();

        @Override
        public void complete(Collection<ProgramResult> result) {
            future.complete(new ArrayList<>(result));
        }

        @Override
        public void completeExceptionally(Throwable error) {
            future.completeExceptionally(error);
        }

        @Override
        public void complete(CollectionSupplier<ProgramResult> supplier) {
            try {
                complete(supplier.get());
            } catch (Exception e) {
                completeExceptionally(e);
            }
        }

        ProgramResult single() throws Exception {
            List<ProgramResult> r = future.get(30, TimeUnit.SECONDS);
            assertThat(r).hasSize(1);
            return r.get(0);
        }
    }

    static ProgramInput input(int i) {
        return new ProgramInput("q-" + i, Example.of(Map.of("question", "q-" + i)));
    }

    ProgramAsyncFunction.Builder qa() {
        return ProgramAsyncFunction.builder()
                .program(() -> Predict.of("question -> answer").withRetry(Fixtures.FAST))
                .lm(LmConfig.of(server.baseUrl(), "mock-model"));
    }

    ProgramResult invoke(ProgramAsyncFunction f, ProgramInput in) throws Exception {
        Collected c = new Collected();
        f.asyncInvoke(in, c);
        return c.single();
    }

    @Test
    void theKeyIsReadFromTheEnvironmentAndNeverSerialised() throws Exception {
        String key = System.getenv(KEY_VARIABLE);
        assumeTrue(key != null, KEY_VARIABLE + " is set by the module's Surefire configuration");
        fn = qa().lm(LmConfig.of(server.baseUrl(), "mock-model").withApiKeyVariable(KEY_VARIABLE)).build();
        byte[] graph = InstantiationUtil.serializeObject(fn);
        assertThat(new String(graph, StandardCharsets.ISO_8859_1)).doesNotContain(key).contains(KEY_VARIABLE);

        fn.open(DefaultOpenContext.INSTANCE);
        ProgramResult r = invoke(fn, input(7));

        assertThat(r.outputs()).containsEntry("answer", "A-7");
        assertThat(server.lastRequest().header("Authorization")).isEqualTo("Bearer " + key);
        byte[] afterOpen = InstantiationUtil.serializeObject(fn);
        assertThat(new String(afterOpen, StandardCharsets.ISO_8859_1)).doesNotContain(key);
        assertThat(fn.toString()).doesNotContain(key).contains(KEY_VARIABLE);
        ProgramAsyncFunction copy = InstantiationUtil.deserializeObject(graph, getClass().getClassLoader());
        assertThat(copy.lm()).isEqualTo(fn.lm());
    }

    /** A runtime context as Flink gives subtask 0 of {@code subtasks}. */
    static RuntimeUDFContext subtaskOf(int subtasks) {
        return new RuntimeUDFContext(new TaskInfoImpl("dspex program", 128, 0, subtasks, 0),
                ProgramAsyncFunctionTest.class.getClassLoader(), new ExecutionConfig(), Map.of(), Map.of(),
                UnregisteredMetricsGroup.createOperatorMetricGroup());
    }

    @Test
    void eachSubtaskKeepsToItsShareOfTheJobsRateLimit() throws Exception {
        // 120 requests a minute for the job, 2 subtasks: 60 a minute each, so this subtask's second call starts
        // at least a second after its first (one subtask alone would wait half a second).
        fn = qa().lm(LmConfig.of(server.baseUrl(), "mock-model").withRequestsPerMinute(120)).build();
        fn.setRuntimeContext(subtaskOf(2));
        fn.open(DefaultOpenContext.INSTANCE);

        long start = System.nanoTime();
        assertThat(invoke(fn, input(1)).outputs()).containsEntry("answer", "A-1");
        assertThat(invoke(fn, input(2)).outputs()).containsEntry("answer", "A-2");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(fn.lm().toString()).endsWith(", 120 requests/min for the job]");
    }

    @Test
    void aRateLimitSmallerThanTheSubtaskCountFailsOpenNamingIt() {
        fn = qa().lm(LmConfig.of(server.baseUrl(), "mock-model").withRequestsPerMinute(3)).build();
        fn.setRuntimeContext(subtaskOf(4));
        assertThatThrownBy(() -> fn.open(DefaultOpenContext.INSTANCE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("requestsPerMinute 3 cannot be shared by 4 parallel subtasks");
        assertThatThrownBy(() -> LmConfig.of(server.baseUrl(), "m").withTokensPerMinute(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokensPerMinute -1");
        fn = null;
    }

    @Test
    void aNamedButUnsetKeyVariableFailsOpenNamingIt() {
        fn = qa().lm(LmConfig.of(server.baseUrl(), "m").withApiKeyVariable("DSPEX_FLINK_SURELY_UNSET_VARIABLE"))
                .build();
        assertThatThrownBy(() -> fn.open(DefaultOpenContext.INSTANCE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("DSPEX_FLINK_SURELY_UNSET_VARIABLE");
    }

    @Test
    void aFailedInputIsAnErrorResultWithTheRetryPolicysAttempts() throws Exception {
        server.faultNext(3, Fault.status(503, "overloaded"));
        fn = qa().build();
        fn.open(DefaultOpenContext.INSTANCE);

        ProgramResult r = invoke(fn, input(1));

        assertThat(r.isSuccess()).isFalse();
        assertThat(r.outputs()).isEmpty();
        assertThat(r.error()).startsWith("InternalServer: ").endsWith("(after 3 attempts)");
        assertThat(r.score()).isNull();
        assertThat(server.requestCount()).isEqualTo(3);
        assertThat(invoke(fn, input(2)).outputs()).containsEntry("answer", "A-2");
    }

    @Test
    void failFastCompletesTheFutureExceptionally() throws Exception {
        server.faultNext(1, Fault.status(400, "bad request"));
        fn = qa().failFast(true).build();
        fn.open(DefaultOpenContext.INSTANCE);
        Collected c = new Collected();

        fn.asyncInvoke(input(1), c);

        assertThat(c.future).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                .withMessageContaining("bad request");
    }

    static ProgramAsyncFunction.Builder hanging() {
        return ProgramAsyncFunction.builder().program(() -> inputs -> Mono.<Prediction>never()
                .doOnCancel(CANCELLED::incrementAndGet)).timeout(Duration.ofSeconds(3));
    }

    @Test
    void aTimeoutDisposesTheCallAndYieldsAnErrorResult() throws Exception {
        fn = hanging().build();
        fn.open(DefaultOpenContext.INSTANCE);
        Collected c = new Collected();
        fn.asyncInvoke(input(1), c);
        assertThat(c.future).isNotDone();

        fn.timeout(input(1), c);

        ProgramResult r = c.single();
        assertThat(r.id()).isEqualTo("q-1");
        assertThat(r.error()).isEqualTo("TimeoutException: no result within the Flink async timeout of 3000 ms");
        assertThat(CANCELLED).hasValue(1);
    }

    @Test
    void aTimeoutInFailFastModeFailsTheFuture() throws Exception {
        fn = hanging().failFast(true).build();
        fn.open(DefaultOpenContext.INSTANCE);
        Collected c = new Collected();
        fn.asyncInvoke(input(1), c);

        fn.timeout(input(1), c);

        assertThat(c.future).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
                .withCauseInstanceOf(TimeoutException.class);
        assertThat(CANCELLED).hasValue(1);
    }

    @Test
    void closeDisposesEveryCallInFlight() throws Exception {
        fn = hanging().build();
        fn.open(DefaultOpenContext.INSTANCE);
        for (int i = 0; i < 3; i++) {
            fn.asyncInvoke(input(i), new Collected());
        }

        fn.close();

        assertThat(CANCELLED).hasValue(3);
    }

    @Test
    void withAMetricEachResultCarriesItsScoreAndAFailureScoresZero() throws Exception {
        fn = ProgramAsyncFunction.builder()
                .program(() -> Predict.of("question -> answer")
                        .withLm(ScriptedLm.create().when(r -> r.messages().toString().contains("boom"),
                                "not a chat reply").reply(Fixtures.chatAnswer("4"))))
                .metric(() -> Metrics.exactMatch("answer"))
                .build();
        fn.open(DefaultOpenContext.INSTANCE);
        Example right = Example.of(Map.of("question", "2+2?", "answer", "4")).withInputs("question");
        Example wrong = Example.of(Map.of("question", "3+3?", "answer", "6")).withInputs("question");
        Example failing = Example.of(Map.of("question", "boom", "answer", "6")).withInputs("question");
        Example noLabel = Example.of(Map.of("question", "2+2?")).withInputs("question");

        assertThat(invoke(fn, new ProgramInput("r", right)).score()).isEqualTo(1.0);
        assertThat(invoke(fn, new ProgramInput("w", wrong)).score()).isEqualTo(0.0);
        ProgramResult failed = invoke(fn, new ProgramInput("f", failing));
        assertThat(failed.score()).isEqualTo(0.0);
        assertThat(failed.error()).startsWith("AdapterParseException: ");
        ProgramResult metricFailed = invoke(fn, new ProgramInput("n", noLabel));
        assertThat(metricFailed.score()).isEqualTo(0.0);
        assertThat(metricFailed.outputs()).containsEntry("answer", "4");
        assertThat(metricFailed.error()).isNotNull();
        assertThat(fn.evaluates()).isTrue();
    }

    @Test
    void theBuilderChecksTheStateAgainstTheProgramInTheClient() {
        assertThatThrownBy(() -> ProgramAsyncFunction.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("program factory");
        assertThatThrownBy(() -> ProgramAsyncFunction.builder().concurrency(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("concurrency");
        assertThatThrownBy(() -> ProgramAsyncFunction.builder().program(() -> Predict.of("question -> answer"))
                .state("{\"generate\": {\"demos\": []}}").build()).isInstanceOf(ProgramStateException.class);
        assertThatThrownBy(() -> ProgramAsyncFunction.builder().program(() -> null).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("returned null");
    }
}

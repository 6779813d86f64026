package io.dspex.flink.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.flink.LmConfig;
import io.dspex.flink.ProgramAsyncFunction;
import io.dspex.flink.ProgramInput;
import io.dspex.flink.ProgramResult;
import io.dspex.predict.Predict;
import io.dspex.test.MockLmServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;

/**
 * Ordered mode emits each subtask's results in the order its inputs arrived, even when the first input completes
 * last; unordered mode emits results as they complete, so a slow input holds back nothing. Both are made certain
 * rather than likely: the first input, {@code q-0}, waits for a gate that the other inputs open.
 */
@Timeout(60)
class OrderingTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final int N = 40;

    /** Opened by the other inputs; {@code q-0} waits for it. */
    static volatile CompletableFuture<Void> gate = new CompletableFuture<>();
    static final AtomicInteger OTHERS_DONE = new AtomicInteger();
    static final AtomicInteger EMITTED = new AtomicInteger();
    static final List<String> COMPLETED = Collections.synchronizedList(new ArrayList<>());

    MockLmServer server;

    @BeforeEach
    void start() {
        // Random latency (seeded) scrambles the completion order of the other inputs too.
        server = Fixtures.echoServer().latency(Duration.ofMillis(1), Duration.ofMillis(30), 7L).start();
        gate = new CompletableFuture<>();
        OTHERS_DONE.set(0);
        EMITTED.set(0);
        COMPLETED.clear();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** {@code q-0} calls the LM only once the gate opens; every input records when its prediction arrived. */
    static Program gated(boolean openWhenOthersComplete) {
        Predict qa = Predict.of("question -> answer").withRetry(Fixtures.FAST);
        return inputs -> {
            String q = String.valueOf(inputs.get("question"));
            Mono<Prediction> call = qa.forward(inputs).doOnNext(p -> {
                COMPLETED.add(q);
                if (openWhenOthersComplete && !q.equals("q-0") && OTHERS_DONE.incrementAndGet() == N - 1) {
                    gate.complete(null);
                }
            });
            return q.equals("q-0") ? Mono.defer(() -> Mono.fromFuture(gate)).then(call) : call;
        };
    }

    static List<ProgramInput> inputs() {
        List<ProgramInput> in = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            in.add(new ProgramInput("q-" + i, Example.of(Map.of("question", "q-" + i))));
        }
        return in;
    }

    @Test
    void orderedModeKeepsInputOrderPerSubtaskThoughTheFirstInputCompletesLast() throws Exception {
        ProgramAsyncFunction fn = ProgramAsyncFunction.builder()
                .program(() -> gated(true))
                .lm(LmConfig.of(server.baseUrl(), "mock-model"))
                .concurrency(N)
                .build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<ProgramInput> spread = env.fromData(inputs()).rebalance();

        List<String> out = fn.orderedWait(spread).map(new TagSubtask()).returns(Types.STRING)
                .executeAndCollect(N + 1);

        assertThat(out).hasSize(N);
        assertThat(COMPLETED).hasSize(N).last().isEqualTo("q-0");
        Map<String, List<Integer>> perSubtask = new TreeMap<>();
        for (String tagged : out) {
            String[] parts = tagged.split(" ");
            perSubtask.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Integer.parseInt(parts[1].substring(2)));
        }
        assertThat(perSubtask).as("both subtasks got inputs").hasSize(2);
        perSubtask.forEach((subtask, ids) -> assertThat(ids).as("subtask %s", subtask).isSorted());
        assertThat(perSubtask.values()).anySatisfy(ids -> assertThat(ids.get(0)).isZero());
    }

    @Test
    void unorderedModeDoesNotWaitForASlowInput() throws Exception {
        ProgramAsyncFunction fn = ProgramAsyncFunction.builder()
                .program(() -> gated(false))
                .lm(LmConfig.of(server.baseUrl(), "mock-model"))
                .concurrency(N)
                .build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);

        // The gate opens only once every other result has left the async operator: were q-0 to hold them back,
        // the job would never finish (and the test would time out).
        List<String> out = fn.unorderedWait(env.fromData(inputs())).map(new OpenGateAfterOthers())
                .returns(Types.STRING).executeAndCollect(N + 1);

        assertThat(out).hasSize(N).last().isEqualTo("q-0");
        assertThat(out).containsExactlyInAnyOrderElementsOf(inputs().stream().map(ProgramInput::id).toList());
    }

    /** {@code "<subtask> <id>"}; chained to the async operator, so it runs in the subtask that produced the result. */
    static final class TagSubtask extends RichMapFunction<ProgramResult, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String map(ProgramResult r) {
            assertThat(r.isSuccess()).as("%s", r).isTrue();
            return getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() + " " + r.id();
        }
    }

    /** Opens the gate once N - 1 results have been emitted. */
    static final class OpenGateAfterOthers extends RichMapFunction<ProgramResult, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String map(ProgramResult r) {
            assertThat(r.isSuccess()).as("%s", r).isTrue();
            if (EMITTED.incrementAndGet() == N - 1) {
                gate.complete(null);
            }
            return r.id();
        }
    }
}

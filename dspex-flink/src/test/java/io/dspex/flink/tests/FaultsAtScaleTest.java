package io.dspex.flink.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.flink.BatchJob;
import io.dspex.flink.LmConfig;
import io.dspex.flink.ProgramAsyncFunction;
import io.dspex.predict.Predict;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 rows through the whole job (FileSource, the program on two subtasks, FileSink with checkpoints) against a
 * loopback server under a deterministic fault plan: exactly one committed row per input, successes and recorded
 * errors as the retry policy implies, and exactly the requests it implies.
 */
// About 10 s on an idle 2-core machine; the margin is for a machine shared with other builds.
@Timeout(180)
class FaultsAtScaleTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final int N = 10_000;

    MockLmServer server;

    @BeforeEach
    void start() {
        server = Fixtures.echoServer().start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void tenThousandRowsWithTwentyPercentRetryableAndFivePercentNonRetryableFaults(@TempDir Path tmp)
            throws Exception {
        FaultPlan plan = new FaultPlan(3)
                .add(0, 5, Fault.status(500, "boom"), 1, true)
                .add(5, 10, Fault.status(429, "slow down").withRetryAfter(0), 2, true)
                .add(10, 15, Fault.status(503, "overloaded"), 1, true)
                .add(15, 20, Fault.resetBeforeHeaders(), 1, true)
                .add(20, 25, Fault.status(400, "bad request"), FaultPlan.ALWAYS, false);
        plan.install(server);
        Path out = tmp.resolve("out");
        BatchJob.Options options = BatchJob.Options.parse("--input", Fixtures.inputFile(tmp, N).toString(),
                "--output", out.toString(), "--signature", "question -> answer", "--parallelism", "2",
                "--concurrency", "32", "--checkpoint-ms", "200");
        ProgramAsyncFunction fn = ProgramAsyncFunction.builder()
                .program(() -> Predict.of("question -> answer").withRetry(Fixtures.FAST))
                .lm(LmConfig.of(server.baseUrl(), "mock-model"))
                .concurrency(options.concurrency())
                .build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        BatchJob.configure(env, options);
        BatchJob.build(env, options, fn);

        env.execute("faults at scale");

        List<JsonNode> rows = Fixtures.rows(out);
        assertThat(rows).hasSize(N);
        Map<String, JsonNode> byId = new HashMap<>();
        for (JsonNode row : rows) {
            assertThat(byId.put(row.get("id").asText(), row)).as("a second row for %s", row.get("id")).isNull();
        }
        Map<String, Integer> mismatches = new TreeMap<>();
        for (int i = 0; i < N; i++) {
            JsonNode row = byId.get("q-" + i);
            assertThat(row).as("row of q-%d", i).isNotNull();
            if (plan.attemptsOf(i) != plan.expectedAttempts(i)) {
                mismatches.merge(plan.entryOf(i) + " saw " + plan.attemptsOf(i), 1, Integer::sum);
            }
            if (plan.expectSuccess(i)) {
                assertThat(row.has("error")).as("q-%d: %s", i, row).isFalse();
                assertThat(row.get("answer").asText()).isEqualTo("A-" + i);
            } else {
                assertThat(row.get("error").asText()).as("q-%d", i).startsWith("BadRequest: ");
                assertThat(row.has("answer")).isFalse();
            }
        }
        assertThat(mismatches).as("inputs whose attempts differ from the policy's").isEmpty();
        assertThat(rows.stream().filter(r -> !r.has("error")).count()).isEqualTo(9_500);
        // 10,000 first attempts + 500 (500s) + 2 x 500 (429s) + 500 (503s) + 500 (resets); the 400s are not retried.
        assertThat(plan.expectedRequests(N)).isEqualTo(12_500);
        assertThat(server.requestCount()).isEqualTo(12_500);
    }
}

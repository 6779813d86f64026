package io.dspex.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The machinery of {@code benchmarks/run.sh --quick}, with tiny loads: every scenario and system runs (in this JVM
 * against an in-process MockLmServer), the JSON has the agreed shape and BENCHMARKS.md has a table per scenario;
 * then one scenario runs the way run.sh runs it, with the server and the client each in a JVM of its own. It checks
 * that the harness works, never how fast anything is.
 */
class HarnessSmokeTest {

    private static final List<Scenario> TINY = List.of(
            new Scenario("zero-latency-c64", Scenario.Kind.CLOSED_LOOP, 0, -1, Scenario.ZERO_LATENCY.systems()),
            new Scenario("latency-1s-10k", Scenario.Kind.BURST, 20, -1, Scenario.LATENCY_1S.systems()),
            new Scenario("stream-200", Scenario.Kind.STREAMS, 0, 0, Scenario.CLIENTS),
            new Scenario("evaluate-10k-50ms", Scenario.Kind.EVALUATE, 10, -1, Scenario.EVALUATE_10K.systems()),
            new Scenario("react-tools", Scenario.Kind.AGENT, 5, -1, Scenario.REACT_TOOLS.systems()),
            new Scenario("bootstrap-100", Scenario.Kind.BOOTSTRAP, 5, -1, Scenario.BOOTSTRAP_100.systems()),
            new Scenario("flink", Scenario.Kind.FLINK, 5, -1, Scenario.FLINK_JOB.systems()),
            Scenario.EMBED_LOCAL, Scenario.SEARCH_100K);

    private static Load tiny(Scenario s) {
        switch (s.kind()) {
            case CLOSED_LOOP:
                return new Load(4, 100, 300, 0, 0, 10_000);
            case BURST:
                return new Load(20, 0, 0, 20, 5, 10_000);
            case STREAMS:
                return new Load(4, 0, 0, 4, 1, 10_000);
            case AGENT:
                return new Load(4, 200, 500, 0, 0, 10_000);
            case BOOTSTRAP:
                return new Load(4, 100, 200, 10, 0, 10_000);
            default:
                return new Load(10, 0, 0, 50, 10, 10_000);
        }
    }

    @Test
    void everyScenarioAndSystemRunsAndTheReportsAreWritten(@TempDir Path dir) throws Exception {
        Harness.Config config = new Harness.Config(true, 1, TINY, HarnessSmokeTest::tiny, false, false, null);
        Report report = new Harness(config).run();
        Path json = dir.resolve("target/benchmark-results.json");
        Path md = dir.resolve("BENCHMARKS.md");
        report.write(json, md);

        JsonNode root = ClientMain.JSON.readTree(json.toFile());
        assertThat(root.path("jdk").asText()).isNotBlank();
        assertThat(root.path("cpus").asInt()).isPositive();
        JsonNode runs = root.path("runs");
        assertThat(runs).hasSize(8 + 6 + 5 + 2 + 2 + 1 + 4 + 2 + 1);
        for (JsonNode run : runs) {
            String where = run.path("scenario").asText() + "/" + run.path("system").asText();
            if (List.of("flink", "embed-local", "search-100k").contains(run.path("scenario").asText())) {
                assertThat(run.path("note").asText()).as(where).contains("not run: no full class path");
                continue;
            }
            for (String field : List.of("scenario", "system", "throughput_per_s", "p50_ms", "p99_ms", "wall_s",
                    "peak_threads", "peak_heap_mb")) {
                assertThat(run.has(field)).as(where + " has " + field).isTrue();
            }
            assertThat(run.path("errors").asLong()).as(where + " errors, note: " + run.path("note")).isZero();
            assertThat(run.path("throughput_per_s").asDouble()).as(where + " throughput").isPositive();
            assertThat(run.path("peak_threads").asInt()).as(where + " threads").isPositive();
        }
        for (String sys : List.of(Scenario.RAW, Scenario.RAW_DEFAULT, Scenario.OPENAI_JAVA,
                Scenario.OPENAI_JAVA_DEFAULT, Scenario.LANGCHAIN4J)) {
            assertThat(find(runs, "zero-latency-c64", sys).path("connections_opened").asLong())
                    .as(sys + " connections counted at the server").isPositive();
        }
        assertThat(find(runs, "zero-latency-c64", Scenario.OPENAI_JAVA).path("connections_opened").asLong())
                .as("a pool sized to the load keeps its connections").isLessThanOrEqualTo(4 + 1);
        JsonNode first = runs.get(0);
        assertThat(first.path("p50_ms").isNumber()).isTrue();
        assertThat(first.path("client_cpu_us_per_call").asDouble()).as("closed loop measures client CPU").isPositive();
        assertThat(first.path("wall_s").isNull()).as("closed loop measures no wall time").isTrue();
        JsonNode stream = find(runs, "stream-200", Scenario.PREDICT);
        assertThat(stream.path("first_chunk_p50_ms").isNumber()).isTrue();
        assertThat(stream.path("completed").asLong()).isEqualTo(4);
        assertThat(find(runs, "evaluate-10k-50ms", Scenario.EVALUATE).path("note").asText()).contains("score 100.0%");
        JsonNode burst = find(runs, "latency-1s-10k", Scenario.PREDICT);
        assertThat(burst.path("wall_s").isNumber()).as("warm-pool burst wall time").isTrue();
        assertThat(burst.path("cold_wall_s").isNumber()).as("first (cold-pool) burst wall time").isTrue();
        assertThat(find(runs, "zero-latency-c64", Scenario.RAW_DEFAULT).path("completed").asLong()).isPositive();
        assertThat(find(runs, "react-tools", Scenario.REACT).path("completed").asLong()).isPositive();
        assertThat(find(runs, "react-tools", Scenario.LANGCHAIN4J_AGENT).path("completed").asLong()).isPositive();
        assertThat(find(runs, "bootstrap-100", Scenario.BOOTSTRAP).path("wall_s").asDouble()).isPositive();
        assertThat(root.path("iterations_raw")).hasSize(runs.size());

        String text = Files.readString(md);
        assertThat(text).contains("## Machine", "## Method", "## Targets", "## zero-latency-c64", "## latency-1s-10k",
                "## stream-200", "## evaluate-10k-50ms", "| langchain4j |", "| openai-java |", "x raw",
                "| reactor-netty-raw-default |", "cold-pool wall s", "every fork", "connections",
                "dspex-predict >= 0.85x reactor-netty-raw", "## react-tools", "## bootstrap-100", "## flink",
                "## embed-local", "## search-100k", "dspex-local-embedder >= 1.00x langchain4j-embedder",
                "dspex-react >= 2.00x langchain4j-agent", "dspex-bootstrap wall time <= 1.2x ideal",
                "wall time <= 1.10x reactor-netty-raw's", "dspex-predict-observed >= 0.90x dspex-predict",
                "| dspex-predict-observed |", "client CPU us/call", "quick (smoke) run", "JMH not run");
        assertThat(text).containsPattern("\\| (\\*\\*met\\*\\*|\\*\\*missed\\*\\*) \\|");
    }

    @Test
    void aScenarioRunsWithServerAndClientInJvmsOfTheirOwn() throws Exception {
        Scenario one = new Scenario("zero-latency-c64", Scenario.Kind.CLOSED_LOOP, 0, -1, List.of(Scenario.RAW));
        Harness.Config config = new Harness.Config(true, 1, List.of(one),
                s -> new Load(2, 100, 200, 0, 0, 10_000), true, false, null);
        Report report = new Harness(config).run();
        assertThat(report.iterations()).hasSize(1);
        Result r = report.results().get(0);
        assertThat(r.note()).isNull();
        assertThat(r.completed()).isPositive();
        assertThat(r.errors()).isZero();
    }

    @Test
    void aFirstBurstThatMissesItsDeadlineIsReportedInsteadOfTheMeasuredOne() throws Exception {
        java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
        Systems.Target never = new Systems.Target() {
            @Override
            public java.util.concurrent.CompletableFuture<?> call() {
                started.incrementAndGet();
                return new java.util.concurrent.CompletableFuture<>();
            }

            @Override
            public java.util.concurrent.CompletableFuture<Integer> stream(Runnable firstChunk) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void close() {
            }
        };
        Result r = LoadRun.burst("latency-1s-10k", "stuck", never, new Load(3, 0, 0, 3, 3, 200));
        assertThat(started).as("the measured burst never starts behind the stuck first one").hasValue(3);
        assertThat(r.wallS()).isNull();
        assertThat(r.coldWallS()).isNull();
        assertThat(r.completed()).isZero();
        assertThat(r.note()).isEqualTo("the first (cold-pool) burst completed only 0 of 3 calls within the 0 s "
                + "deadline, so the measured burst was not run");
    }

    @Test
    void theSummaryIsTheMedianForkWholeAndNamesEveryFailedFork() {
        Result a = fork(100.0, 1.0, 9.0, 0);
        Result b = fork(300.0, 3.0, 7.0, 0);
        Result c = fork(200.0, 2.0, 8.0, 0);
        Result failed = fork(500.0, 0.5, 0.9, 12);
        Result s = Harness.summary(List.of(a, failed, b, c));
        assertThat(s.throughputPerS()).as("median of the forks that did not fail: the slower middle one")
                .isEqualTo(200.0);
        assertThat(s.p50Ms()).as("p50 of the same fork").isEqualTo(2.0);
        assertThat(s.p99Ms()).as("p99 of the same fork").isEqualTo(8.0);
        assertThat(s.iterations()).isEqualTo(3);
        assertThat(s.errors()).as("errors of every fork").isEqualTo(12);
        assertThat(s.note()).contains("fork 2 of 4 failed (12 errors)");
    }

    @Test
    void aQuickOrPartialRunNeverWritesBenchmarksMd() {
        Args none = Args.parse(new String[0]);
        assertThat(Harness.outputs(none, true, false, "abc1234", "2026-11-28")[0].toString())
                .isEqualTo("benchmarks/results/2026-11-28-abc1234.json");
        assertThat(Harness.outputs(none, true, false, "abc1234", "2026-11-28")[1].toString())
                .isEqualTo("BENCHMARKS.md");
        assertThat(Harness.outputs(none, false, true, "abc1234", "2026-11-28")[1].toString())
                .isEqualTo("benchmarks/target/BENCHMARKS-quick.md");
        assertThat(Harness.outputs(none, false, false, "abc1234", "2026-11-28")[0].toString())
                .isEqualTo("benchmarks/target/benchmark-results-partial.json");
        Args pointed = Args.parse(new String[] {"--markdown", "BENCHMARKS.md"});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Harness.outputs(pointed, false, true, "a", "d"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("full runs only");
    }

    @Test
    void langChain4jSpeaksHttp11ToTheCleartextServerWithoutAskingForAnUpgrade() throws Exception {
        try (io.dspex.test.MockLmServer server = io.dspex.test.MockLmServer.create().reply(Workload.REPLY).start();
             Systems.Target lc4j = Systems.create(Scenario.LANGCHAIN4J, server.baseUrl(), 2)) {
            lc4j.call().get(30, java.util.concurrent.TimeUnit.SECONDS);
            io.dspex.test.ParsedRequest seen = server.lastRequest();
            assertThat(seen).isNotNull();
            assertThat(seen.header("upgrade")).as("no h2c upgrade").isNull();
            assertThat(seen.header("http2-settings")).isNull();
        }
    }

    @Test
    void openAiJavaSizedToTheLoadRunsMoreThanOkHttpsDefault64RequestsAtOnce() throws Exception {
        int load = 80;
        try (io.dspex.test.MockLmServer server = io.dspex.test.MockLmServer.create().reply(Workload.REPLY)
                .recordRequests(false).latency(java.time.Duration.ofSeconds(3)).start();
             Systems.Target sdk = Systems.create(Scenario.OPENAI_JAVA, server.baseUrl(), load)) {
            List<java.util.concurrent.CompletableFuture<?>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < load; i++) {
                calls.add(sdk.call());
            }
            java.util.concurrent.CompletableFuture.allOf(calls.toArray(new java.util.concurrent.CompletableFuture[0]))
                    .get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(server.connectionsOpened()).as("every call of the burst on a connection of its own")
                    .isEqualTo(load);
        }
    }

    @Test
    void secondsAreNotRoundedAway() {
        assertThat(Report.seconds(1_500)).isEqualTo("1.5 s");
        assertThat(Report.seconds(15_000)).isEqualTo("15 s");
        assertThat(Report.seconds(350)).isEqualTo("0.35 s");
    }

    private static Result fork(double throughput, double p50, double p99, long errors) {
        return new Result("zero-latency-c64", Scenario.PREDICT, throughput, p50, p99, null, null, 10, 100.0, null, null,
                1000L, errors, 1, null, 20.0, 64L);
    }

    private static JsonNode find(JsonNode runs, String scenario, String system) {
        for (JsonNode r : runs) {
            if (r.path("scenario").asText().equals(scenario) && r.path("system").asText().equals(system)) {
                return r;
            }
        }
        throw new AssertionError("no run for " + scenario + "/" + system);
    }
}

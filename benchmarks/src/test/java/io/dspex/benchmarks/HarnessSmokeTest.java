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
            new Scenario("evaluate-10k-50ms", Scenario.Kind.EVALUATE, 10, -1, Scenario.EVALUATE_10K.systems()));

    private static Load tiny(Scenario s) {
        switch (s.kind()) {
            case CLOSED_LOOP:
                return new Load(4, 100, 300, 0, 0, 10_000);
            case BURST:
                return new Load(20, 0, 0, 20, 5, 10_000);
            case STREAMS:
                return new Load(4, 0, 0, 4, 1, 10_000);
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
        assertThat(runs).hasSize(7 + 6 + 5 + 2);
        for (JsonNode run : runs) {
            String where = run.path("scenario").asText() + "/" + run.path("system").asText();
            for (String field : List.of("scenario", "system", "throughput_per_s", "p50_ms", "p99_ms", "wall_s",
                    "peak_threads", "peak_heap_mb")) {
                assertThat(run.has(field)).as(where + " has " + field).isTrue();
            }
            assertThat(run.path("errors").asLong()).as(where + " errors, note: " + run.path("note")).isZero();
            assertThat(run.path("throughput_per_s").asDouble()).as(where + " throughput").isPositive();
            assertThat(run.path("peak_threads").asInt()).as(where + " threads").isPositive();
        }
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
        assertThat(find(runs, "zero-latency-c64", Scenario.RAW_WHEEL).path("completed").asLong()).isPositive();

        String text = Files.readString(md);
        assertThat(text).contains("## Machine", "## Method", "## Targets", "## zero-latency-c64", "## latency-1s-10k",
                "## stream-200", "## evaluate-10k-50ms", "| langchain4j |", "| openai-java |", "x raw",
                "| reactor-netty-raw-wheel |", "cold-pool wall s",
                "dspex-predict >= 0.85x reactor-netty-raw", "dspex-predict-observed >= 0.90x dspex-predict",
                "| dspex-predict-observed |", "client CPU us/call", "JMH not run");
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

    private static JsonNode find(JsonNode runs, String scenario, String system) {
        for (JsonNode r : runs) {
            if (r.path("scenario").asText().equals(scenario) && r.path("system").asText().equals(system)) {
                return r;
            }
        }
        throw new AssertionError("no run for " + scenario + "/" + system);
    }
}

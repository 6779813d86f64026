package io.dspex.benchmarks;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The results of one run, written as JSON and as BENCHMARKS.md.
 *
 * @param machine     where it ran
 * @param config      what ran
 * @param results     the median per scenario and system
 * @param iterations  every iteration
 * @param jmh         the JMH adapter benchmarks (empty when skipped)
 * @param jmhNote     why JMH results are missing, or null
 * @param loadBefore  load average when the run started
 * @param loadAfter   load average when it ended
 * @param minutes     how long the run took
 */
record Report(Machine machine, Harness.Config config, List<Result> results, List<Result> iterations,
              List<JmhResult> jmh, String jmhNote, String loadBefore, String loadAfter, double minutes) {

    /** Hand-written analysis kept beside the generator and included in BENCHMARKS.md when present. */
    static final Path ANALYSIS = Path.of("benchmarks", "ANALYSIS.md");

    /**
     * One JMH benchmark's result.
     *
     * @param benchmark  the method
     * @param mode       JMH's mode
     * @param score      the score
     * @param scoreError the 99.9% error
     * @param unit       the unit
     */
    record JmhResult(@JsonProperty("benchmark") String benchmark, @JsonProperty("mode") String mode,
                     @JsonProperty("score") double score, @JsonProperty("score_error") double scoreError,
                     @JsonProperty("unit") String unit) {
    }

    /**
     * One target checked against the figures.
     *
     * @param scenario where
     * @param what     the target, in words
     * @param measured the figure, in words
     * @param met      whether met, or empty when it could not be measured
     */
    record Target(String scenario, String what, String measured, Optional<Boolean> met) {
        String verdict() {
            return met.map(m -> m ? "**met**" : "**missed**").orElse("not measured");
        }
    }

    void write(Path json, Path markdown) throws IOException {
        if (json.toAbsolutePath().getParent() != null) {
            Files.createDirectories(json.toAbsolutePath().getParent());
        }
        Files.writeString(json, Harness.prettyJson(this) + "\n", StandardCharsets.UTF_8);
        if (markdown.toAbsolutePath().getParent() != null) {
            Files.createDirectories(markdown.toAbsolutePath().getParent());
        }
        String analysis = Files.exists(ANALYSIS) ? Files.readString(ANALYSIS, StandardCharsets.UTF_8) : null;
        Files.writeString(markdown, markdown(analysis), StandardCharsets.UTF_8);
    }

    Optional<Result> find(String scenario, String system) {
        return results.stream().filter(r -> r.scenario().equals(scenario) && r.system().equals(system)).findFirst();
    }

    // ------------------------------------------------------------------ targets

    List<Target> targets() {
        List<Target> t = new ArrayList<>();
        String z = Scenario.ZERO_LATENCY.name();
        if (has(z)) {
            t.add(throughputRatio(z, Scenario.PREDICT, Scenario.RAW, 0.85));
            t.add(throughputRatio(z, Scenario.PREDICT, Scenario.LANGCHAIN4J, 2.0));
            t.add(throughputRatio(z, Scenario.PREDICT, Scenario.OPENAI_JAVA, 1.5));
            t.add(throughputRatio(z, Scenario.LM_CALL, Scenario.RAW, 0.9));
            t.add(throughputRatio(z, Scenario.PREDICT_OBSERVED, Scenario.PREDICT, 0.9));
        }
        String b = Scenario.LATENCY_1S.name();
        if (has(b)) {
            for (String sys : List.of(Scenario.LM_CALL, Scenario.PREDICT, Scenario.PREDICT_OBSERVED)) {
                Optional<Result> r = find(b, sys);
                Double wall = r.map(Result::wallS).orElse(null);
                Double cold = r.map(Result::coldWallS).orElse(null);
                t.add(new Target(b, sys + " wall time <= 1.5 s (warm pool)", wall == null ? "did not finish"
                        : fmt(wall, 2) + " s" + (cold == null ? "" : " (cold pool: " + fmt(cold, 2) + " s)"), r.isEmpty() ? Optional.empty() : Optional.of(wall != null && wall <= 1.5)));
                Integer threads = r.map(Result::peakThreads).orElse(null);
                t.add(new Target(b, sys + " peak live threads <= 64", threads == null ? "-" : threads.toString(),
                        threads == null ? Optional.empty() : Optional.of(threads <= 64)));
                Double heap = r.map(Result::peakHeapMb).orElse(null);
                t.add(new Target(b, sys + " peak heap used <= 512 MB", heap == null ? "-" : fmt(heap, 0) + " MB",
                        heap == null ? Optional.empty() : Optional.of(heap <= 512)));
            }
        }
        String e = Scenario.EVALUATE_10K.name();
        if (has(e)) {
            Optional<Result> r = find(e, Scenario.EVALUATE);
            Scenario es = config.scenarios().stream().filter(x -> x.name().equals(e)).findFirst().orElseThrow();
            double ideal = LoadRun.idealSeconds(es, config.loads().apply(es));
            Double wall = r.map(Result::wallS).orElse(null);
            t.add(new Target(e, Scenario.EVALUATE + " wall time <= 1.1x ideal (" + fmt(1.1 * ideal, 2) + " s)",
                    wall == null ? "did not finish" : fmt(wall, 2) + " s = " + fmt(wall / ideal, 3) + "x ideal",
                    r.isEmpty() ? Optional.empty() : Optional.of(wall != null && wall <= 1.1 * ideal)));
        }
        for (JmhResult j : jmh) {
            Double goal = j.benchmark().equals("simpleQa") ? Double.valueOf(500_000)
                    : j.benchmark().equals("typedWithDemo") ? Double.valueOf(100_000) : null;
            if (goal != null && j.unit().equals("ops/s")) {
                t.add(new Target("AdapterBenchmark", j.benchmark() + " >= " + fmt(goal, 0) + " ops/s (one thread)",
                        fmt(j.score(), 0) + " ops/s", Optional.of(j.score() >= goal)));
            }
        }
        return t;
    }

    private boolean has(String scenario) {
        return results.stream().anyMatch(r -> r.scenario().equals(scenario));
    }

    private Target throughputRatio(String scenario, String system, String reference, double min) {
        Double a = find(scenario, system).map(Result::throughputPerS).orElse(null);
        Double b = find(scenario, reference).map(Result::throughputPerS).orElse(null);
        String what = system + " >= " + fmt(min, 2) + "x " + reference + " (throughput)";
        if (a == null || b == null || b == 0) {
            return new Target(scenario, what, "-", Optional.empty());
        }
        double ratio = a / b;
        return new Target(scenario, what, fmt(ratio, 2) + "x (" + fmt(a, 0) + " vs " + fmt(b, 0) + " calls/s)",
                Optional.of(ratio >= min));
    }

    // ------------------------------------------------------------------ markdown

    String markdown(String analysis) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("DSPEx side by side with a bare Reactor Netty client, LangChain4j and the official OpenAI Java SDK, ")
                .append("all calling the same OpenAI-compatible mock server in the same run. Generated by ")
                .append("`benchmarks/run.sh").append(config.quick() ? " --quick" : "").append("` on ")
                .append(machine.date()).append(" in ").append(fmt(minutes, 1)).append(" minutes")
                .append(config.quick() ? " — a **quick** (smoke) run with reduced loads: its figures are indicative only" : "")
                .append(". Regenerate with `benchmarks/run.sh` (full, under 20 minutes on 2 cores) or ")
                .append("`benchmarks/run.sh --quick` (under 3 minutes); raw figures are in ")
                .append("`benchmarks/target/benchmark-results.json`.\n\n");

        md.append("## Machine\n\n| | |\n|---|---|\n");
        md.append("| cores | ").append(machine.cpus()).append(" |\n");
        md.append("| memory | ").append(fmt(machine.memoryGb(), 1)).append(" GB |\n");
        md.append("| CPU | ").append(machine.cpuModel()).append(" |\n");
        md.append("| JDK | ").append(machine.jdk()).append(" |\n");
        md.append("| date (UTC) | ").append(machine.date()).append(" |\n");
        md.append("| load average (1, 5, 15 min) | before: ").append(loadBefore).append("; after: ").append(loadAfter)
                .append(" |\n\n");
        // Only the load before the run says whether other work shared the machine: the run itself (client, server
        // and their JIT threads) keeps the load average above the core count, so the "after" figure always is.
        double before = Machine.load1(loadBefore);
        if (before > machine.cpus()) {
            md.append("**The machine was busy when the run started** (load average ").append(fmt(before, 1))
                    .append(" on ").append(machine.cpus()).append(" cores): absolute figures are low and noisy. ")
                    .append("Ratios between systems measured in the same run, with their iterations interleaved, ")
                    .append("are what count.\n\n");
        } else {
            md.append("The run's own client and server keep the load average above the core count while it runs "
                    + "(the \"after\" figure); ratios between systems measured in the same run, with their "
                    + "iterations interleaved, are what count.\n\n");
        }

        md.append("## Method\n\n");
        md.append("- **Server**: `MockLmServer` from the test kit (`dspex-reactor-test`) in its own JVM (")
                .append(String.join(" ", Harness.SERVER_JVM)).append("), started per scenario with the scenario's ")
                .append("fixed latency; it answers every chat request with a ChatAdapter reply ")
                .append("(`[[ ## answer ## ]]` … `[[ ## completed ## ]]`) and records nothing.\n");
        md.append("- **Clients**: each system runs in a fresh JVM per scenario and iteration (")
                .append(String.join(" ", Harness.CLIENT_JVM)).append("), ").append(config.iterations())
                .append(config.iterations() == 1 ? " iteration" : " iterations")
                .append(" per system, interleaved (A, B, C, …, then B, C, …, A: the order rotates each iteration), after ")
                .append("one unmeasured fork that warms the server up; the tables show the median.\n");
        md.append("- **Same request**: every system sends the messages that DSPEx's `ChatAdapter` formats for ")
                .append("`question -> answer` (system + user message). `reactor-netty-raw` POSTs the exact bytes ")
                .append("`OpenAiCompatibleLm` sends (captured from a mock server's recorded request) and reads the ")
                .append("body without parsing it; LangChain4j and the OpenAI SDK serialize the same messages their ")
                .append("own way.\n");
        md.append("- **Systems**: `reactor-netty-raw` (bare `HttpClient` POST: the limit of the stack), `reactor-netty-raw-wheel` (zero-latency only: the same given the two settings `OpenAiCompatibleLm` uses, its pending-acquire timer and a parsed `URI`, to show what those choices alone are worth; targets compare with `reactor-netty-raw`), ")
                .append("`dspex-lm-call` (`OpenAiCompatibleLm.call`/`stream`), `dspex-predict` (`Predict.forward` / ")
                .append("`stream` with the `ChatAdapter`: formatting, call, parsing), `dspex-predict-observed` (the same ")
                .append("with observations on: the gen_ai meters into a `SimpleMeterRegistry` and spans to the no-op ")
                .append("tracer; two observations per call), `langchain4j` (")
                .append("`langchain4j-open-ai` `OpenAiChatModel`, blocking, driven from a fixed thread pool the size ")
                .append("of the concurrency; `OpenAiStreamingChatModel` for streams), `openai-java` (the official SDK's ")
                .append("async OkHttp client with its defaults; it caps requests in flight at OkHttp's 64). ")
                .append("Reactor Netty clients get a connection pool the size of the concurrency.\n");
        md.append("- **Measures**: latencies are client-side, per call, in an HdrHistogram; peak threads are ")
                .append("`ThreadMXBean`'s peak live thread count of the client JVM (all its threads) during the ")
                .append("measured phase; peak heap is the largest heap-used value sampled every 5 ms then (garbage not ")
                .append("yet collected included); client CPU per call (closed loop) is the client JVM's CPU time in the ")
                .append("measured phase over the calls completed, which other load on the machine disturbs less than ")
                .append("throughput.\n");
        md.append("- **Ratios**: `x raw` and `x predict` compare speed with `reactor-netty-raw` and `dspex-predict`: ")
                .append("throughput ÷ theirs for calls, their time ÷ this time for streams (time to last chunk); ")
                .append("above 1 is faster.\n\n");

        List<Target> targets = targets();
        if (!targets.isEmpty()) {
            md.append("## Targets\n\n| scenario | target | measured | |\n|---|---|---|---|\n");
            for (Target t : targets) {
                md.append("| ").append(t.scenario()).append(" | ").append(t.what()).append(" | ").append(t.measured())
                        .append(" | ").append(t.verdict()).append(" |\n");
            }
            md.append('\n');
        }

        for (Scenario s : config.scenarios()) {
            List<Result> rows = s.systems().stream().map(sys -> find(s.name(), sys)).flatMap(Optional::stream).toList();
            if (rows.isEmpty()) {
                continue;
            }
            Load load = config.loads().apply(s);
            md.append("## ").append(s.name()).append("\n\n").append(describe(s, load)).append("\n\n");
            switch (s.kind()) {
                case CLOSED_LOOP:
                    table(md, s, rows, List.of("throughput/s", "p50 ms", "p99 ms", "peak threads", "peak heap MB",
                                    "client CPU us/call"),
                            List.of(r -> fmt(r.throughputPerS(), 0), r -> fmt(r.p50Ms(), 2), r -> fmt(r.p99Ms(), 2),
                                    r -> str(r.peakThreads()), r -> fmt(r.peakHeapMb(), 0),
                                    r -> fmt(r.clientCpuUsPerCall(), 1)),
                            Result::throughputPerS, true);
                    break;
                case BURST:
                    table(md, s, rows, List.of("wall s", "cold-pool wall s", "calls/s", "p50 ms", "p99 ms",
                                    "peak threads", "peak heap MB"),
                            List.of(r -> fmt(r.wallS(), 2), r -> fmt(r.coldWallS(), 2), r -> fmt(r.throughputPerS(), 0),
                                    r -> fmt(r.p50Ms(), 0),
                                    r -> fmt(r.p99Ms(), 0), r -> str(r.peakThreads()), r -> fmt(r.peakHeapMb(), 0)),
                            Result::throughputPerS, true);
                    break;
                case STREAMS:
                    table(md, s, rows, List.of("first chunk p50 ms", "first chunk p99 ms", "last chunk p50 ms",
                                    "last chunk p99 ms", "wall s", "peak threads", "peak heap MB"),
                            List.of(r -> fmt(r.firstChunkP50Ms(), 1), r -> fmt(r.firstChunkP99Ms(), 1),
                                    r -> fmt(r.p50Ms(), 1), r -> fmt(r.p99Ms(), 1), r -> fmt(r.wallS(), 2),
                                    r -> str(r.peakThreads()), r -> fmt(r.peakHeapMb(), 0)),
                            Result::p50Ms, false);
                    break;
                case EVALUATE: {
                    double ideal = LoadRun.idealSeconds(s, load);
                    md.append("| system | wall s | ideal s | x ideal | examples/s | peak threads | peak heap MB | ")
                            .append("notes |\n|---|---|---|---|---|---|---|---|\n");
                    for (Result r : rows) {
                        md.append("| ").append(r.system()).append(" | ").append(fmt(r.wallS(), 2)).append(" | ")
                                .append(fmt(ideal, 1)).append(" | ")
                                .append(r.wallS() == null ? "-" : fmt(r.wallS() / ideal, 3)).append(" | ")
                                .append(fmt(r.throughputPerS(), 0)).append(" | ").append(str(r.peakThreads()))
                                .append(" | ").append(fmt(r.peakHeapMb(), 0)).append(" | ").append(notes(r))
                                .append(" |\n");
                    }
                    md.append('\n');
                    break;
                }
                default:
                    break;
            }
        }

        md.append("## AdapterBenchmark (JMH)\n\n");
        if (jmh.isEmpty()) {
            md.append(jmhNote == null ? "No results." : jmhNote).append("\n\n");
        } else {
            md.append("`ChatAdapter` format + parse on one thread (")
                    .append(config.quick() ? "-wi 1 -i 2 -w 1s -r 1s" : "-wi 3 -i 5 -w 2s -r 2s")
                    .append(", one fork).\n\n| benchmark | mode | score | ± error | unit |\n|---|---|---|---|---|\n");
            for (JmhResult j : jmh) {
                md.append("| ").append(j.benchmark()).append(" | ").append(j.mode()).append(" | ")
                        .append(fmt(j.score(), 0)).append(" | ").append(fmt(j.scoreError(), 0)).append(" | ")
                        .append(j.unit()).append(" |\n");
            }
            md.append('\n');
        }
        if (analysis != null && !analysis.isBlank()) {
            md.append(analysis.strip()).append('\n');
        }
        return md.toString();
    }

    private static String describe(Scenario s, Load load) {
        switch (s.kind()) {
            case CLOSED_LOOP:
                return String.format(Locale.ROOT, "%d calls in flight (each completion starts the next) against "
                        + "%d ms server latency: %.0f s warm-up, then %.0f s measured.", load.concurrency(),
                        s.latencyMs(), load.warmupMs() / 1000.0, load.measureMs() / 1000.0);
            case BURST:
                return String.format(Locale.ROOT, "%,d calls started at once against %d ms server latency, after "
                        + "two unmeasured bursts of %,d: the first opens the connections, the second runs on the warm "
                        + "pool so that the measured burst meets compiled code, as in a running service. A full garbage "
                        + "collection and a 0.5 s pause come before each later burst, so that none pays for the "
                        + "previous one's promoted garbage. Each client's pool (or thread pool) is %,d. Wall time is "
                        + "from the first call to the last completion; the first burst's wall time is shown as the "
                        + "cold-pool figure (every call opens a new connection). A system that misses the %d s deadline "
                        + "shows what it completed.", load.calls(), s.latencyMs(), load.warmupCalls(),
                        load.concurrency(), load.deadlineMs() / 1000);
            case STREAMS:
                return String.format(Locale.ROOT, "%,d streams opened at once (after an unmeasured round of %,d), "
                        + "each of %d content chunks (SSE events) that the server sends %d ms apart, so a stream "
                        + "lasts at least %.1f s; times are from the call to the first chunk and to the end.",
                        load.calls(), load.warmupCalls(), Workload.STREAM_CHUNKS, s.streamInterval(),
                        Workload.STREAM_CHUNKS * s.streamInterval() / 1000.0);
            case EVALUATE:
                return String.format(Locale.ROOT, "`Evaluate` over %,d examples at concurrency %d against %d ms "
                        + "latency (after an unmeasured run of %,d), exact-match metric; ideal = examples ÷ "
                        + "concurrency × latency = %.1f s. `dspex-evaluate` runs `Predict` over HTTP against the "
                        + "server; `dspex-evaluate-no-http` runs a program that answers after a 50 ms timer "
                        + "(Evaluate's own overhead).", load.calls(), load.concurrency(), s.latencyMs(),
                        load.warmupCalls(), LoadRun.idealSeconds(s, load));
            default:
                return "";
        }
    }

    private void table(StringBuilder md, Scenario s, List<Result> rows, List<String> headers,
                       List<Function<Result, String>> cells, Function<Result, Double> speed, boolean higherIsFaster) {
        md.append("| system | ").append(String.join(" | ", headers)).append(" | x raw | x predict | notes |\n|---");
        md.append("|---".repeat(headers.size() + 3)).append("|\n");
        Double raw = find(s.name(), Scenario.RAW).map(speed).orElse(null);
        Double predict = find(s.name(), Scenario.PREDICT).map(speed).orElse(null);
        for (Result r : rows) {
            md.append("| ").append(r.system());
            for (Function<Result, String> c : cells) {
                md.append(" | ").append(c.apply(r));
            }
            Double v = speed.apply(r);
            md.append(" | ").append(ratio(v, raw, higherIsFaster)).append(" | ").append(ratio(v, predict, higherIsFaster))
                    .append(" | ").append(notes(r)).append(" |\n");
        }
        md.append('\n');
    }

    private static String ratio(Double v, Double ref, boolean higherIsFaster) {
        if (v == null || ref == null || v == 0 || ref == 0) {
            return "-";
        }
        return fmt(higherIsFaster ? v / ref : ref / v, 2);
    }

    private static String notes(Result r) {
        List<String> n = new ArrayList<>();
        if (r.errors() != null && r.errors() > 0) {
            n.add(r.errors() + " errors");
        }
        if (r.iterations() != null && r.iterations() > 0) {
            n.add("median of " + r.iterations());
        }
        if (r.note() != null) {
            n.add(r.note().replace("|", "/").replace("\n", " "));
        }
        return String.join("; ", n);
    }

    private static String str(Object o) {
        return o == null ? "-" : o.toString();
    }

    static String fmt(Double d, int decimals) {
        if (d == null || d.isNaN()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", d);
    }
}

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
 * @param provenance  the commit measured and where the figures are kept
 */
record Report(Machine machine, Harness.Config config, List<Result> results, List<Result> iterations,
              List<JmhResult> jmh, String jmhNote, String loadBefore, String loadAfter, double minutes,
              Provenance provenance) {

    /**
     * Where the figures come from.
     *
     * @param commit   the commit the jar was built from ({@code git rev-parse --short HEAD}), or "unknown"
     * @param dirty    whether the work tree had uncommitted changes
     * @param jsonName the results file's name
     * @param full     whether this is a full run (the only kind that writes BENCHMARKS.md)
     */
    record Provenance(String commit, boolean dirty, String jsonName, boolean full) {
    }

    Report(Machine machine, Harness.Config config, List<Result> results, List<Result> iterations,
           List<JmhResult> jmh, String jmhNote, String loadBefore, String loadAfter, double minutes) {
        this(machine, config, results, iterations, jmh, jmhNote, loadBefore, loadAfter, minutes,
                new Provenance("unknown", false, "benchmark-results.json", false));
    }

    Report withProvenance(String commit, boolean dirty, String jsonName, boolean full) {
        return new Report(machine, config, results, iterations, jmh, jmhNote, loadBefore, loadAfter, minutes,
                new Provenance(commit, dirty, jsonName, full));
    }

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

    /** @return every fork of a system in run order (failed ones included) */
    List<Result> forks(String scenario, String system) {
        return iterations.stream().filter(r -> r.scenario().equals(scenario) && r.system().equals(system)).toList();
    }

    /** @return whether a system had a fork that failed (no figures, errors, or a missed deadline) */
    private boolean anyFailed(String scenario, String system) {
        return forks(scenario, system).stream().anyMatch(Result::failedFork)
                || find(scenario, system).map(r -> r.completed() == null || r.iterations() == 0).orElse(true);
    }

    // ------------------------------------------------------------------ targets

    /**
     * The targets, judged on the representative (median) fork of each system; a target of a system with a failed
     * fork is missed whatever its median, and the measured text says so.
     */
    List<Target> targets() {
        List<Target> t = new ArrayList<>();
        String z = Scenario.ZERO_LATENCY.name();
        if (has(z)) {
            t.add(throughputRatio(z, Scenario.PREDICT, Scenario.RAW, 0.85));
            t.add(throughputRatio(z, Scenario.LM_CALL, Scenario.RAW, 0.9));
            t.add(throughputRatio(z, Scenario.PREDICT, Scenario.LANGCHAIN4J, 2.0));
            t.add(throughputRatio(z, Scenario.PREDICT, Scenario.OPENAI_JAVA, 1.5));
            t.add(throughputRatio(z, Scenario.PREDICT_OBSERVED, Scenario.PREDICT, 0.9));
        }
        String b = Scenario.LATENCY_1S.name();
        if (has(b)) {
            Double raw = find(b, Scenario.RAW).map(Result::wallS).orElse(null);
            for (String sys : List.of(Scenario.LM_CALL, Scenario.PREDICT, Scenario.PREDICT_OBSERVED)) {
                Optional<Result> r = find(b, sys);
                if (r.isEmpty()) {
                    continue;
                }
                Double wall = r.map(Result::wallS).orElse(null);
                Double cold = r.map(Result::coldWallS).orElse(null);
                String measured = wall == null ? "did not finish"
                        : wall(wall) + (raw == null ? "" : " vs " + wall(raw) + " = " + fmt(wall / raw, 3) + "x")
                        + (cold == null ? "" : "; cold pool " + wall(cold)) + "; absolute goal 1.5 s "
                        + (wall <= 1.5 ? "held" : "not held") + " on this machine";
                t.add(judged(b, sys, sys + " wall time <= 1.10x " + Scenario.RAW + "'s (warm pool, same run)",
                        measured, wall == null || raw == null ? Optional.empty() : Optional.of(wall <= 1.1 * raw)));
                Integer threads = r.map(Result::peakThreads).orElse(null);
                t.add(judged(b, sys, sys + " peak live threads <= 64", threads == null ? "-" : threads.toString(),
                        threads == null ? Optional.empty() : Optional.of(threads <= 64)));
                Double heap = r.map(Result::peakHeapMb).orElse(null);
                t.add(judged(b, sys, sys + " peak heap used <= 512 MB", heap == null ? "-" : fmt(heap, 0) + " MB",
                        heap == null ? Optional.empty() : Optional.of(heap <= 512)));
            }
        }
        String e = Scenario.EVALUATE_10K.name();
        if (has(e)) {
            t.add(idealTarget(e, Scenario.EVALUATE, 1.1));
        }
        String rt = Scenario.REACT_TOOLS.name();
        if (has(rt)) {
            t.add(throughputRatio(rt, Scenario.REACT, Scenario.LANGCHAIN4J_AGENT, 2.0));
            Integer ours = find(rt, Scenario.REACT).map(Result::peakThreads).orElse(null);
            Integer theirs = find(rt, Scenario.LANGCHAIN4J_AGENT).map(Result::peakThreads).orElse(null);
            t.add(judged(rt, Scenario.REACT, Scenario.REACT + " peak threads <= 1/4 of " + Scenario.LANGCHAIN4J_AGENT
                    + "'s", ours == null || theirs == null ? "-" : ours + " vs " + theirs,
                    ours == null || theirs == null ? Optional.empty() : Optional.of(ours * 4 <= theirs)));
        }
        String bs = Scenario.BOOTSTRAP_100.name();
        if (has(bs)) {
            t.add(idealTarget(bs, Scenario.BOOTSTRAP, 1.2));
        }
        String f = Scenario.FLINK_JOB.name();
        if (has(f)) {
            t.add(throughputRatio(f, "flink-p2-c16", "flink-p1-c16", 1.8));
            t.add(throughputRatio(f, "flink-p1-c64", "batch-c64", 0.9));
        }
        String el = Scenario.EMBED_LOCAL.name();
        if (has(el)) {
            t.add(throughputRatio(el, Scenario.LOCAL_EMBEDDER, Scenario.LANGCHAIN4J_EMBEDDER, 1.0));
        }
        String sk = Scenario.SEARCH_100K.name();
        if (has(sk)) {
            Double p50 = find(sk, Scenario.EXACT_SEARCH).map(Result::p50Ms).orElse(null);
            t.add(judged(sk, Scenario.EXACT_SEARCH, Scenario.EXACT_SEARCH + " p50 < 20 ms (k = 10)",
                    p50 == null ? "-" : fmt(p50, 2) + " ms", p50 == null ? Optional.empty() : Optional.of(p50 < 20)));
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

    /** A target of {@code system}: missed when any of its forks failed, whatever the figure. */
    private Target judged(String scenario, String system, String what, String measured, Optional<Boolean> met) {
        if (met.isPresent() && anyFailed(scenario, system)) {
            return new Target(scenario, what, measured + "; a fork failed (see the table)", Optional.of(false));
        }
        return new Target(scenario, what, measured, met);
    }

    private Target idealTarget(String scenario, String system, double max) {
        Optional<Result> r = find(scenario, system);
        Scenario sc = config.scenarios().stream().filter(x -> x.name().equals(scenario)).findFirst().orElseThrow();
        double ideal = LoadRun.idealSeconds(sc, config.loads().apply(sc));
        Double wall = r.map(Result::wallS).orElse(null);
        return judged(scenario, system, system + " wall time <= " + fmt(max, 1) + "x ideal (" + wall(max * ideal) + ")",
                wall == null ? "did not finish" : wall(wall) + " = " + fmt(wall / ideal, 3) + "x the ideal "
                        + wall(ideal),
                r.isEmpty() || wall == null ? Optional.empty() : Optional.of(wall <= max * ideal));
    }

    private Target throughputRatio(String scenario, String system, String reference, double min) {
        Double a = find(scenario, system).map(Result::throughputPerS).orElse(null);
        Double b = find(scenario, reference).map(Result::throughputPerS).orElse(null);
        String what = system + " >= " + fmt(min, 2) + "x " + reference + " (throughput)";
        if (a == null || b == null || b == 0) {
            return new Target(scenario, what, "-", Optional.empty());
        }
        double ratio = a / b;
        String measured = fmt(ratio, 3) + "x (" + fmt(a, a < 100 ? 1 : 0) + " vs " + fmt(b, b < 100 ? 1 : 0) + "/s)";
        if (anyFailed(scenario, reference)) {
            measured += "; a fork of " + reference + " failed";
        }
        return judged(scenario, system, what, measured, Optional.of(ratio >= min));
    }

    // ------------------------------------------------------------------ markdown

    String markdown(String analysis) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("DSPEx side by side with a bare Reactor Netty client, LangChain4j and the official OpenAI Java SDK, ")
                .append("all calling the same OpenAI-compatible mock server in the same run. Generated by ")
                .append("`benchmarks/run.sh").append(config.quick() ? " --quick" : "").append("` on ")
                .append(machine.date()).append(" in ").append(fmt(minutes, 1)).append(" minutes from commit `")
                .append(provenance.commit()).append('`')
                .append(provenance.dirty() ? " **with uncommitted changes**" : "")
                .append(". ");
        if (provenance.full()) {
            md.append("Every figure below is in [`benchmarks/results/").append(provenance.jsonName())
                    .append("`](benchmarks/results/").append(provenance.jsonName()).append(") (`runs`: each ")
                    .append("system's median fork; `iterations_raw`: every fork), committed with this report. ");
        } else {
            md.append("**A ").append(config.quick() ? "quick (smoke) run with reduced loads" : "partial run")
                    .append(": its figures are indicative only**; it is not BENCHMARKS.md, which only a full run ")
                    .append("writes. Raw figures: `").append(provenance.jsonName()).append("`. ");
        }
        md.append("Regenerate with `benchmarks/run.sh` (full) or `benchmarks/run.sh --quick` (smoke run, written to ")
                .append("`benchmarks/target/`).\n\n");

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

        method(md);

        List<Target> targets = targets();
        if (!targets.isEmpty()) {
            md.append("## Targets\n\nJudged on each system's median fork; a system with a failed fork misses its "
                    + "targets. Ratios are shown to three decimals, so that a miss never reads as the target.\n\n"
                    + "| scenario | target | measured | |\n|---|---|---|---|\n");
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
                case AGENT:
                    table(md, s, rows, List.of(s.kind() == Scenario.Kind.AGENT ? "tasks/s" : "throughput/s", "p50 ms",
                                    "p99 ms", "peak threads", "peak heap MB", s.kind() == Scenario.Kind.AGENT
                                            ? "client CPU us/task" : "client CPU us/call", "connections"),
                            List.of(r -> fmt(r.throughputPerS(), 0), r -> fmt(r.p50Ms(), 2), r -> fmt(r.p99Ms(), 2),
                                    r -> str(r.peakThreads()), r -> fmt(r.peakHeapMb(), 0),
                                    r -> fmt(r.clientCpuUsPerCall(), 1), r -> count(r.connectionsOpened())),
                            r -> fmt(r.throughputPerS(), 0), true);
                    break;
                case BURST:
                    table(md, s, rows, List.of("wall s", "cold-pool wall s", "calls/s", "p50 ms", "p99 ms",
                                    "peak threads", "peak heap MB", "connections"),
                            List.of(r -> fmt(r.wallS(), 2), r -> fmt(r.coldWallS(), 2), r -> fmt(r.throughputPerS(), 0),
                                    r -> fmt(r.p50Ms(), 0), r -> fmt(r.p99Ms(), 0), r -> str(r.peakThreads()),
                                    r -> fmt(r.peakHeapMb(), 0), r -> count(r.connectionsOpened())),
                            r -> fmt(r.wallS(), 2), false);
                    break;
                case STREAMS:
                    table(md, s, rows, List.of("first chunk p50 ms", "first chunk p99 ms", "last chunk p50 ms",
                                    "last chunk p99 ms", "wall s", "peak threads", "peak heap MB", "connections"),
                            List.of(r -> fmt(r.firstChunkP50Ms(), 1), r -> fmt(r.firstChunkP99Ms(), 1),
                                    r -> fmt(r.p50Ms(), 1), r -> fmt(r.p99Ms(), 1), r -> fmt(r.wallS(), 2),
                                    r -> str(r.peakThreads()), r -> fmt(r.peakHeapMb(), 0),
                                    r -> count(r.connectionsOpened())),
                            r -> fmt(r.p50Ms(), 1), false);
                    break;
                case EVALUATE:
                case BOOTSTRAP: {
                    double ideal = LoadRun.idealSeconds(s, load);
                    boolean boot = s.kind() == Scenario.Kind.BOOTSTRAP;
                    md.append("| system | wall s | ideal s | x ideal | examples/s | peak threads | peak heap MB | ")
                            .append("every fork: wall s | notes |\n|---|---|---|---|---|---|---|---|---|\n");
                    for (Result r : rows) {
                        md.append("| ").append(r.system()).append(" | ").append(fmt(r.wallS(), boot ? 3 : 2))
                                .append(" | ").append(fmt(ideal, boot ? 3 : 2)).append(" | ")
                                .append(r.wallS() == null ? "-" : fmt(r.wallS() / ideal, 3)).append(" | ")
                                .append(fmt(r.throughputPerS(), 0)).append(" | ").append(str(r.peakThreads()))
                                .append(" | ").append(fmt(r.peakHeapMb(), 0)).append(" | ")
                                .append(everyFork(s, r.system(), x -> fmt(x.wallS(), boot ? 3 : 2))).append(" | ")
                                .append(notes(r)).append(" |\n");
                    }
                    md.append('\n');
                    break;
                }
                case RETRIEVAL:
                    retrievalTable(md, s, rows);
                    break;
                case FLINK: {
                    md.append("| configuration | results/s | ideal results/s | of ideal | every fork: results/s ")
                            .append("| notes |\n")
                            .append("|---|---|---|---|---|---|\n");
                    for (Result r : rows) {
                        md.append("| ").append(r.system()).append(" | ").append(fmt(r.throughputPerS(), 1))
                                .append(" | ").append(r.note() == null || !r.note().startsWith("ideal ") ? "-"
                                        : r.note().replace("ideal ", "").replace(" results/s", "")).append(" | ")
                                .append(ofIdeal(r)).append(" | ")
                                .append(everyFork(s, r.system(), x -> fmt(x.throughputPerS(), 1))).append(" | ")
                                .append(r.iterations() == 0 ? r.note() : "median of " + r.iterations()
                                        + (r.iterations() == 1 ? " fork" : " forks")).append(" |\n");
                    }
                    md.append('\n');
                    break;
                }
                default:
                    break;
            }
            if (s.name().equals(Scenario.ZERO_LATENCY.name())) {
                compare(md, s);
            }
        }

        md.append("## AdapterBenchmark (JMH)\n\n");
        if (jmh.isEmpty()) {
            md.append(jmhNote == null ? "No results." : jmhNote).append("\n\n");
        } else {
            md.append("`ChatAdapter` format + parse on one thread (")
                    .append(config.quick() ? "-wi 1 -i 2 -w 1s -r 1s" : "-wi 3 -i 5 -w 2s -r 2s")
                    .append(", one fork). `simpleQa` and `typedWithDemo` reuse one `Signature` (the adapter's ")
                    .append("per-signature cache of prompt parts is warm, as for a predictor called again and again); ")
                    .append("`simpleQaUncached` and `typedWithDemoUncached` hand the adapter a new, equal `Signature` ")
                    .append("instance each operation, so that cache (keyed by instance) misses every time and the ")
                    .append("prompt parts are prepared anew.\n\n")
                    .append("| benchmark | mode | score | ± error | unit |\n|---|---|---|---|---|\n");
            for (JmhResult j : jmh) {
                md.append("| ").append(j.benchmark()).append(" | ").append(j.mode()).append(" | ")
                        .append(fmt(j.score(), 0)).append(" | ").append(fmt(j.scoreError(), 0)).append(" | ")
                        .append(j.unit()).append(" |\n");
            }
            md.append('\n');
        }
        if (analysis != null && !analysis.isBlank()) {
            md.append("## Analysis\n\nWritten by hand (`benchmarks/ANALYSIS.md`) from profiling sessions; figures ")
                    .append("in it ")
                    .append("that are not in the tables above come from those sessions, not from this run's JSON.\n\n")
                    .append(analysis.strip().replaceAll("(?m)^## ", "### ")).append('\n');
        }
        return md.toString();
    }

    private void method(StringBuilder md) {
        md.append("## Method\n\n");
        md.append("- **Server**: `MockLmServer` from the test kit (`dspex-reactor-test`) in its own JVM (")
                .append(String.join(" ", Harness.SERVER_JVM)).append("), started per scenario with the scenario's ")
                .append("fixed latency; it answers every chat request with a ChatAdapter reply ")
                .append("(`[[ ## answer ## ]]` … `[[ ## completed ## ]]`; react-tools: the agents' scripted steps) ")
                .append("and records nothing but a count of the connections it accepts. The harness reads that ")
                .append("count before and after each client fork: the `connections` column is what each system ")
                .append("opened (its warm-up included).\n");
        md.append("- **Clients**: each system runs in a fresh JVM per scenario and iteration (")
                .append(String.join(" ", Harness.CLIENT_JVM)).append("), ").append(config.iterations())
                .append(config.iterations() == 1 ? " iteration" : " iterations")
                .append(" per system, interleaved (A, B, C, …, then B, C, …, A: the order rotates each iteration), after ")
                .append("one unmeasured fork that warms the server up. Each row is the system's **median fork** (by ")
                .append("the scenario's primary figure; the slower of the two middle ones for an even count), every ")
                .append("figure of the row from that one fork; the `every fork` column lists each fork's primary ")
                .append("figure and errors in run order, failed forks included, and `errors` in the notes is the ")
                .append("sum over all forks.\n");
        md.append("- **Same request**: every system sends the messages that DSPEx's `ChatAdapter` formats for ")
                .append("`question -> answer` (system + user message). The raw clients POST the exact bytes ")
                .append("`OpenAiCompatibleLm` sends (captured from a mock server's recorded request) and read the ")
                .append("body without parsing it; LangChain4j and the OpenAI SDK serialize the same messages their ")
                .append("own way.\n");
        md.append("- **Baseline**: `reactor-netty-raw` is a bare Reactor Netty `HttpClient` POST configured as well ")
                .append("as we know how: the pending-acquire timer on a Netty `HashedWheelTimer`, the URL given ")
                .append("as a parsed `URI`, the request sender built once, a pool the size of the concurrency. It ")
                .append("does less work than any client (no JSON either way, no response object, no timeout ")
                .append("handler), so it shows what a client on this stack could approach here; it is not a proven ")
                .append("upper limit. Every target against raw uses it. `reactor-netty-raw-default` (zero-latency ")
                .append("only) is the same client with ")
                .append("Reactor Netty's defaults (pending-acquire timer on `Schedulers.parallel()`, a `String` URL), ")
                .append("to show what those two settings are worth.\n");
        md.append("- **Systems**: `dspex-lm-call` (`OpenAiCompatibleLm.call`/`stream`), `dspex-predict` ")
                .append("(`Predict.forward` / `stream` with the `ChatAdapter`: formatting, call, parsing), ")
                .append("`dspex-predict-observed` (the same with observations on: the gen_ai meters into a ")
                .append("`SimpleMeterRegistry` and spans to the no-op tracer, two observations per call; the issue's ")
                .append("`observed` comparison is this row against `dspex-predict` in the same scenario), ")
                .append("`langchain4j` (`langchain4j-open-ai` `OpenAiChatModel`, blocking, driven from a fixed ")
                .append("thread pool the size ")
                .append("of the concurrency; `OpenAiStreamingChatModel` for streams; its HTTP client, LangChain4j's ")
                .append("default JDK `HttpClient`, pinned to HTTP/1.1 so that it does not ask the cleartext server to ")
                .append("upgrade to h2c), `openai-java` (the official SDK's async client on OkHttp with a connection ")
                .append("pool that keeps as many idle connections as the concurrency and a dispatcher that runs as ")
                .append("many requests at once, per host too; openai-java 4.8.0's `OpenAIOkHttpClientAsync` builder ")
                .append("exposes neither, so the benchmark builds an OkHttp client so sized and hands it to the SDK ")
                .append("through its transport interface, `ClientOptions.httpClient` with `OpenAIClientAsyncImpl`; ")
                .append("the SDK's serialization, retries and response parsing are unchanged), `openai-java-default` ")
                .append("(zero-latency only: the SDK's builder with its defaults, OkHttp's pool of 5 idle connections ")
                .append("and 64 requests in flight). Reactor Netty clients get a connection pool the size of the ")
                .append("concurrency.");
        if (!config.variants().isEmpty()) {
            md.append(" Systems named `…@<commit>` run the same system from a jar built from that commit (")
                    .append("`benchmarks/run.sh --compare <ref>`), against the same server in the same run.");
        }
        md.append('\n');
        md.append("- **Measures**: latencies are client-side, per call, in an HdrHistogram; peak threads are ")
                .append("`ThreadMXBean`'s peak live thread count of the client JVM (all its threads) during the ")
                .append("measured phase; peak heap is the largest heap-used value sampled every 5 ms then (garbage ")
                .append("not ")
                .append("yet collected included); client CPU per call (closed loop) is the client JVM's CPU time in ")
                .append("the ")
                .append("measured phase over the calls completed, which other load on the machine disturbs less than ")
                .append("throughput.\n");
        md.append("- **Ratios**: `x raw` and `x predict` compare speed with `reactor-netty-raw` and `dspex-predict` ")
                .append("(median forks): throughput ÷ theirs for calls, their time ÷ this time for bursts (wall time) ")
                .append("and streams (time to last chunk); above 1 is faster.\n\n");
    }

    /** The zero-latency comparison of {@code dspex-predict} with itself built from other commits, if any ran. */
    private void compare(StringBuilder md, Scenario s) {
        List<String> variants = s.systems().stream().filter(x -> x.contains("@")).toList();
        if (variants.isEmpty()) {
            return;
        }
        md.append("### Same run, other builds\n\n| system | commit | subject | throughput/s | x ")
                .append(Scenario.PREDICT).append(" (this build) | every fork |\n|---|---|---|---|---|---|\n");
        Double current = find(s.name(), Scenario.PREDICT).map(Result::throughputPerS).orElse(null);
        for (String v : variants) {
            Harness.Variant variant = config.variants().get(v);
            Double tp = find(s.name(), v).map(Result::throughputPerS).orElse(null);
            md.append("| ").append(v).append(" | `").append(variant == null ? "?" : variant.commit()).append("` | ")
                    .append(variant == null ? "" : variant.subject().replace("|", "/")).append(" | ").append(fmt(tp, 0))
                    .append(" | ").append(tp == null || current == null ? "-" : fmt(current / tp, 3)).append(" | ")
                    .append(everyFork(s, v, x -> fmt(x.throughputPerS(), 0))).append(" |\n");
        }
        md.append("\n`x ").append(Scenario.PREDICT).append("` above 1: this build is faster than that one.\n\n");
    }

    private void retrievalTable(StringBuilder md, Scenario s, List<Result> rows) {
        boolean embed = s.name().equals(Scenario.EMBED_LOCAL.name());
        if (embed) {
            md.append("| system | sentences/s | one query p50 ms | x ").append(Scenario.LANGCHAIN4J_EMBEDDER)
                    .append(" | every fork: sentences/s | notes |\n|---|---|---|---|---|---|\n");
        } else {
            md.append("| system | p50 ms | p99 ms | every fork: p50 ms | notes |\n|---|---|---|---|---|\n");
        }
        Double theirs = find(s.name(), Scenario.LANGCHAIN4J_EMBEDDER).map(Result::throughputPerS).orElse(null);
        for (Result r : rows) {
            md.append("| ").append(r.system()).append(" | ");
            if (embed) {
                md.append(fmt(r.throughputPerS(), 1)).append(" | ").append(fmt(r.p50Ms(), 2)).append(" | ")
                        .append(ratio(r.throughputPerS(), theirs, true)).append(" | ")
                        .append(everyFork(s, r.system(), x -> fmt(x.throughputPerS(), 1)));
            } else {
                md.append(fmt(r.p50Ms(), 2)).append(" | ").append(fmt(r.p99Ms(), 2)).append(" | ")
                        .append(everyFork(s, r.system(), x -> fmt(x.p50Ms(), 2)));
            }
            md.append(" | ").append(notes(r)).append(" |\n");
        }
        md.append('\n');
    }

    private static String ofIdeal(Result r) {
        if (r.note() == null || !r.note().startsWith("ideal ") || r.throughputPerS() == null) {
            return "-";
        }
        try {
            double ideal = Double.parseDouble(r.note().replaceAll("[^0-9.]", ""));
            return fmt(r.throughputPerS() / ideal, 3);
        } catch (NumberFormatException e) {
            return "-";
        }
    }

    private static String describe(Scenario s, Load load) {
        switch (s.kind()) {
            case CLOSED_LOOP:
                return String.format(Locale.ROOT, "%d calls in flight (each completion starts the next) against "
                        + "%d ms server latency: %s warm-up, then %s measured.", load.concurrency(),
                        s.latencyMs(), seconds(load.warmupMs()), seconds(load.measureMs()));
            case BURST:
                return String.format(Locale.ROOT, "%,d calls started at once against %d ms server latency, after "
                        + "two unmeasured bursts of %,d: the first opens the connections, the second runs on the warm "
                        + "pool so that the measured burst meets compiled code, as in a running service. A full garbage "
                        + "collection and a 0.5 s pause come before each later burst, so that none pays for the "
                        + "previous one's promoted garbage. Each client's pool (or thread pool) is %,d. Wall time is "
                        + "from the first call to the last completion; the first burst's wall time is shown as the "
                        + "cold-pool figure (every call opens a new connection). A system that misses the %s deadline "
                        + "shows what it completed. The absolute goal of 1.5 s holds only on a fast machine; targets "
                        + "compare with `reactor-netty-raw` in the same run.", load.calls(), s.latencyMs(),
                        load.warmupCalls(), load.concurrency(), seconds(load.deadlineMs()));
            case STREAMS:
                return String.format(Locale.ROOT, "%,d streams opened at once (after an unmeasured round of %,d), "
                        + "each of %d content chunks (SSE events) that the server sends %d ms apart, so a stream "
                        + "lasts at least %s; times are from the call to the first chunk and to the end.",
                        load.calls(), load.warmupCalls(), Workload.STREAM_CHUNKS, s.streamInterval(),
                        seconds(Workload.STREAM_CHUNKS * s.streamInterval()));
            case EVALUATE:
                return String.format(Locale.ROOT, "`Evaluate` over %,d examples at concurrency %d against %d ms "
                        + "latency (after an unmeasured run of %,d), exact-match metric; ideal = examples ÷ "
                        + "concurrency × latency = %s. `dspex-evaluate` runs `Predict` over HTTP against the "
                        + "server; `dspex-evaluate-no-http` runs a program that answers after a %d ms timer "
                        + "(Evaluate's own overhead).", load.calls(), load.concurrency(), s.latencyMs(),
                        load.warmupCalls(), seconds(Math.round(LoadRun.idealSeconds(s, load) * 1000)), s.latencyMs());
            case AGENT:
                return String.format(Locale.ROOT, "%d agent tasks in flight (each completion starts the next) against "
                        + "%d ms model latency, %s warm-up, then %s measured. A task: find the capital of France, "
                        + "its weather and its population with three tools (each answers after %d ms), then answer. "
                        + "`dspex-react` is `ReAct` with non-blocking tools, in DSPy's protocol: a ChatAdapter reply "
                        + "per step, a `finish` step and an extraction (5 model calls a task). `langchain4j-agent` is "
                        + "an `AiServices` agent over `OpenAiChatModel` (HTTP/1.1) with the same tools as `@Tool` "
                        + "methods that sleep (LangChain4j runs tools on the calling thread), OpenAI function calling, "
                        + "on a thread pool of %d (4 model calls a task). The server scripts the same three steps and "
                        + "the same answer for both, each in its protocol; both check the answer. At a fixed number "
                        + "of tasks in flight, throughput is bounded by tasks ÷ task latency: about %.0f/s for "
                        + "5 calls and 3 tools, %.0f/s for 4 calls and 3 tools.", load.concurrency(), s.latencyMs(),
                        seconds(load.warmupMs()), seconds(load.measureMs()), Scenario.TOOL_LATENCY_MS,
                        load.concurrency(),
                        load.concurrency() * 1000.0 / (5 * s.latencyMs() + 3 * Scenario.TOOL_LATENCY_MS),
                        load.concurrency() * 1000.0 / (4 * s.latencyMs() + 3 * Scenario.TOOL_LATENCY_MS));
            case BOOTSTRAP:
                return String.format(Locale.ROOT, "`BootstrapFewShot` (exact-match metric, up to %d bootstrapped "
                        + "and labeled demos, concurrency %d) compiling `Predict` for `question -> answer` over %d "
                        + "training examples against %d ms latency, compile after compile: %s unmeasured, then %s "
                        + "measured. Every example passes, so each compile makes one teacher call per example. Wall "
                        + "time is the median compile's; ideal = ⌈examples ÷ concurrency⌉ × latency = %s (the busiest "
                        + "of %d slots).", load.calls(), load.concurrency(), load.calls(), s.latencyMs(),
                        seconds(load.warmupMs()), seconds(load.measureMs()),
                        seconds(Math.round(LoadRun.idealSeconds(s, load) * 1000)), load.concurrency());
            case RETRIEVAL:
                if (s.name().equals(Scenario.EMBED_LOCAL.name())) {
                    return "`RetrievalBench --only embed` (also `benchmarks/run-retrieval.sh`), one JVM per fork "
                            + "(-Xmx4g) from the full class path: `LocalEmbedder.allMiniLmL6V2()` against "
                            + "LangChain4j's "
                            + "in-process `AllMiniLmL6V2EmbeddingModel.embedAll` on the same sentences (1,024 of 8-40 "
                            + "words, each under 128 word pieces, where both compute the same vectors; 256 in a quick "
                            + "run) and the same ONNX Runtime, two warm-up rounds each, then rounds interleaved (5; 3 "
                            + "quick), the median round per system in each fork; plus the latency of one short query.";
                }
                return "`RetrievalBench --only exact`, one JVM per fork (-Xmx4g) from the full class path: "
                        + "`Embeddings.search(vector, 10)` over 100,000 x 384 synthetic unit vectors (clustered, a "
                        + "stand-in for sentence embeddings; exact below the HNSW threshold), 30 warm-up queries, then "
                        + "200 queries not in the corpus; p50 and p99 per query.";
            case FLINK:
                return String.format(Locale.ROOT, "`FlinkThroughput` (also `benchmarks/flink.sh`) in a JVM of its own "
                        + "(-Xmx2g) with its own mock server at %d ms latency: the `dspex-flink` BatchJob pipeline "
                        + "(FileSource, the program in Flink's async operator, FileSink with checkpoints) on an "
                        + "embedded MiniCluster against `Predict.batch` in one JVM. Throughput is counted from the "
                        + "first result to the last, so job start-up and the final checkpoint are not in it. "
                        + "Configurations interleaved per iteration, after one unmeasured run of each kind; ideal = "
                        + "parallelism × concurrency ÷ latency.", s.latencyMs());
            default:
                return "";
        }
    }

    private void table(StringBuilder md, Scenario s, List<Result> rows, List<String> headers,
                       List<Function<Result, String>> cells, Function<Result, String> primary, boolean higherIsFaster) {
        md.append("| system | ").append(String.join(" | ", headers))
                .append(" | x raw | x predict | every fork | notes |\n|---");
        md.append("|---".repeat(headers.size() + 4)).append("|\n");
        Function<Result, Double> speed = r -> {
            if (r.iterations() == null || r.iterations() == 0) {
                return null; // every fork failed: its partial figures are no speed
            }
            double v = Harness.speed(r);
            return Double.isInfinite(v) ? null : Math.abs(v);
        };
        Double raw = find(s.name(), Scenario.RAW).map(speed).orElse(null);
        Double predict = find(s.name(), Scenario.PREDICT).map(speed).orElse(null);
        for (Result r : rows) {
            md.append("| ").append(r.system());
            for (Function<Result, String> c : cells) {
                md.append(" | ").append(c.apply(r));
            }
            Double v = speed.apply(r);
            md.append(" | ").append(ratio(v, raw, higherIsFaster)).append(" | ").append(ratio(v, predict, higherIsFaster))
                    .append(" | ").append(everyFork(s, r.system(), primary)).append(" | ").append(notes(r))
                    .append(" |\n");
        }
        md.append('\n');
    }

    /** Each fork's primary figure in run order, "failed" for a fork that failed, with its errors if any. */
    private String everyFork(Scenario s, String system, Function<Result, String> primary) {
        List<String> parts = new ArrayList<>();
        for (Result f : forks(s.name(), system)) {
            String v = f.completed() == null ? "failed" : primary.apply(f);
            if (f.errors() != null && f.errors() > 0) {
                v += " (" + f.errors() + " errors)";
            } else if (f.failedFork() && f.completed() != null) {
                v += " (failed)";
            }
            parts.add(v);
        }
        return parts.isEmpty() ? "-" : String.join(" · ", parts);
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
            n.add(r.errors() + " errors over all forks");
        }
        if (r.iterations() != null) {
            n.add(r.iterations() == 0 ? "every fork failed: figures of the last one" : "median of " + r.iterations()
                    + (r.iterations() == 1 ? " fork" : " forks"));
        }
        if (r.note() != null) {
            n.add(r.note().replace("|", "/").replace("\n", " "));
        }
        return String.join("; ", n);
    }

    private static String count(Long n) {
        return n == null ? "-" : String.format(Locale.ROOT, "%,d", n);
    }

    private static String str(Object o) {
        return o == null ? "-" : o.toString();
    }

    /** Seconds without losing precision: 1.5 s stays "1.5 s", 15 s is "15 s", 0.35 s is "0.35 s". */
    static String seconds(long millis) {
        return new java.math.BigDecimal(millis).movePointLeft(3).stripTrailingZeros().toPlainString() + " s";
    }

    private static String wall(double seconds) {
        return fmt(seconds, seconds < 10 ? 3 : 2) + " s";
    }

    static String fmt(Double d, int decimals) {
        if (d == null || d.isNaN()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", d);
    }
}

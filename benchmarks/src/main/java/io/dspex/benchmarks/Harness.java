package io.dspex.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.test.MockLmServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs every scenario for every system and writes the results: a full run writes
 * {@code benchmarks/results/<date>-<commit>.json} and {@code BENCHMARKS.md}, a quick or partial one writes under
 * {@code benchmarks/target/} only ({@link #outputs}). Per scenario it starts {@link MockServerMain} in its own JVM,
 * then forks a fresh client JVM ({@link ClientMain}) per system and iteration, interleaving the systems so that a
 * change in machine load hits them all alike, and counts the connections each fork opens at the server; it reports
 * each system's median fork whole beside every fork ({@link #summary}). The flink and retrieval scenarios fork their
 * own programs with the full class path. Afterwards it runs the JMH {@code AdapterBenchmark} from the same jar, when
 * the jar has it.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dspex.benchmarks.Harness --quick --commit abc1234
 * }</pre>
 */
public final class Harness {

    /** JVM options of every client fork: the same heap ceiling and collector for all systems. */
    static final List<String> CLIENT_JVM = List.of("-Xmx1g", "-XX:+UseG1GC");
    static final List<String> SERVER_JVM = List.of("-Xmx1g", "-XX:+UseG1GC");

    /**
     * What to run.
     *
     * @param quick      the smoke run's loads
     * @param iterations iterations per system and scenario (the median is reported)
     * @param scenarios  the scenarios
     * @param loads      the load of each scenario
     * @param fork       whether clients and server run in JVMs of their own (false: in this JVM, for the test)
     * @param jmh        whether to run the JMH adapter benchmarks
     * @param jfrDir     where client forks write a JFR recording, or null for none
     * @param variants   extra systems run from another build's jar: {@code dspex-predict@<commit>} to that jar
     *                   (run.sh {@code --compare REF} builds them); each runs wherever its base system runs
     * @param fullClasspath the class path Maven resolves, for the forks that need what the shaded jar leaves out
     *                   (Flink; the embedding model and ONNX Runtime), or null when those scenarios cannot run
     */
    record Config(boolean quick, int iterations, List<Scenario> scenarios, Function<Scenario, Load> loads,
                  boolean fork, boolean jmh, Path jfrDir, Map<String, Variant> variants, String fullClasspath) {

        Config(boolean quick, int iterations, List<Scenario> scenarios, Function<Scenario, Load> loads,
               boolean fork, boolean jmh, Path jfrDir) {
            this(quick, iterations, scenarios, loads, fork, jmh, jfrDir, Map.of(), null);
        }
    }

    /**
     * A system run from another build: the same harness protocol, that build's code.
     *
     * @param jar     that build's {@code benchmarks.jar}
     * @param commit  its commit
     * @param subject its commit's subject line
     */
    record Variant(String jar, String commit, String subject) {
    }

    /** @return the system a variant runs ({@code dspex-predict} for {@code dspex-predict@abc1234}) */
    static String baseSystem(String system) {
        int at = system.indexOf('@');
        return at < 0 ? system : system.substring(0, at);
    }

    private final Config config;
    private final String classpath = System.getProperty("java.class.path");
    private final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();

    Harness(Config config) {
        this.config = config;
    }

    /**
     * @param args {@code --quick}; {@code --iterations N}; {@code --scenarios a,b}; {@code --systems a,b} (only
     *             these); {@code --no-jmh}; {@code --jfr DIR} (record each client fork); {@code --commit SHA} and
     *             {@code --dirty} (what was measured, for the file name and the report); {@code --full-classpath CP}
     *             (flink and retrieval); {@code --variants name=jar=commit=subject;...} (run.sh {@code --compare});
     *             {@code --json PATH} and {@code --markdown PATH} (quick or partial runs; a full run writes
     *             {@code --results-dir} (default benchmarks/results) and {@code --markdown} (default BENCHMARKS.md))
     * @throws Exception when a run cannot start or a file cannot be written
     */
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        boolean quick = a.has("quick");
        List<Scenario> scenarios = a.has("scenarios")
                ? Arrays.stream(a.required("scenarios").split(",")).map(String::strip).map(Scenario::named).toList()
                : Scenario.ALL;
        Map<String, Variant> variants = new LinkedHashMap<>();
        if (a.has("variants")) {
            // name=jar=commit=subject;name=jar=commit=subject (written by run.sh --compare)
            for (String v : a.required("variants").split(";")) {
                String[] f = v.split("=", 4);
                variants.put(f[0], new Variant(f[1], f[2], f.length > 3 ? f[3] : ""));
            }
        }
        if (!variants.isEmpty()) {
            scenarios = scenarios.stream().map(s -> {
                List<String> systems = new ArrayList<>(s.systems());
                variants.keySet().stream().filter(v -> s.systems().contains(baseSystem(v))
                        && s.kind() == Scenario.Kind.CLOSED_LOOP).forEach(systems::add);
                return new Scenario(s.name(), s.kind(), s.latencyMs(), s.streamInterval(), List.copyOf(systems));
            }).toList();
        }
        boolean allSystems = !a.has("systems");
        if (a.has("systems")) {
            List<String> keep = Arrays.stream(a.required("systems").split(",")).map(String::strip).toList();
            scenarios = scenarios.stream().map(s -> new Scenario(s.name(), s.kind(), s.latencyMs(), s.streamInterval(),
                    s.systems().stream().filter(keep::contains).toList())).filter(s -> !s.systems().isEmpty()).toList();
        }
        int iterations = (int) a.longValue("iterations", quick ? 1 : 3);
        Config config = new Config(quick, iterations, scenarios, s -> Load.of(s, quick), true, !a.has("no-jmh"),
                a.has("jfr") ? Paths.get(a.required("jfr")) : null, variants,
                a.has("full-classpath") ? a.required("full-classpath") : null);
        // BENCHMARKS.md and benchmarks/results/ hold full runs only: every scenario, every system, 3 iterations, JMH.
        boolean full = !quick && !a.has("scenarios") && allSystems && iterations == 3 && config.jmh()
                && config.fullClasspath() != null;
        String commit = a.string("commit", "unknown");
        Path[] out = outputs(a, full, quick, commit, LocalDate.now(ZoneOffset.UTC).toString());
        Path json = out[0];
        Path markdown = out[1];
        Report report = new Harness(config).run().withProvenance(commit, a.has("dirty"), json.getFileName().toString(),
                full);
        report.write(json, markdown);
        System.out.println("wrote " + json + " and " + markdown + (full ? "" : " (a " + (quick ? "quick" : "partial")
                + " run: BENCHMARKS.md is written by full runs only)"));
    }

    /**
     * Where a run's figures go: a full run writes {@code benchmarks/results/<date>-<commit>.json} (to be committed)
     * and BENCHMARKS.md; a quick or partial run writes under {@code benchmarks/target/} and never BENCHMARKS.md.
     *
     * @return {json, markdown}
     * @throws IllegalArgumentException when a quick or partial run is pointed at BENCHMARKS.md
     */
    static Path[] outputs(Args a, boolean full, boolean quick, String commit, String date) {
        if (full) {
            return new Path[] {Paths.get(a.string("results-dir", "benchmarks/results")).resolve(date + "-" + commit
                    + ".json"), Paths.get(a.string("markdown", "BENCHMARKS.md"))};
        }
        String kind = quick ? "quick" : "partial";
        Path json = Paths.get(a.string("json", "benchmarks/target/benchmark-results-" + kind + ".json"));
        Path markdown = Paths.get(a.string("markdown", "benchmarks/target/BENCHMARKS-" + kind + ".md"));
        if (markdown.getFileName().toString().equals("BENCHMARKS.md")) {
            throw new IllegalArgumentException("a " + kind + " run does not write " + markdown + ": BENCHMARKS.md "
                    + "comes from full runs only (every scenario and system, 3 iterations, JMH, Flink)");
        }
        return new Path[] {json, markdown};
    }

    /** Runs everything configured. */
    Report run() throws IOException, InterruptedException {
        long started = System.nanoTime();
        String loadBefore = Machine.loadAverage();
        List<Result> results = new ArrayList<>();
        List<Result> iterationsAll = new ArrayList<>();
        for (Scenario s : config.scenarios()) {
            Load load = config.loads().apply(s);
            boolean ownLoad = s.kind() == Scenario.Kind.FLINK || s.kind() == Scenario.Kind.RETRIEVAL;
            log("scenario " + s.name() + (ownLoad ? " (sized by its own program)" : " " + load));
            Map<String, List<Result>> bySystem = new LinkedHashMap<>();
            s.systems().forEach(sys -> bySystem.put(sys, new ArrayList<>()));
            if (ownLoad) {
                // Flink and retrieval programs fork themselves and report one result per system and iteration.
                List<Result> own = s.kind() == Scenario.Kind.FLINK ? runFlink(s) : runRetrieval(s);
                own.forEach(r -> log(String.format("  %-24s #%d %s", r.system(), r.iterations(), brief(r))));
                iterationsAll.addAll(own.stream().map(r -> r.withIterations(1)).toList());
                for (Result r : own) {
                    bySystem.computeIfAbsent(r.system(), k -> new ArrayList<>()).add(r.withIterations(1));
                }
                bySystem.values().stream().filter(list -> !list.isEmpty()).forEach(list -> results.add(summary(list)));
                continue;
            }
            try (Server server = startServer(s)) {
                // Warm the server's JIT before anyone is measured: otherwise the first system meets a cold server.
                Result warm = runClient(s, s.systems().get(0), load, server.baseUrl(), 0);
                log(String.format("  %-24s    server warm-up: %s", s.systems().get(0), brief(warm)));
                for (int i = 1; i <= config.iterations(); i++) {
                    // Rotate the order each iteration, so that no system is always first (or last) after another.
                    List<String> order = new ArrayList<>(s.systems());
                    Collections.rotate(order, -(i - 1));
                    for (String system : order) {
                        List<Result> done = bySystem.get(system);
                        if (!done.isEmpty() && done.get(done.size() - 1).note() != null
                                && done.get(done.size() - 1).note().contains(" s deadline")) {
                            continue; // it missed the deadline once: another try would only cost the time again
                        }
                        long before = server.connectionsOpened();
                        Result r = runClient(s, system, load, server.baseUrl(), i);
                        long after = server.connectionsOpened();
                        if (before >= 0 && after >= 0) {
                            r = r.withConnectionsOpened(after - before);
                        }
                        log(String.format("  %-24s #%d %s", system, i, brief(r)));
                        done.add(r);
                        iterationsAll.add(r);
                    }
                }
            }
            bySystem.values().forEach(list -> results.add(summary(list)));
        }
        List<Report.JmhResult> jmh = new ArrayList<>();
        String jmhNote = null;
        if (config.jmh()) {
            if (hasAdapterBenchmark()) {
                jmh = runJmh();
                if (jmh.isEmpty()) {
                    jmhNote = "AdapterBenchmark is in the jar but JMH produced no results (see the run's output)";
                }
            } else {
                jmhNote = "AdapterBenchmark is not in this build's benchmarks.jar: skipped";
            }
        } else {
            jmhNote = "JMH not run (--no-jmh)";
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        return new Report(Machine.describe(), config, results, iterationsAll, jmh, jmhNote, loadBefore,
                Machine.loadAverage(), minutes);
    }

    private static String brief(Result r) {
        StringBuilder sb = new StringBuilder();
        if (r.throughputPerS() != null) {
            sb.append(String.format("%.0f/s ", r.throughputPerS()));
        }
        if (r.p50Ms() != null) {
            sb.append(String.format("p50 %.2f ms ", r.p50Ms()));
        }
        if (r.p99Ms() != null) {
            sb.append(String.format("p99 %.2f ms ", r.p99Ms()));
        }
        if (r.firstChunkP50Ms() != null) {
            sb.append(String.format("first %.1f ms ", r.firstChunkP50Ms()));
        }
        if (r.wallS() != null) {
            sb.append(String.format("wall %.2f s ", r.wallS()));
        }
        if (r.peakThreads() != null) {
            sb.append(String.format("threads %d heap %.0f MB ", r.peakThreads(), r.peakHeapMb()));
        }
        if (r.errors() != null && r.errors() > 0) {
            sb.append("errors ").append(r.errors()).append(' ');
        }
        if (r.connectionsOpened() != null) {
            sb.append("connections ").append(r.connectionsOpened()).append(' ');
        }
        if (r.note() != null) {
            sb.append("(").append(r.note()).append(")");
        }
        return sb.toString().strip();
    }

    static void log(String line) {
        System.out.println(line);
        System.out.flush();
    }

    // ------------------------------------------------------------------ summary

    /**
     * The representative fork of a system: of the forks that did not fail, the one with the median primary figure
     * (the slower of the two middle ones for an even count), every field from that same fork, so that its p50 and
     * p99 belong together. {@code iterations} counts the forks that did not fail; {@code errors} is the sum over
     * all forks; the notes of all forks are kept, and each failed fork is named. The report shows every fork's
     * figure beside it ({@link Report}).
     */
    static Result summary(List<Result> runs) {
        Result first = runs.get(0);
        List<Result> ok = runs.stream().filter(r -> !r.failedFork()).toList();
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            Result r = runs.get(i);
            if (r.failedFork()) {
                notes.add("fork " + (i + 1) + " of " + runs.size() + " failed" + (r.errors() != null && r.errors() > 0
                        ? " (" + r.errors() + " errors)" : "") + (r.note() == null ? "" : ": " + r.note()));
            } else if (r.note() != null && !notes.contains(r.note())) {
                notes.add(r.note());
            }
        }
        String note = notes.isEmpty() ? null : String.join("; ", notes);
        long errors = runs.stream().map(Result::errors).filter(Objects::nonNull).mapToLong(Long::longValue).sum();
        if (ok.isEmpty()) {
            // Nothing succeeded: show the last fork's partial figures (what it completed), marked as failed.
            Result last = runs.get(runs.size() - 1);
            return new Result(first.scenario(), first.system(), last.throughputPerS(), last.p50Ms(), last.p99Ms(),
                    last.wallS(), last.coldWallS(), last.peakThreads(), last.peakHeapMb(), last.firstChunkP50Ms(),
                    last.firstChunkP99Ms(), last.completed(), errors, 0, note, last.clientCpuUsPerCall(),
                    last.connectionsOpened());
        }
        Comparator<Result> slowerFirst = Comparator.comparingDouble(Harness::speed);
        List<Result> sorted = ok.stream().sorted(slowerFirst).toList();
        Result m = sorted.get((sorted.size() - 1) / 2);
        return new Result(first.scenario(), first.system(), m.throughputPerS(), m.p50Ms(), m.p99Ms(), m.wallS(),
                m.coldWallS(), m.peakThreads(), m.peakHeapMb(), m.firstChunkP50Ms(), m.firstChunkP99Ms(),
                m.completed(), errors, ok.size(), note, m.clientCpuUsPerCall(), m.connectionsOpened());
    }

    /** A fork's primary figure as a speed (higher is faster): throughput, or the inverse of a time. */
    static double speed(Result r) {
        if (r.scenario().equals(Scenario.STREAM_200.name()) && r.p50Ms() != null) {
            return -r.p50Ms();
        }
        if (r.wallS() != null && !r.scenario().equals(Scenario.ZERO_LATENCY.name())) {
            return -r.wallS();
        }
        if (r.throughputPerS() != null) {
            return r.throughputPerS();
        }
        return r.p50Ms() == null ? Double.NEGATIVE_INFINITY : -r.p50Ms();
    }

    // ------------------------------------------------------------------ server

    /** The mock server of one scenario: its own JVM, or in this one. */
    private interface Server extends AutoCloseable {
        String baseUrl();

        /** @return connections the server accepted so far, or -1 when it cannot say */
        long connectionsOpened();

        @Override
        void close() throws IOException, InterruptedException;
    }

    private Server startServer(Scenario s) throws IOException {
        Duration interval = s.streamInterval() < 0 ? null : Duration.ofMillis(s.streamInterval());
        boolean agents = s.kind() == Scenario.Kind.AGENT;
        if (!config.fork()) {
            MockLmServer server = MockServerMain.start(s.latencyMs(), 0, interval, agents);
            return new Server() {
                @Override
                public String baseUrl() {
                    return server.baseUrl();
                }

                @Override
                public long connectionsOpened() {
                    return server.connectionsOpened();
                }

                @Override
                public void close() {
                    server.close();
                }
            };
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(SERVER_JVM);
        cmd.addAll(List.of("-cp", classpath, MockServerMain.class.getName(), "--latency-ms",
                Long.toString(s.latencyMs())));
        if (interval != null) {
            cmd.addAll(List.of("--stream-interval-ms", Long.toString(s.streamInterval())));
        }
        if (agents) {
            cmd.add("--agents");
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            p.destroyForcibly();
            throw new IOException("mock server JVM did not start: " + line);
        }
        String baseUrl = "http://127.0.0.1:" + line.substring(5).strip() + "/v1";
        java.io.PrintStream ask = new java.io.PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8);
        return new Server() {
            @Override
            public String baseUrl() {
                return baseUrl;
            }

            @Override
            public long connectionsOpened() {
                try {
                    ask.println("connections");
                    String answer = out.readLine();
                    return answer != null && answer.startsWith("CONNECTIONS ")
                            ? Long.parseLong(answer.substring(12).strip()) : -1;
                } catch (IOException | NumberFormatException e) {
                    return -1;
                }
            }

            @Override
            public void close() throws IOException, InterruptedException {
                p.getOutputStream().close();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
            }
        };
    }

    // ------------------------------------------------------------------ clients

    private Result runClient(Scenario s, String system, Load load, String baseUrl, int iteration)
            throws IOException, InterruptedException {
        if (!config.fork()) {
            try {
                return LoadRun.run(s, system, load, baseUrl);
            } catch (RuntimeException e) {
                return Result.failed(s.name(), system, e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(CLIENT_JVM);
        if (config.jfrDir() != null) {
            Files.createDirectories(config.jfrDir());
            cmd.add("-XX:StartFlightRecording=settings=profile,filename="
                    + config.jfrDir().resolve(s.name() + "-" + system + "-" + iteration + ".jfr"));
        }
        Variant variant = config.variants().get(system);
        // A variant runs its base system from its own build's jar, through the same protocol.
        cmd.addAll(List.of("-cp", variant == null ? classpath : variant.jar(), ClientMain.class.getName(), "--scenario",
                s.name(), "--system", baseSystem(system), "--base-url", baseUrl));
        cmd.addAll(load.toArgs());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long limitMs = load.warmupMs() + load.measureMs() + 3 * load.deadlineMs() + 60_000;
        Deque<String> tail = new ArrayDeque<>();
        String[] result = new String[1];
        Thread reader = new Thread(() -> readLines(p.getInputStream(), tail, result), "fork-reader");
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(limitMs, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            reader.join(5_000);
            return Result.failed(s.name(), system, "fork killed after " + limitMs / 1000 + " s");
        }
        reader.join(10_000);
        if (result[0] == null) {
            synchronized (tail) {
                return Result.failed(s.name(), system, "fork printed no result (exit " + p.exitValue() + "): "
                        + String.join(" | ", tail));
            }
        }
        Result r = ClientMain.JSON.readValue(result[0], Result.class);
        return variant == null ? r : r.withSystem(system);
    }

    // ------------------------------------------------------------------ flink and retrieval

    private static List<Result> notRun(Scenario s) {
        return s.systems().stream().map(sys -> Result.failed(s.name(), sys,
                "not run: no full class path (benchmarks/run.sh passes --full-classpath)")).toList();
    }

    /**
     * Runs {@code RetrievalBench} (issue 21) once per iteration, each in a JVM of its own: {@code embed-local} (the
     * local embedder and LangChain4j's in-process model, side by side in each fork) or {@code search-100k} (exact
     * search over 100,000 x 384 vectors). Each fork's figures become one result per system.
     */
    private List<Result> runRetrieval(Scenario s) throws IOException, InterruptedException {
        if (config.fullClasspath() == null) {
            return notRun(s);
        }
        boolean embed = s.name().equals(Scenario.EMBED_LOCAL.name());
        List<Result> results = new ArrayList<>();
        for (int i = 1; i <= config.iterations(); i++) {
            Path out = Files.createTempFile("retrieval-results", ".json");
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx4g", "-XX:+UseG1GC", "-cp", config.fullClasspath(),
                    "io.dspex.benchmarks.RetrievalBench", "--only", embed ? "embed" : "exact", "--json",
                    out.toString()));
            if (config.quick()) {
                cmd.add("--quick");
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Deque<String> tail = new ArrayDeque<>();
            Thread reader = new Thread(() -> readLines(p.getInputStream(), tail, new String[1]), "retrieval-reader");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(20, TimeUnit.MINUTES)) {
                p.destroyForcibly().waitFor();
            }
            reader.join(10_000);
            JsonNode root = Files.size(out) > 0 ? ClientMain.JSON.readTree(out.toFile()) : null;
            Files.deleteIfExists(out);
            JsonNode e = root == null ? null : root.path(embed ? "embedding" : "exact");
            if (e == null || e.isMissingNode()) {
                String why;
                synchronized (tail) {
                    why = "the retrieval fork produced no results (exit " + p.exitValue() + "): "
                            + String.join(" | ", tail);
                }
                for (String sys : s.systems()) {
                    results.add(Result.failed(s.name(), sys, why).withIterations(i));
                }
                continue;
            }
            if (embed) {
                long n = e.path("sentences").asLong() * e.path("rounds").asLong();
                results.add(new Result(s.name(), Scenario.LOCAL_EMBEDDER,
                        e.path("dspex_local_sentences_per_s").asDouble(),
                        e.path("one_query_p50_ms_dspex_local").asDouble(), null, null, null, null, null, null, null, n,
                        0L, i, String.format(Locale.ROOT, "CPU %.2f ms a sentence",
                        e.path("cpu_ms_per_sentence_dspex_local").asDouble())));
                results.add(new Result(s.name(), Scenario.LANGCHAIN4J_EMBEDDER,
                        e.path("langchain4j_sentences_per_s").asDouble(),
                        e.path("one_query_p50_ms_langchain4j").asDouble(),
                        null, null, null, null, null, null, null, n, 0L, i, String.format(Locale.ROOT,
                        "CPU %.2f ms a sentence", e.path("cpu_ms_per_sentence_langchain4j").asDouble())));
            } else {
                results.add(new Result(s.name(), Scenario.EXACT_SEARCH, null, e.path("p50_ms").asDouble(),
                        e.path("p99_ms").asDouble(), null, null, null, null, null, null, e.path("queries").asLong(),
                        0L, i,
                        String.format(Locale.ROOT, "%,d x %d vectors, k = %d; CPU %.2f ms a query",
                                e.path("vectors").asLong(), e.path("dimension").asInt(), e.path("k").asInt(),
                                e.path("cpu_ms_per_query_mean").asDouble())));
            }
        }
        return results;
    }

    /**
     * Runs {@link FlinkThroughput} in a JVM of its own (it starts its own server and interleaves its own
     * iterations) and reads its JSON: one result per configuration and iteration, each configuration a system.
     */
    private List<Result> runFlink(Scenario s) throws IOException, InterruptedException {
        if (config.fullClasspath() == null) {
            return notRun(s);
        }
        Path out = Files.createTempFile("flink-results", ".json");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx2g", "-XX:+UseG1GC", "-cp", config.fullClasspath(),
                FlinkThroughput.class.getName(), "--json", out.toString(), "--latency-ms", Long.toString(s.latencyMs()),
                "--iterations", Integer.toString(config.iterations())));
        if (config.quick()) {
            cmd.add("--quick");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Deque<String> tail = new ArrayDeque<>();
        Thread reader = new Thread(() -> readLines(p.getInputStream(), tail, new String[1]), "flink-reader");
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
        }
        reader.join(10_000);
        List<Result> results = new ArrayList<>();
        if (Files.size(out) > 0) {
            JsonNode root = ClientMain.JSON.readTree(out.toFile());
            for (JsonNode c : root.path("configurations")) {
                int i = 0;
                for (JsonNode t : c.path("results_per_s")) {
                    results.add(new Result(s.name(), c.path("name").asText(), t.asDouble(), null, null,
                            c.path("wall_s").path(i).isNumber() ? c.path("wall_s").path(i).asDouble() : null, null,
                            null, null, null, null, c.path("inputs").asLong(), 0L, ++i,
                            String.format(Locale.ROOT, "ideal %,.0f results/s", c.path("ideal_per_s").asDouble())));
                }
            }
        }
        Files.deleteIfExists(out);
        if (results.isEmpty()) {
            synchronized (tail) {
                String why = "the Flink fork produced no results (exit " + p.exitValue() + "): "
                        + String.join(" | ", tail);
                return s.systems().stream().map(sys -> Result.failed(s.name(), sys, why)).toList();
            }
        }
        return results;
    }

    private static void readLines(InputStream in, Deque<String> tail, String[] result) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(ClientMain.PREFIX)) {
                    result[0] = line.substring(ClientMain.PREFIX.length());
                } else {
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > 5) {
                            tail.removeFirst();
                        }
                    }
                }
            }
        } catch (IOException e) {
            synchronized (tail) {
                tail.addLast("reading the fork's output failed: " + e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ JMH

    private static boolean hasAdapterBenchmark() throws IOException {
        try (InputStream in = Harness.class.getResourceAsStream("/META-INF/BenchmarkList")) {
            return in != null && new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("AdapterBenchmark");
        }
    }

    private List<Report.JmhResult> runJmh() throws IOException, InterruptedException {
        Path out = Files.createTempFile("jmh-adapter", ".json");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", classpath, "org.openjdk.jmh.Main", "AdapterBenchmark",
                "-f", "1", "-t", "1", "-rf", "json", "-rff", out.toString()));
        cmd.addAll(config.quick() ? List.of("-wi", "1", "-i", "2", "-w", "1s", "-r", "1s")
                : List.of("-wi", "3", "-i", "5", "-w", "2s", "-r", "2s"));
        log("jmh " + String.join(" ", cmd.subList(4, cmd.size())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Deque<String> tail = new ArrayDeque<>();
        readLines(p.getInputStream(), tail, new String[1]);
        p.waitFor();
        List<Report.JmhResult> results = new ArrayList<>();
        if (Files.size(out) > 0) {
            JsonNode root = ClientMain.JSON.readTree(out.toFile());
            for (JsonNode b : root) {
                String name = b.path("benchmark").asText();
                JsonNode m = b.path("primaryMetric");
                results.add(new Report.JmhResult(name.substring(name.lastIndexOf('.') + 1), b.path("mode").asText(),
                        m.path("score").asDouble(), m.path("scoreError").asDouble(), m.path("scoreUnit").asText()));
            }
        }
        Files.deleteIfExists(out);
        results.sort(Comparator.comparing(Report.JmhResult::benchmark));
        return results;
    }

    static ObjectNode toJson(Report report) {
        ObjectNode root = ClientMain.JSON.createObjectNode();
        root.put("jdk", report.machine().jdk());
        root.put("cpus", report.machine().cpus());
        root.put("cpu_model", report.machine().cpuModel());
        root.put("memory_gb", report.machine().memoryGb());
        root.put("date", report.machine().date());
        root.put("mode", report.provenance().full() ? "full" : report.config().quick() ? "quick" : "partial");
        root.put("commit", report.provenance().commit());
        root.put("tree_dirty", report.provenance().dirty());
        root.put("minutes", report.minutes());
        root.put("iterations", report.config().iterations());
        ArrayNode scenarios = root.putArray("scenarios");
        for (Scenario s : report.config().scenarios()) {
            ObjectNode n = scenarios.addObject();
            n.put("name", s.name());
            n.put("latency_ms", s.latencyMs());
            n.set("load", ClientMain.JSON.valueToTree(report.config().loads().apply(s)));
            n.set("systems", ClientMain.JSON.valueToTree(s.systems()));
        }
        ObjectNode variants = root.putObject("variants");
        report.config().variants().forEach((name, v) -> variants.putObject(name).put("commit", v.commit())
                .put("subject", v.subject()));
        root.put("load_average_before", report.loadBefore());
        root.put("load_average_after", report.loadAfter());
        // "runs": per system, the representative (median) fork; "iterations_raw": every fork, failed ones too.
        ArrayNode runs = root.putArray("runs");
        report.results().forEach(r -> runs.add(ClientMain.JSON.valueToTree(r)));
        ArrayNode all = root.putArray("iterations_raw");
        report.iterations().forEach(r -> all.add(ClientMain.JSON.valueToTree(r)));
        ArrayNode jmh = root.putArray("jmh");
        report.jmh().forEach(j -> jmh.add(ClientMain.JSON.valueToTree(j)));
        if (report.jmhNote() != null) {
            root.put("jmh_note", report.jmhNote());
        }
        return root;
    }

    static String prettyJson(Report report) throws IOException {
        return ClientMain.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson(report));
    }
}

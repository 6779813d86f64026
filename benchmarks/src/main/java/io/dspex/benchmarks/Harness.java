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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs every scenario for every system and writes the results: {@code benchmark-results.json} and
 * {@code BENCHMARKS.md}. Per scenario it starts {@link MockServerMain} in its own JVM, then forks a fresh client
 * JVM ({@link ClientMain}) per system and iteration, interleaving the systems so that a change in machine load
 * hits them all alike; it reports each system's median. Afterwards it runs the JMH {@code AdapterBenchmark} from
 * the same jar, when the jar has it.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dspex.benchmarks.Harness --quick \
 *     --json benchmarks/target/benchmark-results.json --markdown BENCHMARKS.md
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
     */
    record Config(boolean quick, int iterations, List<Scenario> scenarios, Function<Scenario, Load> loads,
                  boolean fork, boolean jmh, Path jfrDir) {
    }

    private final Config config;
    private final String classpath = System.getProperty("java.class.path");
    private final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();

    Harness(Config config) {
        this.config = config;
    }

    /**
     * @param args {@code --quick}; {@code --json PATH}; {@code --markdown PATH}; {@code --iterations N};
     *             {@code --scenarios a,b}; {@code --systems a,b} (only these); {@code --no-jmh}; {@code --jfr DIR} (record each client fork)
     * @throws Exception when a run cannot start or a file cannot be written
     */
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        boolean quick = a.has("quick");
        List<Scenario> scenarios = a.has("scenarios")
                ? Arrays.stream(a.required("scenarios").split(",")).map(String::strip).map(Scenario::named).toList()
                : Scenario.ALL;
        if (a.has("systems")) {
            List<String> keep = Arrays.stream(a.required("systems").split(",")).map(String::strip).toList();
            scenarios = scenarios.stream().map(s -> new Scenario(s.name(), s.kind(), s.latencyMs(), s.streamInterval(),
                    s.systems().stream().filter(keep::contains).toList())).filter(s -> !s.systems().isEmpty()).toList();
        }
        Config config = new Config(quick, (int) a.longValue("iterations", quick ? 1 : 3), scenarios,
                s -> Load.of(s, quick), true, !a.has("no-jmh"),
                a.has("jfr") ? Paths.get(a.required("jfr")) : null);
        Path json = Paths.get(a.string("json", "benchmarks/target/benchmark-results.json"));
        Path markdown = Paths.get(a.string("markdown", "BENCHMARKS.md"));
        Report report = new Harness(config).run();
        report.write(json, markdown);
        System.out.println("wrote " + json + " and " + markdown);
    }

    /** Runs everything configured. */
    Report run() throws IOException, InterruptedException {
        long started = System.nanoTime();
        String loadBefore = Machine.loadAverage();
        List<Result> results = new ArrayList<>();
        List<Result> iterationsAll = new ArrayList<>();
        for (Scenario s : config.scenarios()) {
            Load load = config.loads().apply(s);
            log("scenario " + s.name() + " " + load);
            Map<String, List<Result>> bySystem = new LinkedHashMap<>();
            s.systems().forEach(sys -> bySystem.put(sys, new ArrayList<>()));
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
                        Result r = runClient(s, system, load, server.baseUrl(), i);
                        log(String.format("  %-24s #%d %s", system, i, brief(r)));
                        done.add(r);
                        iterationsAll.add(r);
                    }
                }
            }
            bySystem.values().forEach(list -> results.add(median(list)));
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
            sb.append(String.format("p50 %.2f ms p99 %.2f ms ", r.p50Ms(), r.p99Ms()));
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
        if (r.note() != null) {
            sb.append("(").append(r.note()).append(")");
        }
        return sb.toString().strip();
    }

    static void log(String line) {
        System.out.println(line);
        System.out.flush();
    }

    // ------------------------------------------------------------------ median

    /** The median of each field over the iterations that ran; notes of all iterations are kept. */
    static Result median(List<Result> runs) {
        Result first = runs.get(0);
        List<Result> ok = runs.stream().filter(r -> r.completed() != null).toList();
        List<String> notes = runs.stream().map(Result::note).filter(Objects::nonNull).distinct().toList();
        String note = notes.isEmpty() ? null : String.join("; ", notes);
        if (ok.isEmpty()) {
            return Result.failed(first.scenario(), first.system(), note);
        }
        return new Result(first.scenario(), first.system(), med(ok, Result::throughputPerS), med(ok, Result::p50Ms),
                med(ok, Result::p99Ms), med(ok, Result::wallS), med(ok, Result::coldWallS), medInt(ok, Result::peakThreads),
                med(ok, Result::peakHeapMb), med(ok, Result::firstChunkP50Ms), med(ok, Result::firstChunkP99Ms),
                medLong(ok, Result::completed), medLong(ok, Result::errors), ok.size(), note,
                med(ok, Result::clientCpuUsPerCall));
    }

    private static Double med(List<Result> rs, Function<Result, Double> f) {
        List<Double> v = rs.stream().map(f).filter(Objects::nonNull).sorted().toList();
        if (v.isEmpty()) {
            return null;
        }
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static Integer medInt(List<Result> rs, Function<Result, Integer> f) {
        Double d = med(rs, r -> f.apply(r) == null ? null : f.apply(r).doubleValue());
        return d == null ? null : (int) Math.round(d);
    }

    private static Long medLong(List<Result> rs, Function<Result, Long> f) {
        Double d = med(rs, r -> f.apply(r) == null ? null : f.apply(r).doubleValue());
        return d == null ? null : Math.round(d);
    }

    // ------------------------------------------------------------------ server

    /** The mock server of one scenario: its own JVM, or in this one. */
    private interface Server extends AutoCloseable {
        String baseUrl();

        @Override
        void close() throws IOException, InterruptedException;
    }

    private Server startServer(Scenario s) throws IOException {
        Duration interval = s.streamInterval() < 0 ? null : Duration.ofMillis(s.streamInterval());
        if (!config.fork()) {
            MockLmServer server = MockServerMain.start(s.latencyMs(), 0, interval);
            return new Server() {
                @Override
                public String baseUrl() {
                    return server.baseUrl();
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
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            p.destroyForcibly();
            throw new IOException("mock server JVM did not start: " + line);
        }
        String baseUrl = "http://127.0.0.1:" + line.substring(5).strip() + "/v1";
        return new Server() {
            @Override
            public String baseUrl() {
                return baseUrl;
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
        cmd.addAll(List.of("-cp", classpath, ClientMain.class.getName(), "--scenario", s.name(), "--system", system,
                "--base-url", baseUrl));
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
        return ClientMain.JSON.readValue(result[0], Result.class);
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
        root.put("mode", report.config().quick() ? "quick" : "full");
        root.put("iterations", report.config().iterations());
        root.put("load_average_before", report.loadBefore());
        root.put("load_average_after", report.loadAfter());
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

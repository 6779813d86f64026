package io.dspex.benchmarks;

import io.dspex.flink.BatchJob;
import io.dspex.flink.LmConfig;
import io.dspex.flink.ProgramAsyncFunction;
import io.dspex.flink.ProgramResult;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Throughput of a program on Flink (the {@code dspex-flink} BatchJob pipeline: FileSource, the program in the async
 * operator, FileSink with checkpoints, on an embedded MiniCluster) against the same program with
 * {@code Program.batch} on one JVM, at a fixed server latency (default 50 ms). The server ({@link MockServerMain})
 * runs in a JVM of its own; the client side (Flink or the batch) in this one.
 *
 * <p>Throughput is measured where results leave the program: from the first result to the last ({@code (n - 1) /
 * elapsed}), so the job's start (MiniCluster, deployment) and its end (the final checkpoint that commits the files)
 * are not counted, for Flink and for the batch alike. Configurations, each measured {@code --iterations} times
 * (median reported), interleaved:
 *
 * <ul>
 *   <li>{@code batch-c64}: {@code Predict.batch(inputs, 64)};</li>
 *   <li>{@code flink-p1-c64}: one subtask at concurrency 64 (target: at least 0.9x {@code batch-c64});</li>
 *   <li>{@code flink-p1-c16} and {@code flink-p2-c16}: the same per-subtask concurrency at parallelism 1 and 2
 *       (target: p2 at least 1.8x p1).</li>
 * </ul>
 *
 * <pre>
 * benchmarks/flink.sh            (or: --quick, --latency-ms N, --iterations N)
 * </pre>
 */
public final class FlinkThroughput {

    private FlinkThroughput() {
    }

    /** First and last result times of the run in progress; static so that Flink's operators (same JVM) reach it. */
    static final AtomicLong FIRST = new AtomicLong();
    static final AtomicLong LAST = new AtomicLong();
    static final AtomicLong COUNT = new AtomicLong();

    static void reset() {
        FIRST.set(Long.MAX_VALUE);
        LAST.set(0);
        COUNT.set(0);
    }

    static void record() {
        long now = System.nanoTime();
        FIRST.accumulateAndGet(now, Math::min);
        LAST.accumulateAndGet(now, Math::max);
        COUNT.incrementAndGet();
    }

    /** Results per second between the first and the last result. */
    static double throughput() {
        long n = COUNT.get();
        return (n - 1) / ((LAST.get() - FIRST.get()) / 1e9);
    }

    /** A fast retry policy: nothing fails in this run, but a stray retry must not stall it. */
    static final RetryPolicy POLICY = RetryPolicy.defaults().withBackoff(Duration.ofMillis(5), Duration.ofMillis(50));

    /** Marks each result's time, in the subtask that produced it. */
    static final class Mark implements MapFunction<ProgramResult, ProgramResult> {
        private static final long serialVersionUID = 1L;

        @Override
        public ProgramResult map(ProgramResult r) {
            if (!r.isSuccess()) {
                throw new IllegalStateException("benchmark input failed: " + r.error());
            }
            record();
            return r;
        }
    }

    record Config(String name, int parallelism, int concurrency, int inputs) {
    }

    /**
     * @param args {@code --quick} (a quarter of the inputs, one iteration), {@code --latency-ms N} (default 50),
     *             {@code --iterations N} (default 3), {@code --json PATH} (every iteration's figure, for the
     *             harness's {@code flink} scenario)
     * @throws Exception when a run fails
     */
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        boolean quick = a.has("quick");
        long latencyMs = a.longValue("latency-ms", 50);
        int iterations = (int) a.longValue("iterations", quick ? 1 : 3);
        int scale = quick ? 4 : 1;
        // About 10 s each at 50 ms: 64 in flight -> 1280/s, 16 -> 320/s, 2 x 16 -> 640/s.
        List<Config> configs = List.of(
                new Config("batch-c64", 0, 64, 12_800 / scale),
                new Config("flink-p1-c64", 1, 64, 12_800 / scale),
                new Config("flink-p1-c16", 1, 16, 3_200 / scale),
                new Config("flink-p2-c16", 2, 16, 6_400 / scale));
        System.out.printf(Locale.ROOT, "Flink throughput at %d ms server latency, %d iteration(s), %d cores, "
                + "load average %s%n", latencyMs, iterations, Runtime.getRuntime().availableProcessors(),
                Machine.loadAverage());
        Process server = startServer(latencyMs);
        Path work = Files.createTempDirectory("dspex-flink-bench");
        try {
            String baseUrl = baseUrl(server);
            // Warm-up (JIT, connections): a short run of each kind, not measured.
            run(new Config("warm-up-batch", 0, 64, 1_000), baseUrl, work);
            run(new Config("warm-up-flink", 1, 64, 1_000), baseUrl, work);
            Map<String, List<Double>> results = new java.util.LinkedHashMap<>();
            for (int i = 0; i < iterations; i++) {
                for (int k = 0; k < configs.size(); k++) {
                    Config c = configs.get((k + i) % configs.size());
                    double t = run(c, baseUrl, work);
                    results.computeIfAbsent(c.name(), x -> new ArrayList<>()).add(t);
                    System.out.printf(Locale.ROOT, "  %-14s %6d inputs  %8.1f results/s  (ideal %6.0f)%n", c.name(),
                            c.inputs(), t, ideal(c, latencyMs));
                }
            }
            System.out.println();
            System.out.println("| configuration | inputs | results/s (median) | ideal | of ideal |");
            System.out.println("|---|---|---|---|---|");
            Map<String, Double> median = new java.util.LinkedHashMap<>();
            for (Config c : configs) {
                double m = median(results.get(c.name()));
                median.put(c.name(), m);
                System.out.printf(Locale.ROOT, "| %s | %,d | %,.1f | %,.0f | %.2f |%n", c.name(), c.inputs(), m,
                        ideal(c, latencyMs), m / ideal(c, latencyMs));
            }
            double scaling = median.get("flink-p2-c16") / median.get("flink-p1-c16");
            double oneSubtask = median.get("flink-p1-c64") / median.get("batch-c64");
            System.out.println();
            System.out.printf(Locale.ROOT, "parallelism 2 / parallelism 1 (c16 each): %.2fx (target >= 1.80x) %s%n",
                    scaling, scaling >= 1.8 ? "met" : "NOT met");
            System.out.printf(Locale.ROOT, "one subtask c64 / Program.batch c64:       %.2fx (target >= 0.90x) %s%n",
                    oneSubtask, oneSubtask >= 0.9 ? "met" : "NOT met");
            System.out.println("load average after: " + Machine.loadAverage());
            if (a.has("json")) {
                com.fasterxml.jackson.databind.node.ObjectNode root = ClientMain.JSON.createObjectNode();
                root.put("latency_ms", latencyMs);
                com.fasterxml.jackson.databind.node.ArrayNode all = root.putArray("configurations");
                for (Config c : configs) {
                    com.fasterxml.jackson.databind.node.ObjectNode n = all.addObject();
                    n.put("name", c.name());
                    n.put("parallelism", c.parallelism());
                    n.put("concurrency", c.concurrency());
                    n.put("inputs", c.inputs());
                    n.put("ideal_per_s", ideal(c, latencyMs));
                    com.fasterxml.jackson.databind.node.ArrayNode per = n.putArray("results_per_s");
                    results.get(c.name()).forEach(per::add);
                }
                Files.writeString(Path.of(a.required("json")), ClientMain.JSON.writeValueAsString(root),
                        StandardCharsets.UTF_8);
            }
        } finally {
            server.getOutputStream().close();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            deleteTree(work);
        }
    }

    private static double ideal(Config c, long latencyMs) {
        return Math.max(1, c.parallelism()) * c.concurrency() * 1000.0 / latencyMs;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Comparator.naturalOrder());
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double run(Config c, String baseUrl, Path work) throws Exception {
        reset();
        if (c.parallelism() == 0) {
            runBatch(c, baseUrl);
        } else {
            runFlink(c, baseUrl, work);
        }
        if (COUNT.get() != c.inputs()) {
            throw new IllegalStateException(c.name() + ": " + COUNT.get() + " results for " + c.inputs() + " inputs");
        }
        return throughput();
    }

    private static void runBatch(Config c, String baseUrl) {
        try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(baseUrl).model(Workload.MODEL)
                .apiKey(Workload.API_KEY).maxConnections(c.concurrency()).build()) {
            Predict qa = Predict.of(Workload.SIGNATURE).withLm(lm).withRetry(POLICY);
            List<Map<String, Object>> inputs = new ArrayList<>(c.inputs());
            for (int i = 0; i < c.inputs(); i++) {
                inputs.add(Map.of("question", Workload.QUESTION + " #" + i));
            }
            qa.batch(inputs, c.concurrency()).doOnNext(r -> {
                if (!r.isSuccess()) {
                    throw new IllegalStateException("benchmark input failed: " + r.error());
                }
                record();
            }).blockLast(Duration.ofMinutes(5));
        }
    }

    private static void runFlink(Config c, String baseUrl, Path work) throws Exception {
        Path dir = Files.createTempDirectory(work, "run");
        Path in = dir.resolve("in.jsonl");
        List<String> lines = new ArrayList<>(c.inputs());
        for (int i = 0; i < c.inputs(); i++) {
            lines.add("{\"id\": \"" + i + "\", \"question\": \"" + Workload.QUESTION + " #" + i + "\"}");
        }
        Files.write(in, lines, StandardCharsets.UTF_8);
        BatchJob.Options options = BatchJob.Options.parse("--input", in.toString(), "--output",
                dir.resolve("out").toString(), "--signature", "question -> answer", "--parallelism",
                Integer.toString(c.parallelism()), "--concurrency", Integer.toString(c.concurrency()));
        ProgramAsyncFunction fn = ProgramAsyncFunction.builder()
                .program(() -> Predict.of(Workload.SIGNATURE).withRetry(POLICY))
                .lm(LmConfig.of(baseUrl, Workload.MODEL))
                .concurrency(c.concurrency())
                .build();
        Configuration conf = new Configuration();
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, c.parallelism());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(c.parallelism(), conf);
        BatchJob.configure(env, options);
        DataStream<ProgramResult> results = BatchJob.results(env, options, fn).map(new Mark())
                .returns(ProgramResult.class);
        BatchJob.write(results, options);
        env.execute(c.name());
        deleteTree(dir);
    }

    private static Process startServer(long latencyMs) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"), MockServerMain.class.getName(),
                "--latency-ms", Long.toString(latencyMs));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static String baseUrl(Process server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            server.destroyForcibly();
            throw new IOException("mock server JVM did not start: " + line);
        }
        return "http://127.0.0.1:" + line.substring(5).strip() + "/v1";
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

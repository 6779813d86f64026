package io.dspex.flink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.Example;
import io.dspex.Program;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.Metrics;
import io.dspex.flink.internal.JsonTypeInfo;
import io.dspex.flink.internal.Rows;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.streaming.api.windowing.assigners.GlobalWindows;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.flink.util.function.SerializableSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The command-line job: runs a saved {@code Predict} or {@code ChainOfThought} over a JSONL file on Flink and writes
 * one JSONL row per input, exactly once, as part files under an output directory.
 *
 * <pre>
 * java -cp "$(cat dspex-flink/target/local-classpath.txt)" io.dspex.flink.BatchJob \
 *     --input in.jsonl --output out/ --program program.json --signature "question -&gt; answer" \
 *     --base-url http://localhost:11434/v1 --model llama3.2 [--parallelism 2] [--concurrency 16] \
 *     [--checkpoint-ms 1000] [--ordered] [--metric exact_match:answer]
 * flink run dspex-flink-job.jar --input ... (the same arguments, on a cluster)
 * </pre>
 *
 * <p><b>Input</b>: one JSON object per line with an {@code id} (text or integer) and the signature's input fields;
 * other keys (labels) are kept for the metric and not sent to the program. <b>Output</b>: {@code part-*.jsonl} files
 * under {@code --output}, each line {@code {"id": .., <output fields>..}} or {@code {"id": .., "error": ".."}}
 * (an input line that is not a JSON object with an id gives {@code {"id": null, "error": ..}}). Files become visible
 * when the checkpoint after them completes (every {@code --checkpoint-ms}, default {@value #DEFAULT_CHECKPOINT_MS});
 * a restart after a failure resumes from the last checkpoint and never duplicates a committed row.
 *
 * <p><b>Evaluation mode</b> ({@code --metric exact_match:answer} or {@code f1:answer}): each row also carries its
 * {@code score} (0 for a failed input), and {@code <output>/total/part-*.jsonl} holds one line with the score in
 * percent computed as {@link io.dspex.evaluate.Evaluate} computes it, which the job also prints.
 *
 * <p><b>The model</b>: {@code --base-url} and {@code --model} name an OpenAI-compatible server; the API key is read
 * on each task manager from the environment variable {@code --api-key-env} names (default {@code DSPEX_API_KEY} when
 * it is set), never passed on the command line or shipped in the job. Without {@code --base-url}, the job starts the
 * samples' simulated model on 127.0.0.1 in the submitting JVM (reachable from tasks on the same machine only: the
 * embedded MiniCluster, or a local cluster).
 *
 * <p><b>Other options</b>: {@code --program} (a state saved by {@code program.save(..)} or DSPy's
 * {@code module.save(..)}; without it, a fresh {@code Predict}), {@code --fail-fast} (a failed input fails the job
 * instead of becoming an error row; no restarts), {@code --timeout-ms} (Flink's per-input timeout, default 5
 * minutes), {@code --requests-per-minute} and {@code --tokens-per-minute} (the provider's limits for the whole job:
 * each subtask keeps to its share, the limit divided by the parallelism; see {@link LmConfig}). Restarts after other failures: up to {@value #RESTART_ATTEMPTS}, one second apart, each from the last
 * checkpoint.
 */
public final class BatchJob {

    /** The checkpoint interval when {@code --checkpoint-ms} is not given. */
    public static final long DEFAULT_CHECKPOINT_MS = 1000;

    /** How many times the job restarts from its last checkpoint after a failure before it fails. */
    public static final int RESTART_ATTEMPTS = 3;

    /** The environment variable read for the API key when {@code --api-key-env} is not given and it is set. */
    public static final String DEFAULT_API_KEY_VARIABLE = "DSPEX_API_KEY";

    /** The subdirectory of the output that holds evaluation mode's total. */
    public static final String TOTAL_DIR = "total";

    /** Logback's property naming its configuration; only {@link #main} sets it, and only when it is unset. */
    private static final String LOGBACK_CONFIGURATION = "logback.configurationFile";

    static final String USAGE = "usage: BatchJob --input in.jsonl --output DIR --signature \"question -> answer\" "
            + "[--program program.json] [--base-url URL --model NAME] [--api-key-env VAR] [--parallelism N] "
            + "[--concurrency C] [--checkpoint-ms MS] [--timeout-ms MS] [--ordered] [--metric exact_match:answer] "
            + "[--requests-per-minute N] [--tokens-per-minute N] "
            + "[--fail-fast]";

    private BatchJob() {
    }

    /**
     * Runs the job and prints a summary; on bad arguments prints why and the usage, and exits with status 2. Where
     * logback is the logging binding (local runs) and no configuration is named, it logs warnings of the library
     * and errors of Flink only.
     *
     * @param args the arguments (see the class documentation)
     * @throws Exception when the job fails
     */
    public static void main(String[] args) throws Exception {
        if (System.getProperty(LOGBACK_CONFIGURATION) == null) {
            System.setProperty(LOGBACK_CONFIGURATION, "io/dspex/flink/batchjob-logback.xml");
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        run(options, System.out);
    }

    /**
     * Runs the job on the environment Flink provides ({@code getExecutionEnvironment()}: an embedded MiniCluster
     * under {@code java}, the cluster under {@code flink run}) and waits for it.
     *
     * @param options the parsed arguments
     * @param out     where to print the banner and the summary
     * @return Flink's result
     * @throws Exception when the job fails
     */
    public static JobExecutionResult run(Options options, PrintStream out) throws Exception {
        EmbeddedModel embedded = null;
        LmConfig lm;
        if (options.baseUrl() == null) {
            try {
                embedded = EmbeddedModel.start();
            } catch (NoClassDefFoundError e) {
                throw new IllegalStateException("no --base-url given, and the embedded simulated model is not on the "
                        + "class path (it needs io.dspex:dspex-samples and io.dspex:dspex-reactor-test, as this "
                        + "repository's builds and the job jar have them): pass --base-url URL --model NAME", e);
            }
            out.println(embedded.banner());
            lm = LmConfig.of(embedded.baseUrl(), embedded.model());
        } else {
            String model = options.model();
            lm = LmConfig.of(options.baseUrl(), model == null ? "" : model)
                    .withApiKeyVariable(options.apiKeyVariable(System.getenv()));
        }
        lm = lm.withRequestsPerMinute(options.requestsPerMinute()).withTokensPerMinute(options.tokensPerMinute());
        try {
            ProgramAsyncFunction fn = function(options, lm);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            configure(env, options);
            build(env, options, fn);
            JobExecutionResult result = env.execute("dspex BatchJob " + options.input());
            summarize(options, out);
            return result;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    /**
     * The job's function: the program the saved state describes (a {@code ChainOfThought} when the state has its
     * {@code predict} entry, else a {@code Predict}), over the signature, with the given LM and the options'
     * concurrency, timeout, metric and fail-fast setting.
     *
     * @param options the parsed arguments
     * @param lm      the model
     * @return the function
     * @throws io.dspex.ProgramStateException when the state does not fit the signature
     * @throws IllegalArgumentException       when the state is neither a Predict's nor a ChainOfThought's
     */
    public static ProgramAsyncFunction function(Options options, LmConfig lm) {
        String state = options.program() == null ? null : read(Path.of(options.program()));
        boolean chainOfThought = state != null && isChainOfThought(state, options.program());
        ProgramAsyncFunction.Builder b = ProgramAsyncFunction.builder()
                .program(new SavedProgram(options.signature(), chainOfThought))
                .state(state)
                .lm(lm)
                .concurrency(options.concurrency())
                .timeout(options.timeout())
                .failFast(options.failFast());
        if (options.metric() != null) {
            b.metric(new MetricSpec(options.metric()));
        }
        return b.build();
    }

    /**
     * Checkpointing (exactly once, every {@code --checkpoint-ms}), parallelism, and the restart strategy (none with
     * {@code --fail-fast}, else {@value #RESTART_ATTEMPTS} attempts one second apart).
     *
     * @param env     the environment
     * @param options the parsed arguments
     */
    public static void configure(StreamExecutionEnvironment env, Options options) {
        if (options.parallelism() > 0) {
            env.setParallelism(options.parallelism());
        }
        env.enableCheckpointing(options.checkpointMs(), CheckpointingMode.EXACTLY_ONCE);
        Configuration restarts = new Configuration();
        if (options.failFast()) {
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        } else {
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, RESTART_ATTEMPTS);
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
        }
        env.configure(restarts);
    }

    /**
     * Adds the whole job to the environment: {@link #results} into {@link #write}.
     *
     * @param env     the environment
     * @param options the parsed arguments
     * @param fn      the function
     */
    public static void build(StreamExecutionEnvironment env, Options options, ProgramAsyncFunction fn) {
        write(results(env, options, fn), options);
    }

    /**
     * Reads the input file (Flink's {@code FileSource}, its position checkpointed), parses each line, spreads the
     * inputs over the subtasks and applies the function, ordered or not; an input line that cannot be parsed
     * becomes an error result without reaching the program.
     *
     * @param env     the environment
     * @param options the parsed arguments
     * @param fn      the function
     * @return one result per input line
     */
    public static DataStream<ProgramResult> results(StreamExecutionEnvironment env, Options options,
                                                    ProgramAsyncFunction fn) {
        FileSource<String> source = FileSource.forRecordStreamFormat(new TextLineInputFormat(),
                flinkPath(options.input())).build();
        OutputTag<ProgramResult> invalid = new OutputTag<>("invalid-input-lines", JsonTypeInfo.programResult());
        SingleOutputStreamOperator<ProgramInput> inputs = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "jsonl input")
                .process(new ParseLine(inputFields(options.signature()), invalid, fn.evaluates()))
                .returns(JsonTypeInfo.programInput())
                .name("parse jsonl");
        // One file is one split, read by one subtask: rebalance so that every subtask of the program gets inputs.
        // At parallelism 1 there is nothing to spread, and chaining the program to the reader saves serialising
        // every input across a local channel.
        DataStream<ProgramInput> spread = env.getParallelism() == 1 ? inputs : inputs.rebalance();
        DataStream<ProgramResult> results = options.ordered() ? fn.orderedWait(spread) : fn.unorderedWait(spread);
        return results.union(inputs.getSideOutput(invalid));
    }

    /**
     * Writes one JSONL row per result as part files under {@code --output} (Flink's {@code FileSink}, committed on
     * checkpoints: exactly once), and in evaluation mode the total under {@code --output/total}.
     *
     * @param results the results
     * @param options the parsed arguments
     */
    public static void write(DataStream<ProgramResult> results, Options options) {
        results.map(ProgramResult::toJsonLine).returns(Types.STRING).name("jsonl rows")
                .sinkTo(jsonlSink(options.output())).name("jsonl output");
        String metric = options.metric();
        if (metric != null) {
            results.map(r -> Tuple3.of(r.score() == null ? 0.0 : r.score(), 1L, r.isSuccess() ? 0L : 1L))
                    .returns(Types.TUPLE(Types.DOUBLE, Types.LONG, Types.LONG)).name("scores")
                    .windowAll(GlobalWindows.createWithEndOfStreamTrigger())
                    .reduce((a, b) -> Tuple3.of(a.f0 + b.f0, a.f1 + b.f1, a.f2 + b.f2)).name("total")
                    .map(t -> totalLine(metric, t.f0, t.f1, t.f2)).returns(Types.STRING).name("total row")
                    .sinkTo(jsonlSink(options.output() + "/" + TOTAL_DIR)).name("total output");
        }
    }

    /**
     * The score {@link io.dspex.evaluate.EvaluationResult#score()} gives for these rows: the mean in percent, rounded
     * to 2 decimals half to even on the exact binary value.
     *
     * @param scoreSum the sum of the rows' scores
     * @param rows     how many rows, at least 1
     * @return the score in percent
     */
    public static double score(double scoreSum, long rows) {
        return new BigDecimal(100 * scoreSum / rows).setScale(2, RoundingMode.HALF_EVEN).doubleValue();
    }

    private static String totalLine(String metric, double sum, long rows, long errors) {
        Map<String, Object> total = new LinkedHashMap<>();
        total.put("metric", metric);
        total.put("score", score(sum, rows));
        total.put("rows", rows);
        total.put("errors", errors);
        total.put("score_sum", sum);
        try {
            return Rows.MAPPER.writeValueAsString(total);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FileSink<String> jsonlSink(String dir) {
        return FileSink.forRowFormat(flinkPath(dir), new SimpleStringEncoder<String>(StandardCharsets.UTF_8.name()))
                .withBucketAssigner(new BasePathBucketAssigner<>())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("part").withPartSuffix(".jsonl")
                        .build())
                .build();
    }

    /** A path with a scheme ({@code s3://}, {@code hdfs://}, {@code file:}) as given; a local one made absolute. */
    private static org.apache.flink.core.fs.Path flinkPath(String path) {
        if (path.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*") && !path.matches("^[A-Za-z]:[\\\\/].*")) {
            return new org.apache.flink.core.fs.Path(path);
        }
        return new org.apache.flink.core.fs.Path(Path.of(path).toAbsolutePath().normalize().toUri());
    }

    /**
     * The rows the job committed under a local output directory: the lines of its finished part files (Flink keeps
     * files in progress hidden, their names starting with a dot), in file-name order.
     *
     * @param dir the output directory (or its {@value #TOTAL_DIR} subdirectory)
     * @return the lines, each one JSON object
     * @throws UncheckedIOException when the directory cannot be read
     */
    public static List<String> committedRows(Path dir) {
        List<String> lines = new ArrayList<>();
        for (Path f : committedFiles(dir)) {
            try {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the job's output " + f + ": " + e.getMessage(), e);
            }
        }
        return lines;
    }

    /** The finished part files directly under a local directory, in name order (none when it does not exist). */
    private static List<Path> committedFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the job's output in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void summarize(Options options, PrintStream out) {
        Path dir = localPath(options.output());
        if (dir == null) {
            out.println("Done: rows are in " + options.output());
            return;
        }
        long rows = 0;
        long errors = 0;
        for (Path part : committedFiles(dir)) {
            try (Stream<String> lines = Files.lines(part, StandardCharsets.UTF_8)) {
                for (Iterator<String> it = lines.filter(l -> !l.isBlank()).iterator(); it.hasNext(); ) {
                    String line = it.next();
                    rows++;
                    if (line.contains("\"error\"") && tree(line).has("error")) {
                        errors++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the job's output " + part + ": " + e.getMessage(), e);
            }
        }
        out.println("Wrote " + rows + " rows to " + dir + " (" + errors + " with an error).");
        if (options.metric() != null) {
            List<String> total = committedRows(dir.resolve(TOTAL_DIR));
            out.println(total.isEmpty() ? "No rows, no score." : "Score (" + options.metric() + "): "
                    + tree(total.get(0)).get("score").asDouble() + "%  " + total.get(0));
        }
    }

    private static @Nullable Path localPath(String path) {
        if (path.startsWith("file:")) {
            return Path.of(URI.create(path));
        }
        if (path.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*") && !path.matches("^[A-Za-z]:[\\\\/].*")) {
            return null;
        }
        return Path.of(path).toAbsolutePath().normalize();
    }

    private static JsonNode tree(String json) {
        try {
            return Rows.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the output holds a line that is not JSON: " + json, e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read --program " + file + ": " + e.getMessage(), e);
        }
    }

    /** DSPy saves a ChainOfThought as {@code {"predict": {...}}} and a bare Predict flat. */
    private static boolean isChainOfThought(String state, @Nullable String file) {
        JsonNode root;
        try {
            root = Rows.MAPPER.readTree(state);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("--program " + file + " is not JSON: " + e.getOriginalMessage(), e);
        }
        if (root != null && root.isObject() && root.path("predict").isObject()
                && root.path("predict").has("signature")) {
            return true;
        }
        if (root != null && root.isObject() && root.has("signature") && root.has("demos")) {
            return false;
        }
        List<String> keys = new ArrayList<>();
        if (root != null) {
            for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                keys.add(it.next());
            }
        }
        throw new IllegalArgumentException("--program " + file + " holds " + keys + ": BatchJob runs a Predict or a "
                + "ChainOfThought saved with program.save(..); for another program, build the job with "
                + "ProgramAsyncFunction and a factory of that program");
    }

    private static List<String> inputFields(String signature) {
        return Signature.parse(signature).inputFields().stream().map(Field::name).toList();
    }

    /** Builds the job's program in each subtask. */
    private record SavedProgram(String signature, boolean chainOfThought) implements SerializableSupplier<Program> {
        private static final long serialVersionUID = 1L;

        @Override
        public Program get() {
            return chainOfThought ? ChainOfThought.of(signature) : Predict.of(signature);
        }
    }

    /** {@code name:field}, built into a metric in each subtask. */
    private record MetricSpec(String spec) implements SerializableSupplier<Metric> {
        private static final long serialVersionUID = 1L;

        @Override
        public Metric get() {
            return Options.metric(spec);
        }
    }

    /** Parses each JSONL line into an input; a line that cannot be one goes to the side output as an error result. */
    private static final class ParseLine extends ProcessFunction<String, ProgramInput> {
        private static final long serialVersionUID = 1L;
        private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() { };

        private final List<String> inputFields;
        private final OutputTag<ProgramResult> invalid;
        private final boolean evaluates;

        ParseLine(List<String> inputFields, OutputTag<ProgramResult> invalid, boolean evaluates) {
            this.inputFields = List.copyOf(inputFields);
            this.invalid = invalid;
            this.evaluates = evaluates;
        }

        @Override
        public void processElement(String line, Context ctx, Collector<ProgramInput> out) {
            if (line.isBlank()) {
                return;
            }
            JsonNode node;
            try {
                node = Rows.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                reject(ctx, null, "not valid JSON: " + e.getOriginalMessage() + " in " + excerpt(line));
                return;
            }
            if (node == null || !node.isObject()) {
                reject(ctx, null, "each line must be a JSON object, got " + excerpt(line));
                return;
            }
            JsonNode id = node.get("id");
            if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
                reject(ctx, null, "missing 'id' (a string or an integer) in " + excerpt(line));
                return;
            }
            Map<String, Object> fields = Rows.MAPPER.convertValue(node, MAP);
            fields.remove("id");
            Example example = Example.of(fields);
            List<String> present = inputFields.stream().filter(fields::containsKey).toList();
            if (!present.isEmpty()) {
                example = example.withInputs(present.toArray(String[]::new));
            }
            out.collect(new ProgramInput(id.asText(), example));
        }

        private void reject(Context ctx, @Nullable String id, String why) {
            ctx.output(invalid, new ProgramResult(id, Map.of(), "InvalidInput: " + why,
                    evaluates ? ProgramAsyncFunction.FAILURE_SCORE : null));
        }

        private static String excerpt(String line) {
            return line.length() <= 200 ? line : line.substring(0, 200) + "...";
        }
    }

    /**
     * The job's arguments.
     *
     * @param input          the JSONL input file (a local path or a Flink file-system URI)
     * @param output         the output directory
     * @param program        the saved program state, or null for a fresh {@code Predict}
     * @param signature      the program's signature, e.g. {@code question -> answer}
     * @param baseUrl        the OpenAI-compatible server, or null for the embedded simulated model
     * @param model          the model name (required with a base URL)
     * @param apiKeyEnv      the environment variable with the API key, or null for the default
     * @param parallelism    the job's parallelism, or 0 for Flink's default
     * @param concurrency    in-flight inputs per subtask
     * @param checkpointMs   the checkpoint interval
     * @param timeoutMs      Flink's per-input timeout
     * @param ordered        whether each subtask emits results in input order
     * @param metric         {@code name:field} for evaluation mode, or null
     * @param failFast       whether a failed input fails the job
     * @param requestsPerMinute the model's request limit for the whole job, shared by its subtasks (0: none)
     * @param tokensPerMinute   the model's token limit for the whole job, shared by its subtasks (0: none)
     */
    public record Options(String input, String output, @Nullable String program, String signature,
                          @Nullable String baseUrl, @Nullable String model, @Nullable String apiKeyEnv,
                          int parallelism, int concurrency, long checkpointMs, long timeoutMs, boolean ordered,
                          @Nullable String metric, boolean failFast, int requestsPerMinute, long tokensPerMinute) {

        /**
         * @throws IllegalArgumentException when the input, output or signature is missing, or a number is out of
         *                                  range ({@link #parse} checks everything else)
         */
        public Options {
            if (input == null || output == null || signature == null) {
                throw new IllegalArgumentException("BatchJob options need an input, an output and a signature");
            }
            if (requestsPerMinute < 0 || tokensPerMinute < 0) {
                throw new IllegalArgumentException("BatchJob rate limits must be 0 (none) or more, got "
                        + requestsPerMinute + " requests and " + tokensPerMinute + " tokens per minute");
            }
            if (parallelism < 0 || concurrency < 1 || checkpointMs < 10 || timeoutMs < 1) {
                throw new IllegalArgumentException("BatchJob options out of range: parallelism " + parallelism
                        + " (0 or more), concurrency " + concurrency + " (1 or more), checkpoint " + checkpointMs
                        + " ms (10 or more), timeout " + timeoutMs + " ms (1 or more)");
            }
        }

        /**
         * Parses the command line.
         *
         * @param args the arguments
         * @return the options
         * @throws IllegalArgumentException naming the argument at fault
         */
        public static Options parse(String... args) {
            Map<String, String> values = new LinkedHashMap<>();
            boolean ordered = false;
            boolean failFast = false;
            List<String> valued = List.of("--input", "--output", "--program", "--signature", "--base-url", "--model",
                    "--api-key-env", "--parallelism", "--concurrency", "--checkpoint-ms", "--timeout-ms", "--metric",
                    "--requests-per-minute", "--tokens-per-minute");
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--ordered")) {
                    ordered = true;
                } else if (a.equals("--fail-fast")) {
                    failFast = true;
                } else if (valued.contains(a)) {
                    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                        throw new IllegalArgumentException(a + " needs a value");
                    }
                    if (values.put(a, args[++i]) != null) {
                        throw new IllegalArgumentException(a + " is given more than once");
                    }
                } else {
                    throw new IllegalArgumentException("unknown argument '" + a + "'");
                }
            }
            String input = required(values, "--input");
            String output = required(values, "--output");
            String signature = required(values, "--signature");
            Signature.parse(signature);
            String baseUrl = values.get("--base-url");
            String model = values.get("--model");
            if (baseUrl != null && model == null) {
                throw new IllegalArgumentException("--base-url " + baseUrl + " needs --model NAME (the model the "
                        + "server serves)");
            }
            if (baseUrl == null && model != null) {
                throw new IllegalArgumentException("--model " + model + " needs --base-url URL (without it, the job "
                        + "uses the embedded simulated model)");
            }
            if (baseUrl != null) {
                LmConfig.of(baseUrl, model);
            }
            String metric = values.get("--metric");
            if (metric != null) {
                metric(metric);
            }
            int parallelism = (int) number(values, "--parallelism", 0, 1);
            int concurrency = (int) number(values, "--concurrency", ProgramAsyncFunction.DEFAULT_CONCURRENCY, 1);
            long checkpointMs = number(values, "--checkpoint-ms", DEFAULT_CHECKPOINT_MS, 10);
            long timeoutMs = number(values, "--timeout-ms", ProgramAsyncFunction.DEFAULT_TIMEOUT.toMillis(), 1);
            int requestsPerMinute = (int) number(values, "--requests-per-minute", 0, 1);
            long tokensPerMinute = number(values, "--tokens-per-minute", 0, 1);
            if (parallelism > 0 && requestsPerMinute > 0 && requestsPerMinute < parallelism) {
                throw new IllegalArgumentException("--requests-per-minute " + requestsPerMinute + " cannot be shared "
                        + "by --parallelism " + parallelism + " subtasks (each needs at least 1)");
            }
            return new Options(input, output, values.get("--program"), signature, baseUrl, model,
                    values.get("--api-key-env"), parallelism, concurrency, checkpointMs, timeoutMs, ordered, metric,
                    failFast, requestsPerMinute, tokensPerMinute);
        }

        /** @return Flink's per-input timeout */
        public Duration timeout() {
            return Duration.ofMillis(timeoutMs);
        }

        /**
         * @param env the submitting process's environment
         * @return {@code --api-key-env}, else {@value #DEFAULT_API_KEY_VARIABLE} when it is set, else null (no key)
         */
        @Nullable String apiKeyVariable(Map<String, String> env) {
            if (apiKeyEnv != null) {
                return apiKeyEnv;
            }
            String v = env.get(DEFAULT_API_KEY_VARIABLE);
            return v == null || v.isBlank() ? null : DEFAULT_API_KEY_VARIABLE;
        }

        /** {@code exact_match:FIELD} or {@code f1:FIELD} as a metric. */
        static Metric metric(String spec) {
            int colon = spec.indexOf(':');
            String name = colon < 0 ? spec : spec.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String field = colon < 0 ? "" : spec.substring(colon + 1).strip();
            if (field.isEmpty()) {
                throw new IllegalArgumentException("--metric " + spec + " needs a field: exact_match:answer or "
                        + "f1:answer");
            }
            return switch (name) {
                case "exact_match" -> Metrics.exactMatch(field);
                case "f1" -> Metrics.f1(field);
                default -> throw new IllegalArgumentException("--metric " + spec + ": unknown metric '" + name
                        + "'; known: exact_match, f1");
            };
        }

        private static String required(Map<String, String> values, String name) {
            String v = values.get(name);
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(name + " is required");
            }
            return v;
        }

        private static long number(Map<String, String> values, String name, long fallback, long min) {
            String v = values.get(name);
            if (v == null) {
                return fallback;
            }
            long n;
            try {
                n = Long.parseLong(v.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a whole number, got '" + v + "'");
            }
            if (n < min || n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + Integer.MAX_VALUE
                        + ", got " + n);
            }
            return n;
        }
    }
}

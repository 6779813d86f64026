package io.dspex.samples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.BatchResult;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.lm.LanguageModel;
import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * The {@code batch} sample: a JSONL file of inputs in, a JSONL file of predictions out, with a progress bar, and
 * resumable. Each input line is a JSON object with an {@code id} and the program's input fields; each output line
 * is {@code {"id": ..., <output fields>..., "usage": {...}}}, appended and flushed as soon as its result arrives
 * (results arrive as they complete, not in input order), so an interruption loses nothing already written.
 * Rerunning skips every id already in the output file; inputs that failed are not written, so a rerun retries
 * them. A line cut short by a kill is dropped from the output before the rerun.
 *
 * <pre>{@code
 * BatchSample.Plan plan = BatchSample.plan(Path.of("in.jsonl"), Path.of("out.jsonl"));
 * BatchSample.run(program, plan, 8).blockLast();
 * }</pre>
 */
public final class BatchSample {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private BatchSample() {
    }

    /**
     * What a run has to do: the inputs whose ids are not yet in the output file.
     *
     * @param output  the output file (appended to)
     * @param ids     the ids still to run, in input order
     * @param inputs  their inputs (the input line without {@code id}), same order
     * @param total   how many distinct ids the input file holds
     * @param skipped how many of them are already in the output file
     */
    public record Plan(Path output, List<String> ids, List<Example> inputs, int total, int skipped) {
    }

    /**
     * One input's outcome, emitted once its line is written and flushed (or, for a failure, once it is counted).
     *
     * @param id    the input's id
     * @param error null when the line was written, else why the input failed (and was not written)
     */
    public record Outcome(String id, String error) {
        /** @return whether the line was written */
        public boolean written() {
            return error == null;
        }
    }

    /**
     * Reads the input file and the ids already in the output file (dropping a last line cut short by a kill).
     * Blocking file I/O: call it from a thread that may block.
     *
     * @param input  a JSONL file of objects, each with a string or number {@code id}
     * @param output the output file; it need not exist
     * @return the plan
     * @throws IllegalArgumentException naming the file and line of an input line that is not a JSON object with
     *                                  an {@code id}
     * @throws UncheckedIOException     when a file cannot be read
     */
    public static Plan plan(Path input, Path output) {
        Set<String> done = doneIds(output);
        List<String> lines = read(input);
        List<String> ids = new ArrayList<>();
        List<Example> inputs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int total = 0;
        int skipped = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = input + ":" + (i + 1);
            JsonNode node;
            try {
                node = MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(where + ": each line must be a JSON object, got " + line);
            }
            JsonNode idNode = node.get("id");
            if (idNode == null || !(idNode.isTextual() || idNode.isIntegralNumber())) {
                throw new IllegalArgumentException(where + ": missing 'id' (a string or an integer) in " + line);
            }
            String id = idNode.asText();
            if (!seen.add(id)) {
                throw new IllegalArgumentException(where + ": id '" + id + "' appears more than once in the input");
            }
            total++;
            if (done.contains(id)) {
                skipped++;
                continue;
            }
            Map<String, Object> fields = MAPPER.convertValue(node, MAP);
            fields.remove("id");
            ids.add(id);
            inputs.add(Example.of(fields));
        }
        return new Plan(output, List.copyOf(ids), List.copyOf(inputs), total, skipped);
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>> MAP =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };

    /**
     * Runs the plan: at most {@code concurrency} inputs in flight, each result appended to the output file and
     * flushed as soon as it arrives. Cancelling the returned {@code Flux} (an interruption) cancels the runs in
     * flight; every outcome already emitted is on disk.
     *
     * @param program     the program to run
     * @param plan        what to run, from {@link #plan}
     * @param concurrency the most inputs in flight at once
     * @return one outcome per input, in completion order
     */
    public static Flux<Outcome> run(Program program, Plan plan, int concurrency) {
        return Flux.using(() -> open(plan.output()),
                writer -> program.batch(Flux.fromIterable(plan.inputs()), concurrency, false)
                        // File writes are blocking: one bounded-elastic worker writes the lines, one at a time.
                        .publishOn(Schedulers.boundedElastic())
                        .map(r -> write(writer, plan.ids().get(r.index()), r)),
                BatchSample::closeQuietly)
                .subscribeOn(Schedulers.boundedElastic());
    }

    /**
     * The sample's entry point: plans, runs with a progress bar on stderr, and prints a summary.
     *
     * @param lm     the model
     * @param input  the input file, or null for the bundled {@code questions.jsonl}
     * @param output the output file
     * @param out    where to print the summary
     */
    public static void main(LanguageModel lm, Path input, Path output, PrintStream out) {
        Path in = input != null ? input : Tasks.resource("questions.jsonl");
        Plan plan = plan(in, output);
        out.println("Batch: " + plan.total() + " inputs in " + (input != null ? input : "the bundled questions.jsonl")
                + ", " + plan.skipped() + " already in " + output + ", " + plan.ids().size() + " to run.");
        Program program = Tasks.program().withLm(lm);
        AtomicInteger written = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("batch").setInitialMax(plan.ids().size())
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
            run(program, plan, 8).doOnNext(o -> {
                (o.written() ? written : failed).incrementAndGet();
                bar.step();
            }).blockLast();
        }
        out.println("Wrote " + written.get() + " lines to " + output
                + (failed.get() == 0 ? "." : "; " + failed.get() + " inputs failed (not written: rerun to retry them)."));
    }

    private static Outcome write(Writer writer, String id, BatchResult r) {
        if (!r.isSuccess()) {
            return new Outcome(id, String.valueOf(r.error().getMessage()));
        }
        Prediction p = r.prediction();
        ObjectNode line = MAPPER.createObjectNode();
        line.put("id", id);
        p.toMap().forEach((k, v) -> line.set(k, MAPPER.valueToTree(v)));
        ObjectNode usage = line.putObject("usage");
        usage.put("prompt_tokens", p.usage().promptTokens());
        usage.put("completion_tokens", p.usage().completionTokens());
        usage.put("total_tokens", p.usage().totalTokens());
        try {
            writer.write(MAPPER.writeValueAsString(line));
            writer.write('\n');
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the batch output", e);
        }
        return new Outcome(id, null);
    }

    private static Writer open(Path output) throws IOException {
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        // FileOutputStream, not a FileChannel: a cancelled run interrupts the writing thread, and an interrupt
        // must not close the file half way through a line.
        return new BufferedWriter(new OutputStreamWriter(new FileOutputStream(output.toFile(), true),
                StandardCharsets.UTF_8));
    }

    private static void closeQuietly(Writer w) {
        try {
            w.close();
        } catch (IOException ignored) {
            // every line was flushed when written; nothing more can be lost here
        }
    }

    /** The ids in the output file; a last line without its newline (a kill mid-write) is cut off the file. */
    static Set<String> doneIds(Path output) {
        Set<String> done = new HashSet<>();
        if (!Files.exists(output)) {
            return done;
        }
        try {
            truncateIncompleteLine(output);
            for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode id = MAPPER.readTree(line).get("id");
                    if (id != null) {
                        done.add(id.asText());
                    }
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException(output + ": a line that is not JSON: " + line, e);
                }
            }
            return done;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the batch output " + output, e);
        }
    }

    private static void truncateIncompleteLine(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long end = f.length();
            long pos = end;
            while (pos > 0) {
                f.seek(pos - 1);
                if (f.read() == '\n') {
                    break;
                }
                pos--;
            }
            if (pos < end) {
                f.setLength(pos);
            }
        }
    }

    private static List<String> read(Path input) {
        try {
            return Files.readAllLines(input, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the batch input " + input, e);
        }
    }
}

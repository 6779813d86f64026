package io.dspex.flink.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.Example;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.EvaluationRow;
import io.dspex.evaluate.Metrics;
import io.dspex.flink.BatchJob;
import io.dspex.predict.ChainOfThought;
import io.dspex.samples.Provider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line job as the README runs it (no {@code --base-url}: the embedded simulated model; the bundled
 * saved program and dataset), in run and evaluation mode; the evaluation's per-row scores and total match
 * {@link Evaluate} on the same data.
 */
@Timeout(90)
class EvaluationModeTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final Path DATA = Path.of("examples", "arithmetic.jsonl");
    static final Path PROGRAM = Path.of("examples", "program.json");

    @Test
    void evaluationModeScoresAsEvaluateDoes(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("eval");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        BatchJob.run(BatchJob.Options.parse("--input", DATA.toString(), "--output", out.toString(),
                "--program", PROGRAM.toString(), "--signature", "question -> answer", "--parallelism", "2",
                "--concurrency", "4", "--checkpoint-ms", "200", "--metric", "exact_match:answer"),
                new PrintStream(printed, true, StandardCharsets.UTF_8));

        EvaluationResult expected;
        List<String> ids = new ArrayList<>();
        try (Provider provider = Provider.simulated()) {
            List<Example> devset = new ArrayList<>();
            for (String line : Files.readAllLines(DATA)) {
                Map<String, Object> row = Fixtures.JSON.readValue(line,
                        new TypeReference<LinkedHashMap<String, Object>>() { });
                ids.add((String) row.remove("id"));
                devset.add(Example.of(row).withInputs("question"));
            }
            ChainOfThought program = ChainOfThought.of("question -> answer").load(PROGRAM).withLm(provider.lm());
            expected = Evaluate.builder().devset(devset).metric(Metrics.exactMatch("answer")).concurrency(4)
                    .maxErrors(Evaluate.UNLIMITED_ERRORS).build().run(program).block(Duration.ofSeconds(60));
        }

        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode row : Fixtures.rows(out)) {
            rows.put(row.get("id").asText(), row);
        }
        assertThat(rows).hasSize(ids.size());
        List<EvaluationRow> expectedRows = expected.rows();
        for (int i = 0; i < ids.size(); i++) {
            JsonNode row = rows.get(ids.get(i));
            assertThat(row.get("score").asDouble()).as("score of %s", ids.get(i))
                    .isEqualTo(expectedRows.get(i).score());
            assertThat(row.get("answer").asText())
                    .isEqualTo(expectedRows.get(i).prediction().orElseThrow().get("answer"));
        }
        List<JsonNode> total = Fixtures.rows(out.resolve(BatchJob.TOTAL_DIR));
        assertThat(total).hasSize(1);
        assertThat(total.get(0).get("score").asDouble()).isEqualTo(expected.score());
        assertThat(total.get(0).get("rows").asLong()).isEqualTo(ids.size());
        assertThat(total.get(0).get("errors").asLong()).isZero();
        // A score strictly between 0 and 100: the bundled demos teach the house style for some answers only.
        assertThat(expected.score()).isStrictlyBetween(0.0, 100.0);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("SIMULATED")
                .contains("Wrote " + ids.size() + " rows").contains("Score (exact_match:answer): " + expected.score());
    }

    @Test
    void runModeWritesOneRowPerInputAndRecordsABadLine(@TempDir Path tmp) throws Exception {
        Path in = tmp.resolve("in.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(DATA).subList(0, 10));
        lines.add("{\"question\": \"What is 1 plus 1?\"}");
        lines.add("not json");
        Files.write(in, lines);
        Path out = tmp.resolve("run");

        BatchJob.run(BatchJob.Options.parse("--input", in.toString(), "--output", out.toString(), "--program",
                PROGRAM.toString(), "--signature", "question -> answer", "--ordered", "--checkpoint-ms", "200"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        List<JsonNode> rows = Fixtures.rows(out);
        assertThat(rows).hasSize(12);
        assertThat(rows.stream().filter(r -> r.has("answer") && r.has("reasoning") && !r.has("score"))).hasSize(10);
        assertThat(rows.stream().filter(r -> r.get("id").isNull()).map(r -> r.get("error").asText()))
                .containsExactlyInAnyOrder(
                        "InvalidInput: missing 'id' (a string or an integer) in {\"question\": \"What is 1 plus 1?\"}",
                        "InvalidInput: not valid JSON: Unrecognized token 'not': was expecting (JSON String, Number, "
                                + "Array, Object or token 'null', 'true' or 'false') in not json");
        assertThat(Files.exists(out.resolve(BatchJob.TOTAL_DIR))).isFalse();
    }
}

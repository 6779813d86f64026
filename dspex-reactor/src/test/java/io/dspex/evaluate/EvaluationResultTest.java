package io.dspex.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.internal.Json;
import io.dspex.lm.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationResultTest {

    private static EvaluationRow row(int i, double score) {
        return new EvaluationRow(i, Example.of(Map.of("q", "x")).withInputs("q"), Optional.empty(), Optional.empty(),
                score, Duration.ZERO, Usage.ZERO);
    }

    private static EvaluationResult result(double... scores) {
        List<EvaluationRow> rows = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            rows.add(row(i, scores[i]));
        }
        return new EvaluationResult(rows, "metric", null);
    }

    @Test
    void scoreIsTheMeanInPercentRoundedLikePython() {
        assertThat(result(1, 0, 0).score()).isEqualTo(33.33);
        assertThat(result(1, 1, 0).score()).isEqualTo(66.67);
        assertThat(result(1, 0.5).score()).isEqualTo(75.0);
        // round(100 * 1 / 800, 2) == 0.12 and round(100 * 3 / 800, 2) == 0.38 in Python: half to even.
        double[] one = new double[800];
        one[0] = 1;
        assertThat(result(one).score()).isEqualTo(0.12);
        double[] three = new double[800];
        three[0] = 1;
        three[1] = 1;
        three[2] = 1;
        assertThat(result(three).score()).isEqualTo(0.38);
        // Python's round(2.675, 2) == 2.67: the double is just below 2.675.
        // Python: 100 * 0.02675 prints as 2.675 and round(..., 2) gives 2.67 (the double lies just below);
        // and round(100 * 0.00125, 2) gives 0.12. HALF_UP on the decimal string would give 2.68 and 0.13.
        assertThat(result(0.02675).score()).isEqualTo(2.67);
        assertThat(result(0.00125).score()).isEqualTo(0.12);
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static EvaluationResult qaResult() {
        Example e0 = Example.of(map("question", "What is 2+2?", "answer", "4")).withInputs("question");
        Example e1 = Example.of(map("question", "Capital of France, \"please\"?", "answer", "Paris"))
                .withInputs("question");
        List<EvaluationRow> rows = List.of(
                new EvaluationRow(0, e0, Optional.of(Prediction.of(map("answer", "4", "reasoning", "2+2=4"))),
                        Optional.empty(), 1.0, Duration.ofMillis(5), Usage.of(10, 2)),
                new EvaluationRow(1, e1, Optional.empty(), Optional.of(new IllegalStateException("LM down")), 0.0,
                        Duration.ofMillis(7), Usage.ZERO));
        return new EvaluationResult(rows, "exact_match", null);
    }

    @Test
    void tableShowsExampleAndPredictionFieldsAndTheMetricAsDspyDoes() {
        String table = qaResult().table(1);
        assertThat(table.split("\n")).hasSize(3);
        String[] lines = table.split("\n");
        assertThat(lines[0]).containsSubsequence("question", "example_answer", "pred_answer", "reasoning",
                "exact_match").doesNotContain("error");
        assertThat(lines[1]).startsWith("0").containsSubsequence("What is 2+2?", "4", "4", "2+2=4",
                "\u2714\uFE0F [1.000]");
        assertThat(lines[2]).isEqualTo("... 1 more rows not displayed ...");

        String all = qaResult().table(10);
        assertThat(all).contains("IllegalStateException: LM down").doesNotContain("more rows");
    }

    @Test
    void longCellsAreCutTo25WordsAnd50Characters() {
        String longText = "word ".repeat(40).trim();
        Example e = Example.of(Map.of("question", longText)).withInputs("question");
        EvaluationResult r = new EvaluationResult(List.of(new EvaluationRow(0, e, Optional.of(Prediction.of(
                Map.of("answer", "x"))), Optional.empty(), 0.5, Duration.ZERO, Usage.ZERO)), "m", null);
        String line = r.table(1).split("\n")[1];
        assertThat(line).contains("word word").contains("...").doesNotContain(longText);
        assertThat(line).contains("\u2714\uFE0F [0.500]");
    }

    @Test
    void csvJsonAndJsonlHoldDspysRecords(@TempDir Path dir) throws Exception {
        EvaluationResult r = qaResult();
        String csv = r.toCsv();
        assertThat(csv.split("\r\n")).containsExactly(
                // Columns in order of first appearance, as pandas builds them from DSPy's records.
                "question,example_answer,pred_answer,reasoning,exact_match,answer,error",
                "What is 2+2?,4,4,2+2=4,1.0,,",
                "\"Capital of France, \"\"please\"\"?\",,,,0.0,Paris,IllegalStateException: LM down");

        List<Map<String, Object>> json = Json.MAPPER.readValue(r.toJson(), new TypeReference<>() { });
        assertThat(json).hasSize(2);
        assertThat(json.get(0)).containsEntry("pred_answer", "4").containsEntry("exact_match", 1.0)
                .doesNotContainKey("error");
        assertThat(json.get(1)).containsEntry("answer", "Paris").containsEntry("error", "IllegalStateException: LM down");

        String[] lines = r.toJsonl().split("\n");
        assertThat(lines).hasSize(2);
        assertThat(Json.MAPPER.readValue(lines[1], Map.class)).containsEntry("exact_match", 0.0);

        r.writeCsv(dir.resolve("r.csv"));
        r.writeJson(dir.resolve("r.json"));
        r.writeJsonl(dir.resolve("r.jsonl"));
        assertThat(Files.readString(dir.resolve("r.csv"))).isEqualTo(csv);
        assertThat(Files.readString(dir.resolve("r.json"))).isEqualTo(r.toJson());
        assertThat(Files.readString(dir.resolve("r.jsonl"))).isEqualTo(r.toJsonl());
    }

    @Test
    void theErrorColumnGivesWayToAFieldNamedError() {
        Example e = Example.of(map("q", "x", "error", "gold error")).withInputs("q");
        EvaluationResult r = new EvaluationResult(List.of(new EvaluationRow(0, e, Optional.empty(),
                Optional.of(new IllegalStateException()), 0, Duration.ZERO, Usage.ZERO)), "metric", null);
        assertThat(r.toCsv().split("\r\n")[0]).isEqualTo("q,error,metric,evaluation_error");
        assertThat(r.toCsv().split("\r\n")[1]).isEqualTo("x,gold error,0.0,IllegalStateException");
    }

    @Test
    void toStringIsLikeDspysRepr() {
        assertThat(result(1, 0).toString()).isEqualTo("EvaluationResult(score=50.0, results=<list of 2 results>, errors=0)");
    }
}

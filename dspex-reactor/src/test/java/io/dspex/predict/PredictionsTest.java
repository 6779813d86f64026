package io.dspex.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.Prediction;
import io.dspex.internal.Json;
import io.dspex.lm.Usage;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** majority: DSPy's normalisation and tie rule, checked against what DSPy 3.3.1 picks (dspy331/majority.json). */
class PredictionsTest {

    private static List<Map<String, Object>> completions(List<String> answers) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("reasoning", "r" + i);
            c.put("answer", answers.get(i));
            out.add(c);
        }
        return out;
    }

    @Test
    void picksTheCompletionDspyPicks() throws Exception {
        JsonNode cases;
        try (InputStream in = PredictionsTest.class.getResourceAsStream("dspy331/majority.json")) {
            cases = Json.MAPPER.readTree(in);
        }
        assertThat(cases.size()).isGreaterThan(5);
        for (JsonNode c : cases) {
            List<String> answers = new ArrayList<>();
            c.get("answers").forEach(a -> answers.add(a.asText()));
            Prediction all = Prediction.fromCompletions(completions(answers), Usage.of(9, 1));
            Prediction winner = c.get("identity").asBoolean() ? Predictions.majority(all, "answer", null)
                    : Predictions.majority(all, null);
            assertThat(winner.get("reasoning")).as("%s", answers).isEqualTo("r" + c.get("winner").asInt());
            assertThat(winner.completions()).hasSize(1);
            assertThat(winner.usage()).isEqualTo(Usage.of(9, 1));
        }
    }

    @Test
    void votesOverSeveralPredictionsAndKeepsTheirUsage() {
        List<Prediction> predictions = List.of(
                Prediction.of(Map.of("answer", "Rome")).withUsageByModel(Map.of("a", Usage.of(1, 1))),
                Prediction.of(Map.of("answer", "Milan")).withUsageByModel(Map.of("b", Usage.of(2, 2))),
                Prediction.of(Map.of("answer", "rome.")).withUsageByModel(Map.of("a", Usage.of(3, 3))));
        Prediction winner = Predictions.majority(predictions, "answer");
        assertThat(winner.get("answer")).isEqualTo("Rome");
        assertThat(winner.usageByModel()).containsExactly(Map.entry("a", Usage.of(4, 4)), Map.entry("b",
                Usage.of(2, 2)));
        // A non-text value is voted on as Python's str() of it.
        Prediction numbers = Prediction.fromCompletions(List.of(Map.of("n", 1), Map.of("n", 2), Map.of("n", 2)), null);
        assertThat(Predictions.majority(numbers, "n").get("n")).isEqualTo(2);
        // A custom normalisation: the first letter.
        Prediction letters = Prediction.fromCompletions(List.of(Map.of("a", "apple"), Map.of("a", "banana"),
                Map.of("a", "blueberry")), null);
        assertThat(Predictions.majority(letters, "a", s -> s.substring(0, 1)).get("a")).isEqualTo("banana");
    }

    @Test
    void aMissingFieldOrNoCompletionIsNamed() {
        Prediction p = Prediction.fromCompletions(List.of(Map.of("answer", "x"), Map.of("other", "y")), null);
        assertThatThrownBy(() -> Predictions.majority(p, "answer"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("completion 1 has no field 'answer'");
        assertThatThrownBy(() -> Predictions.majority(List.of(), "answer"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
    }
}

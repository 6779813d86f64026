package io.dspex.modules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.lm.LmRequest;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.MultiChainComparison;
import io.dspex.predict.Refine;
import io.dspex.predict.Reward;
import io.dspex.predict.Settings;
import io.dspex.test.ScriptedLm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prompts of MultiChainComparison and Refine (the advice call and the hinted attempts) are DSPy 3.3.1's, byte for
 * byte: the expected messages were produced by DSPy itself from the same inputs and replies (gen_i16.py).
 */
class DspyConformanceTest {

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void multiChainComparisonSendsDspysPromptAndSavesDspysState(@TempDir Path dir) throws IOException {
        JsonNode fx = Fixtures.load("multi_chain_comparison.json");
        ScriptedLm lm = ScriptedLm.create().replies(Fixtures.replies(fx));
        MultiChainComparison mcc = MultiChainComparison.of("question -> answer", 3);
        List<Map<String, Object>> completions = List.of(
                map("reasoning", "  find the capital of France.\nIt is Paris, a large city.",
                        "answer", " Paris \n(France)"),
                map("reasoning", "recall geography", "answer", "Lyon"),
                map("rationale", "think « carefully » about it", "reasoning", "ignored", "answer", 42));

        Prediction p = mcc.forward(map(MultiChainComparison.COMPLETIONS, completions,
                        "question", "What is the capital of France?"))
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();

        assertThat(Fixtures.requests(lm.requests())).isEqualTo(Fixtures.requests(fx));
        assertThat(p.get("answer")).isEqualTo(fx.get("answer").asText());
        assertThat(p.get("rationale")).isEqualTo(fx.get("rationale").asText());
        assertThat(lm.lastRequest().config().temperature()).as("DSPy's default temperature").isEqualTo(0.7);

        // The saved state: the extended signature's prefixes and descriptions and the demos, as DSPy writes them.
        MultiChainComparison tuned = mcc.withDemos(List.of(Example.of(map("question", "Capital of Italy?",
                "reasoning_attempt_1", "«I'm trying to a»", "rationale", "r", "answer", "Rome"))));
        Path file = dir.resolve("mcc.json");
        tuned.save(file);
        ObjectMapper json = new ObjectMapper();
        JsonNode ours = json.readTree(Files.readString(file));
        JsonNode dspy = json.readTree(fx.get("saved").asText());
        // Only the program's state is compared: the metadata names the Python environment that wrote the file.
        assertThat(ours.get("predict")).isEqualTo(dspy.get("predict"));
        assertThat(MultiChainComparison.of("question -> answer", 3).load(file).predict().demos()).hasSize(1);
    }

    @Test
    void refineAsksForAdviceAndSendsItAsHintsAsDspyDoes() {
        JsonNode fx = Fixtures.load("refine.json");
        ScriptedLm lm = ScriptedLm.create().replies(Fixtures.replies(fx));
        ChainOfThought qa = ChainOfThought.of("question -> answer");
        Reward oneWord = Reward.of((in, p) -> ((String) p.get("answer")).strip().split("\\s+").length == 1 ? 1.0
                : 0.0);
        Refine refine = Refine.of(qa, 3, oneWord, 1.0).withRewardCode(fx.get("reward_code").asText());
        assertThat(qa.toString()).as("the default program code").isEqualTo(fx.get("program_code").asText());

        Prediction p = refine.forward(Map.of("question", "What is the capital of Belgium?"))
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();

        assertThat(p.get("answer")).isEqualTo(fx.get("answer").asText());
        List<List<String>> expected = Fixtures.requests(fx);
        List<List<String>> sent = Fixtures.requests(lm.requests());
        assertThat(sent).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(sent.get(i)).as("request %d", i).isEqualTo(expected.get(i));
        }
        // Attempts sample at temperature 1.0 with rollout ids 0, 1, 2; the advice calls use the settings as they are.
        List<LmRequest> requests = lm.requests();
        assertThat(requests).extracting(r -> r.config().rolloutId()).containsExactly("0", null, "1", null, "2");
        assertThat(requests).extracting(r -> r.config().temperature()).containsExactly(1.0, null, 1.0, null, 1.0);
        assertThat(fx.get("rollout_ids").toString()).isEqualTo("[0,null,1,null,2]");
    }
}

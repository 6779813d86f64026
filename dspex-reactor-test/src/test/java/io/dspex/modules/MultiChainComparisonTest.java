package io.dspex.modules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Prediction;
import io.dspex.lm.CallConfig;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.MultiChainComparison;
import io.dspex.predict.Settings;
import io.dspex.test.ScriptedLm;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MultiChainComparison over a chain of thought's n completions; its bad inputs. */
class MultiChainComparisonTest {

    @Test
    void comparesTheCompletionsOfAChainOfThoughtCalledWithN() {
        ScriptedLm lm = ScriptedLm.create()
                .when(r -> r.config().n() != null && r.config().n() == 2,
                        r -> "[[ ## reasoning ## ]]\nTwo and two.\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]")
                .reply("[[ ## rationale ## ]]\nBoth agree.\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]");
        Prediction attempts = ChainOfThought.of("question -> answer")
                .withConfig(CallConfig.empty().withN(2)).forward(Map.of("question", "2+2?"))
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();
        assertThat(attempts.completions()).hasSize(2);

        Prediction best = MultiChainComparison.of("question -> answer", 2)
                .forward(Map.of("question", "2+2?", MultiChainComparison.COMPLETIONS, attempts))
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();
        assertThat(best.get("rationale")).isEqualTo("Both agree.");
        assertThat(best.get("answer")).isEqualTo("4");
        assertThat(ScriptedLm.lastUserMessage(lm.lastRequest())).contains(
                "[[ ## reasoning_attempt_2 ## ]]\n«I'm trying to Two and two. I'm not sure but my prediction is 4»");
    }

    @Test
    void badInputsAreNamed() {
        MultiChainComparison mcc = MultiChainComparison.of("question -> answer", 3);
        ScriptedLm lm = ScriptedLm.create().reply("unused");
        List<Map<String, Object>> two = List.of(Map.of("reasoning", "a", "answer", "1"),
                Map.of("reasoning", "b", "answer", "2"));
        assertThatThrownBy(() -> mcc.forward(Map.of("question", "q", MultiChainComparison.COMPLETIONS, two))
                .contextWrite(Settings.empty().withLm(lm).asContext()).block())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("The number of attempts (2) doesn't match the expected number M (3)");
        assertThatThrownBy(() -> mcc.forward(Map.of("question", "q")).block())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'completions'");
        assertThatThrownBy(() -> mcc.forward(Map.of("question", "q", MultiChainComparison.COMPLETIONS,
                List.of(Map.of("answer", "1"), Map.of("answer", "2"), Map.of("answer", "3")))).block())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("completions[0] needs a text 'rationale' or 'reasoning'");
        assertThatThrownBy(() -> mcc.forward(Map.of("question", "q", MultiChainComparison.COMPLETIONS, "text"))
                .block()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got String");
        assertThat(lm.requestCount()).isZero();

        assertThatThrownBy(() -> MultiChainComparison.of("question -> answer", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("m >= 1");
        assertThatThrownBy(() -> MultiChainComparison.of("question -> rationale, answer", 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'rationale'");
        assertThatThrownBy(() -> MultiChainComparison.of("completions -> answer", 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'completions'");
        assertThat(mcc.namedPredictors()).containsOnlyKeys("predict");
        assertThat(mcc.m()).isEqualTo(3);
    }
}

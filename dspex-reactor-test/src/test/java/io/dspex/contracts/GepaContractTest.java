package io.dspex.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Program;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.FeedbackMetric;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.optimize.Gepa;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Settings;
import io.dspex.test.ScriptedLm;
import org.junit.jupiter.api.Test;

/** GEPA against the optimizer contract: a feedback metric, a scripted reflection model, a small budget. */
class GepaContractTest extends InstructionWordTask {

    @Override
    protected Teleprompter createTeleprompter() {
        FeedbackMetric metric = (example, pred) -> {
            boolean ok = EXACT.score(example, pred) == 1.0;
            return new ScoreWithFeedback(ok ? 1 : 0, ok ? "Correct." : "Expected " + example.get("answer")
                    + ": the word after the colon, reversed.");
        };
        ScriptedLm reflection = ScriptedLm.create().reply("A better instruction:\n```\n" + RULE + "\n```");
        return Gepa.builder().metric(metric).reflectionLm(reflection).maxMetricCalls(40).seed(5).concurrency(4)
                .build();
    }

    @Override
    protected Program createStudent() {
        return ChainOfThought.of("question -> answer");
    }

    /** Beyond the contract: the proposed rule is adopted, and the compiled program answers every example. */
    @Test
    void theReflectionsRuleIsAdopted() {
        ChainOfThought compiled = compile(createTeleprompter(), ChainOfThought.of("question -> answer"), createLm())
                .block(WAIT);
        assertThat(compiled.predict().signature().instructions()).isEqualTo(RULE);
        double score = Evaluate.builder().devset(trainset()).metric(EXACT).build().run(compiled)
                .contextWrite(Settings.empty().withLm(createLm()).asContext()).block(WAIT).score();
        assertThat(score).isEqualTo(100.0);
    }
}

package io.dspex.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Program;
import io.dspex.evaluate.Evaluate;
import io.dspex.optimize.Simba;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Settings;
import io.dspex.test.ScriptedLm;
import org.junit.jupiter.api.Test;

/** SIMBA against the optimizer contract: small batches, demos and rules from a scripted prompt model. */
class SimbaContractTest extends InstructionWordTask {

    @Override
    protected Teleprompter createTeleprompter() {
        ScriptedLm promptModel = ScriptedLm.create().reply("[[ ## discussion ## ]]\nThe worse run had no example."
                + "\n\n[[ ## module_advice ## ]]\n{\"predict\": \"" + RULE + "\"}\n\n[[ ## completed ## ]]");
        return Simba.builder().metric(EXACT).bsize(3).numCandidates(2).maxSteps(3).maxDemos(2).seed(5)
                .promptModel(promptModel).concurrency(4).build();
    }

    @Override
    protected Program createStudent() {
        return ChainOfThought.of("question -> answer");
    }

    /** Beyond the contract: demos or the prompt model's rule make the compiled program better than the student. */
    @Test
    void theCompiledProgramScoresHigherThanTheStudent() {
        ChainOfThought student = ChainOfThought.of("question -> answer");
        ChainOfThought compiled = compile(createTeleprompter(), student, createLm()).block(WAIT);
        Evaluate evaluate = Evaluate.builder().devset(trainset()).metric(EXACT).build();
        double before = evaluate.run(student).contextWrite(Settings.empty().withLm(createLm()).asContext())
                .block(WAIT).score();
        double after = evaluate.run(compiled).contextWrite(Settings.empty().withLm(createLm()).asContext())
                .block(WAIT).score();
        assertThat(after).isGreaterThan(before);
    }
}

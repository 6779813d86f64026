package io.dspex.contracts;

import io.dspex.Program;
import io.dspex.optimize.Copro;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.ChainOfThought;

/** COPRO against the optimizer contract; the contract's LM also proposes the instructions. */
class CoproContractTest extends InstructionTaskContract {

    @Override
    protected Teleprompter createTeleprompter() {
        return Copro.builder().metric(EXACT).breadth(2).depth(2).trackStats(true).build();
    }

    @Override
    protected Program createStudent() {
        return ChainOfThought.of("question -> answer");
    }
}

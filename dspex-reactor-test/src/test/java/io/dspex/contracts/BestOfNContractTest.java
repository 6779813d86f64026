package io.dspex.contracts;

import io.dspex.Module;
import io.dspex.predict.BestOfN;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Reward;
import io.dspex.test.ModuleContract;
import io.dspex.test.ScriptedLm;
import java.util.Map;

/**
 * BestOfN against the module contract: its part is named {@code module}, as in DSPy ({@code module.predict} for a
 * chain of thought); the reward never reaches the threshold, so every run makes all its attempts.
 */
class BestOfNContractTest extends ModuleContract {

    @Override
    protected Module createModule() {
        return BestOfN.of(ChainOfThought.of("question -> answer"), 2, Reward.of((in, p) -> 0.0).withRange(0, 1), 1.0);
    }

    @Override
    protected Map<String, ?> sampleInputs() {
        return Map.of("question", "What is the capital of Belgium?");
    }

    @Override
    protected ScriptedLm createLm() {
        return ScriptedLm.create().reply("[[ ## reasoning ## ]]\nIt is known.\n\n[[ ## answer ## ]]\nBrussels\n\n"
                + "[[ ## completed ## ]]");
    }
}

package io.dspex.contracts;

import io.dspex.Module;
import io.dspex.predict.MultiChainComparison;
import io.dspex.test.ModuleContract;
import io.dspex.test.ScriptedLm;
import java.util.List;
import java.util.Map;

/** MultiChainComparison against the module contract: one predictor, named {@code predict} as in DSPy. */
class MultiChainComparisonContractTest extends ModuleContract {

    @Override
    protected Module createModule() {
        return MultiChainComparison.of("question -> answer", 2);
    }

    @Override
    protected Map<String, ?> sampleInputs() {
        return Map.of("question", "What is the capital of Belgium?", MultiChainComparison.COMPLETIONS, List.of(
                Map.of("reasoning", "It is Brussels.", "answer", "Brussels"),
                Map.of("reasoning", "Maybe Antwerp.", "answer", "Antwerp")));
    }

    @Override
    protected ScriptedLm createLm() {
        return ScriptedLm.create().reply("[[ ## rationale ## ]]\nThe first is right.\n\n[[ ## answer ## ]]\nBrussels"
                + "\n\n[[ ## completed ## ]]");
    }
}

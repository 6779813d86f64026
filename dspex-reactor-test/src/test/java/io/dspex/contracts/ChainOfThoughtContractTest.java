package io.dspex.contracts;

import io.dspex.Module;
import io.dspex.predict.ChainOfThought;
import io.dspex.test.ModuleContract;
import io.dspex.test.ScriptedLm;
import java.util.Map;

/** ChainOfThought against the module contract: one predictor, named {@code predict} as in DSPy. */
class ChainOfThoughtContractTest extends ModuleContract {

    @Override
    protected Module createModule() {
        return ChainOfThought.of("context: list[str], question -> answer");
    }

    @Override
    protected Map<String, ?> sampleInputs() {
        return Map.of("context", java.util.List.of("Paris is in France."), "question", "Where is Paris?");
    }

    @Override
    protected ScriptedLm createLm() {
        return ScriptedLm.create().reply("[[ ## reasoning ## ]]\nThe context says so.\n\n[[ ## answer ## ]]\nFrance"
                + "\n\n[[ ## completed ## ]]");
    }
}

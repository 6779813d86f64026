package io.dspex.contracts;

import io.dspex.Module;
import io.dspex.predict.Predict;
import io.dspex.test.ModuleContract;
import io.dspex.test.ScriptedLm;
import java.util.Map;

/** Predict against the module contract, with typed outputs. */
class PredictContractTest extends ModuleContract {

    @Override
    protected Module createModule() {
        return Predict.of("question -> answer, confidence: float");
    }

    @Override
    protected Map<String, ?> sampleInputs() {
        return Map.of("question", "What is the capital of France?");
    }

    @Override
    protected ScriptedLm createLm() {
        return ScriptedLm.create().reply("[[ ## answer ## ]]\nParis\n\n[[ ## confidence ## ]]\n0.9\n\n"
                + "[[ ## completed ## ]]");
    }
}

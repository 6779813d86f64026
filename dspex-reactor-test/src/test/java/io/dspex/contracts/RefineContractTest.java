package io.dspex.contracts;

import io.dspex.Module;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Refine;
import io.dspex.predict.Reward;
import io.dspex.test.ModuleContract;
import io.dspex.test.ScriptedLm;
import java.util.Map;

/**
 * Refine against the module contract: only the refined module's predictors are named (the advice predictor is not
 * part of the program); each run makes an attempt, asks for advice, and makes a hinted attempt.
 */
class RefineContractTest extends ModuleContract {

    @Override
    protected Module createModule() {
        return Refine.of(ChainOfThought.of("question -> answer"), 2, Reward.of((in, p) -> 0.0).withRange(0, 1), 1.0);
    }

    @Override
    protected Map<String, ?> sampleInputs() {
        return Map.of("question", "What is the capital of Belgium?");
    }

    @Override
    protected ScriptedLm createLm() {
        return ScriptedLm.create()
                .when(r -> r.messages().get(0).content().contains("`advice`"),
                        "[[ ## discussion ## ]]\nFine.\n\n[[ ## advice ## ]]\n{\"predict\": \"Be brief.\"}\n\n"
                                + "[[ ## completed ## ]]")
                .reply("[[ ## reasoning ## ]]\nIt is known.\n\n[[ ## answer ## ]]\nBrussels\n\n[[ ## completed ## ]]");
    }
}

package io.dspex.contracts;

import io.dspex.Program;
import io.dspex.optimize.MiproV2;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.Predict;

/** MIPROv2 against the optimizer contract; the contract's LM also summarizes the data and proposes. */
class MiproV2ContractTest extends InstructionTaskContract {

    @Override
    protected Teleprompter createTeleprompter() {
        return MiproV2.builder().metric(EXACT).numCandidates(3).numTrials(3).maxBootstrappedDemos(1)
                .maxLabeledDemos(2).minibatchSize(3).minibatchFullEvalSteps(2).viewDataBatchSize(4).seed(3).build();
    }

    @Override
    protected Program createStudent() {
        return Predict.of("question -> answer");
    }
}

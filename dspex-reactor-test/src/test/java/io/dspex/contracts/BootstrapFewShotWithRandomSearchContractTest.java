package io.dspex.contracts;

import io.dspex.Program;
import io.dspex.optimize.BootstrapFewShotWithRandomSearch;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.Predict;

/** BootstrapFewShotWithRandomSearch against the optimizer contract. */
class BootstrapFewShotWithRandomSearchContractTest extends WordTaskContract {

    @Override
    protected Teleprompter createTeleprompter() {
        return BootstrapFewShotWithRandomSearch.builder().metric(EXACT).maxBootstrappedDemos(2).maxLabeledDemos(3)
                .numCandidatePrograms(2).seed(3).build();
    }

    @Override
    protected Program createStudent() {
        return Predict.of("question -> answer");
    }
}

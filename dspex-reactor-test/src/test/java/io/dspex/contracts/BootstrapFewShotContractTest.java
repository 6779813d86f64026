package io.dspex.contracts;

import io.dspex.Program;
import io.dspex.optimize.BootstrapFewShot;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.ChainOfThought;

/** BootstrapFewShot against the optimizer contract, compiling a ChainOfThought in parallel. */
class BootstrapFewShotContractTest extends WordTaskContract {

    @Override
    protected Teleprompter createTeleprompter() {
        return BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(3).maxLabeledDemos(5).seed(11)
                .concurrency(4).build();
    }

    @Override
    protected Program createStudent() {
        return ChainOfThought.of("question -> answer");
    }
}

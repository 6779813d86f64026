package io.dspex.contracts;

import io.dspex.Program;
import io.dspex.optimize.LabeledFewShot;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.Predict;

/** LabeledFewShot against the optimizer contract. */
class LabeledFewShotContractTest extends WordTaskContract {

    @Override
    protected Teleprompter createTeleprompter() {
        return LabeledFewShot.builder().k(3).seed(5).build();
    }

    @Override
    protected Program createStudent() {
        return Predict.of("question -> answer");
    }
}

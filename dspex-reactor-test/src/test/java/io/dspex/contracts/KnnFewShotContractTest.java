package io.dspex.contracts;

import io.dspex.Program;
import io.dspex.optimize.BootstrapFewShot;
import io.dspex.optimize.KnnFewShot;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.ChainOfThought;
import io.dspex.test.MockLmServer;
import reactor.core.publisher.Mono;

/** KnnFewShot against the optimizer contract, embedding with the test kit's deterministic vectors. */
class KnnFewShotContractTest extends WordTaskContract {

    @Override
    protected Teleprompter createTeleprompter() {
        return KnnFewShot.builder().k(2)
                .embedder(texts -> Mono.just(texts.stream().map(t -> MockLmServer.embeddingOf(t, 8)).toList()))
                .bootstrap(BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(1).maxLabeledDemos(2)
                        .build())
                .build();
    }

    @Override
    protected Program createStudent() {
        return ChainOfThought.of("question -> answer");
    }
}

package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import java.util.Map;
import reactor.core.publisher.Mono;

/** question -> draft -> answer through two predictors, "first" and "second". */
final class TwoStep extends Module {

    TwoStep(FakePredictor first, FakePredictor second) {
        register("first", first);
        register("second", second);
    }

    @Override
    protected Mono<Prediction> run(Example in) {
        return child("first").forward(Map.of("question", in.get("question")))
                .flatMap(p -> child("second").forward(Map.of("draft", p.get("draft"))));
    }
}

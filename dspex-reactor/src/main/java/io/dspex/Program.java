package io.dspex;

import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * A runnable step or pipeline of language-model calls (DSPy's {@code dspy.Module}).
 *
 * <p>{@link #forward(Example)} is lazy: nothing runs until the returned {@code Mono} is subscribed, and each
 * subscription is an independent run. Failures arrive as error signals; no thread waits.
 *
 * <pre>{@code
 * Program qa = Predict.of("question -> answer");
 * qa.forward(Map.of("question", "What is 2+2?"))
 *   .map(p -> p.get("answer"))
 *   .subscribe(System.out::println);
 * }</pre>
 */
@FunctionalInterface
public interface Program {

    /**
     * Runs the program on one example's inputs.
     *
     * @param inputs the inputs (an example's input keys when marked, else all its keys)
     * @return a lazy {@code Mono} of the prediction
     */
    Mono<Prediction> forward(Example inputs);

    /**
     * Runs the program on named input values.
     *
     * @param inputs input field names to values
     * @return a lazy {@code Mono} of the prediction
     */
    default Mono<Prediction> forward(Map<String, ?> inputs) {
        return Mono.defer(() -> forward(Example.of(inputs)));
    }
}

package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import reactor.core.publisher.Mono;

/**
 * A metric that computes its score asynchronously, typically by calling a language model as a judge. Give it to
 * {@link Evaluate.Builder#asyncMetric(AsyncMetric)}; the evaluation subscribes to the returned {@code Mono} after
 * the program's prediction arrives and counts an error signal or an empty {@code Mono} as that example's error.
 *
 * <pre>{@code
 * AsyncMetric judge = (example, pred) -> judgeProgram
 *         .forward(Map.of("gold", example.get("answer"), "predicted", pred.get("answer")))
 *         .map(verdict -> Boolean.TRUE.equals(verdict.get("correct")) ? 1.0 : 0.0);
 * }</pre>
 */
@FunctionalInterface
public interface AsyncMetric {

    /**
     * Scores one prediction, lazily.
     *
     * @param example    the dev-set example, with its gold labels
     * @param prediction what the program predicted
     * @return a {@code Mono} of the score; by convention in {@code [0, 1]}
     */
    Mono<Double> score(Example example, Prediction prediction);

    /**
     * Adapts a synchronous metric (it runs when the returned {@code Mono} is subscribed).
     *
     * @param metric the metric
     * @return the metric as an {@code AsyncMetric}
     * @throws IllegalArgumentException when {@code metric} is null
     */
    static AsyncMetric of(Metric metric) {
        if (metric == null) {
            throw new IllegalArgumentException("metric must not be null");
        }
        return (example, prediction) -> Mono.fromCallable(() -> metric.score(example, prediction));
    }
}

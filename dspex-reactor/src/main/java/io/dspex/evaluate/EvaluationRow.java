package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.lm.Usage;
import java.time.Duration;
import java.util.Optional;

/**
 * One dev-set example's outcome (DSPy's {@code (example, prediction, score)} triple, plus what a JVM user wants
 * to know). A failed example has an {@code error} and scores the failure score; its {@code prediction} is present
 * when the program succeeded and the metric failed.
 *
 * <pre>{@code
 * for (EvaluationRow row : result.rows()) {
 *     row.error().ifPresent(e -> log.warn("example {} failed", row.index(), e));
 * }
 * }</pre>
 *
 * @param index      the example's position in the dev set
 * @param example    the example
 * @param prediction the program's prediction, when it made one
 * @param error      why this example failed, when it did (the program's error or the metric's)
 * @param score      the metric's score, or the failure score
 * @param latency    time from subscribing to the program's {@code forward} to its prediction or error
 * @param usage      the prediction's token usage ({@link Usage#ZERO} when there is no prediction)
 */
public record EvaluationRow(int index, Example example, Optional<Prediction> prediction, Optional<Throwable> error,
                            double score, Duration latency, Usage usage) {

    /**
     * Checks the components.
     *
     * @param index      the example's position in the dev set
     * @param example    the example
     * @param prediction the prediction, when there is one
     * @param error      the error, when the example failed
     * @param score      the score
     * @param latency    the program's latency
     * @param usage      the token usage
     * @throws IllegalArgumentException when a component is null or the index negative
     */
    public EvaluationRow {
        if (index < 0 || example == null || prediction == null || error == null || latency == null || usage == null) {
            throw new IllegalArgumentException("evaluation row components must not be null (index " + index + ")");
        }
    }

    /** @return whether this example failed */
    public boolean failed() {
        return error.isPresent();
    }
}

/**
 * Measuring programs (DSPy's {@code dspy.Evaluate} and {@code dspy.evaluate.metrics}): run a
 * {@link io.dspex.Program} over a dev set concurrently, score each prediction with a {@link io.dspex.evaluate.Metric},
 * and read the {@link io.dspex.evaluate.EvaluationResult}.
 *
 * <pre>{@code
 * EvaluationResult result = Evaluate.builder()
 *         .devset(devset)
 *         .metric(Metrics.exactMatch("answer"))
 *         .concurrency(16)
 *         .build()
 *         .run(program)
 *         .block();
 * System.out.println(result.score() + "%");
 * System.out.println(result.table(5));
 * }</pre>
 *
 * <p>A {@link io.dspex.evaluate.FeedbackMetric} also explains each score in words
 * ({@link io.dspex.evaluate.ScoreWithFeedback}), for reflective optimizers such as {@code io.dspex.optimize.Gepa}.
 */
@NullMarked
package io.dspex.evaluate;

import org.jspecify.annotations.NullMarked;

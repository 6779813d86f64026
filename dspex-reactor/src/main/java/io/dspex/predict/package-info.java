/**
 * Predictors and the modules built on them: {@link io.dspex.predict.Predict}, {@link io.dspex.predict.ChainOfThought},
 * {@link io.dspex.predict.MultiChainComparison}, the reward-guided {@link io.dspex.predict.BestOfN} and
 * {@link io.dspex.predict.Refine} (scored by a {@link io.dspex.predict.Reward}), {@link io.dspex.predict.Parallel} for
 * running (program, example) pairs at once and {@link io.dspex.predict.Predictions#majority} for voting; the
 * {@link io.dspex.predict.Settings} they read when they run; and the program-layer
 * {@link io.dspex.predict.RetryPolicy}, where a failed LM call arrives as an error signal and the program decides
 * whether and when to try again.
 *
 * <pre>{@code
 * Predict qa = Predict.of("question -> answer")
 *     .withLm(lm)
 *     .withRetry(RetryPolicy.defaults().withDeadline(Duration.ofSeconds(30)));
 * }</pre>
 */
@NullMarked
package io.dspex.predict;

import org.jspecify.annotations.NullMarked;

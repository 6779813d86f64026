/**
 * Optimizers (DSPy's teleprompters): they compile a program against a training set, and usually a metric, into a
 * copy with better few-shot demos, better instructions, or both. The student program is never changed.
 *
 * <ul>
 *   <li>{@link io.dspex.optimize.LabeledFewShot}: k labeled examples as demos, sampled under a seed.</li>
 *   <li>{@link io.dspex.optimize.BootstrapFewShot}: runs a teacher on the training set, keeps the traces of the
 *       runs the metric accepts as demos, tops them up with labeled examples.</li>
 *   <li>{@link io.dspex.optimize.BootstrapFewShotWithRandomSearch}: several bootstrapped candidates scored with
 *       {@link io.dspex.evaluate.Evaluate} on a validation set; the best is kept.</li>
 *   <li>{@link io.dspex.optimize.KnnFewShot}: per call, the nearest training examples by embedding become the
 *       training set of a bootstrap.</li>
 *   <li>{@link io.dspex.optimize.Copro}: coordinate ascent over instructions: a proposal LM suggests instructions,
 *       each is scored with {@link io.dspex.evaluate.Evaluate}, the best attempts seed the next round.</li>
 *   <li>{@link io.dspex.optimize.MiproV2}: instructions and demos together: bootstrapped demo sets, grounded
 *       instruction proposals, and a Tree-structured Parzen Estimator search over one choice of each per
 *       predictor, on minibatches with periodic full evaluations.</li>
 * </ul>
 *
 * <p>Seeded choices use CPython's {@code random} algorithm bit for bit, so under the same seed the demos chosen
 * are the ones DSPy 3.3 chooses for the same training set and teacher outcomes; MIPROv2's search draws what
 * Optuna's TPE sampler draws, so its trials choose what DSPy's choose for the same LM answers.
 */
@NullMarked
package io.dspex.optimize;

import org.jspecify.annotations.NullMarked;

/**
 * Optimizers (DSPy's teleprompters): they compile a program against a training set, and usually a metric, into a
 * copy with better few-shot demos or instructions. The student program is never changed.
 *
 * <ul>
 *   <li>{@link io.dspex.optimize.LabeledFewShot}: k labeled examples as demos, sampled under a seed.</li>
 *   <li>{@link io.dspex.optimize.BootstrapFewShot}: runs a teacher on the training set, keeps the traces of the
 *       runs the metric accepts as demos, tops them up with labeled examples.</li>
 *   <li>{@link io.dspex.optimize.BootstrapFewShotWithRandomSearch}: several bootstrapped candidates scored with
 *       {@link io.dspex.evaluate.Evaluate} on a validation set; the best is kept.</li>
 *   <li>{@link io.dspex.optimize.KnnFewShot}: per call, the nearest training examples by embedding become the
 *       training set of a bootstrap.</li>
 *   <li>{@link io.dspex.optimize.Gepa}: a reflection LM reads runs and the metric's feedback
 *       ({@link io.dspex.evaluate.FeedbackMetric}) and rewrites one predictor's instructions at a time; a Pareto
 *       frontier over validation instances keeps diverse candidates; a budget in metric calls that is never
 *       exceeded.</li>
 *   <li>{@link io.dspex.optimize.Simba}: samples runs, finds the examples they disagree on, and appends the best
 *       run as demos or the prompt model's advice as rules.</li>
 * </ul>
 *
 * <p>Seeded choices use CPython's {@code random} algorithm bit for bit (and, for SIMBA, NumPy's
 * {@code default_rng} Poisson draws), so under the same seed the choices are the ones DSPy 3.3 makes for the same
 * data and LM outcomes; each optimizer's documentation says where they cannot be.
 */
@NullMarked
package io.dspex.optimize;

import org.jspecify.annotations.NullMarked;

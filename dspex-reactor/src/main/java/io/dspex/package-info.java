/**
 * The types every DSPEx user touches: {@link io.dspex.Example},
 * {@link io.dspex.Prediction} and {@link io.dspex.Program}.
 *
 * <pre>{@code
 * Program qa = Predict.of("question -> answer").withLm(lm);
 * Prediction p = qa.forward(Map.of("question", "What is 2+2?")).block();
 * }</pre>
 */
package io.dspex;

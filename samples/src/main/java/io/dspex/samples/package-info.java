/**
 * Runnable samples of DSPEx for Java, each started by name through {@link io.dspex.samples.Samples}:
 * {@code quickstart}, {@code optimize}, {@code server} and {@code batch}. With no provider configured they talk to
 * the embedded {@link io.dspex.samples.SimulatedModel} over real HTTP; {@link io.dspex.samples.Provider} says how
 * to point them at a real model.
 */
package io.dspex.samples;

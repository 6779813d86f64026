/**
 * Language-model clients: {@link io.dspex.lm.LanguageModel}, a stateless function from an
 * {@link io.dspex.lm.LmRequest} to a lazy {@code Mono} of an {@link io.dspex.lm.LmResponse}, its
 * OpenAI-compatible implementation over Reactor Netty, and the typed {@link io.dspex.lm.LmException} family.
 */
package io.dspex.lm;

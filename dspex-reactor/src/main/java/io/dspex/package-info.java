/**
 * What every program touches: {@link io.dspex.Program} (a lazy {@code Example -> Mono<Prediction>}),
 * {@link io.dspex.Module} (the base of every built-in and user program), {@link io.dspex.Predictor} (the unit
 * optimizers tune), {@link io.dspex.Example} and {@link io.dspex.Prediction} (the values that flow),
 * {@link io.dspex.BatchResult} and {@link io.dspex.StreamEvent} (what {@code batch} and {@code stream} emit),
 * {@link io.dspex.Trace} (the record of predictor calls that optimizers read) and {@link io.dspex.UsageTracker} (the
 * token usage of every LM call of one module call, which its prediction carries).
 *
 * <pre>{@code
 * Program qa = Predict.of("question -> answer").withLm(lm);
 * Prediction p = qa.forward(Map.of("question", "What is 2+2?")).block();
 * }</pre>
 *
 * <p>Nullness is in the types, with JSpecify: every package of the library is {@code @NullMarked}, so a parameter,
 * return value or field is never null unless its type is annotated {@code @Nullable}.
 */
@NullMarked
package io.dspex;

import org.jspecify.annotations.NullMarked;

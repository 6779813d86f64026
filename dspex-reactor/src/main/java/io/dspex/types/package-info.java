/**
 * DSPy's field value types that are not plain data: {@link io.dspex.types.History} (DSPy's {@code dspy.History}, the
 * past turns of a conversation, which the adapters send as user/assistant message pairs before the current input) and
 * {@link io.dspex.types.Image} (DSPy's {@code dspy.Image}, sent as an {@code image_url} content part). Both are named
 * in the string syntax without registration ({@code "question, history: History, photo: Image -> answer"}).
 *
 * <pre>{@code
 * Predict qa = Predict.of("question, history: History -> answer");
 * History history = History.of(List.of(Map.of("question", "Capital of France?", "answer", "Paris")));
 * qa.forward(Example.of(Map.of("question", "And of Germany?", "history", history)));
 * }</pre>
 */
@NullMarked
package io.dspex.types;

import org.jspecify.annotations.NullMarked;

/**
 * Adapters turn a {@link io.dspex.signature.Signature}, demos and inputs into chat messages, and a model's reply back into
 * output values — byte for byte as DSPy 3.3's {@code ChatAdapter} and {@code JSONAdapter} do.
 *
 * <pre>{@code
 * Adapter adapter = new ChatAdapter();
 * List<Message> messages = adapter.format(Signature.parse("question -> answer"), List.of(),
 *         Map.of("question", "What is 2+2?"));
 * Map<String, Object> out = adapter.parse(signature, "[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]");
 * }</pre>
 */
@NullMarked
package io.dspex.adapter;

import org.jspecify.annotations.NullMarked;

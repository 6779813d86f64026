package io.dspex.adapter;

import io.dspex.Example;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Formats a signature, its demos and the inputs of one call into chat messages, and parses the model's reply
 * into output values (DSPy's {@code dspy.Adapter}). The adapter owns its wire format completely: besides
 * {@link #format} and {@link #parse}, it says which adapter to try when it cannot parse a reply ({@link #fallback()})
 * and how to read output fields out of a reply while it streams ({@link #streamFields}). Implementations are
 * stateless and thread-safe.
 *
 * <pre>{@code
 * Adapter adapter = new ChatAdapter();
 * List<Message> messages = adapter.format(sig, demos, Map.of("question", "What is 2+2?"));
 * Map<String, Object> outputs = adapter.parse(sig, lmReplyText);
 * }</pre>
 */
public interface Adapter {

    /**
     * Builds the messages of one call: a system message describing the fields and the task, a user/assistant pair
     * per demo, and the final user message with the inputs.
     *
     * @param signature the signature
     * @param demos     few-shot demos (each an {@link Example} holding some or all of the signature's fields)
     * @param inputs    the values of the input fields (other keys are ignored)
     * @return the messages, system first
     * @throws IllegalArgumentException naming the input fields missing from {@code inputs}, or a null argument
     */
    List<Message> format(Signature signature, List<Example> demos, Map<String, ?> inputs);

    /**
     * Reads the output fields out of a model's reply.
     *
     * @param signature  the signature
     * @param completion the reply text
     * @return the output values in the signature's output order (a missing {@code Optional[...]} output is null)
     * @throws AdapterParseException when an output is missing or a value does not fit its type
     */
    Map<String, @Nullable Object> parse(Signature signature, String completion);

    /**
     * The {@code response_format} a request for this signature should carry, as an OpenAI-compatible JSON tree.
     *
     * @param signature the signature
     * @return the response format, or empty when the request should not constrain it (the default)
     */
    default Optional<Map<String, Object>> responseFormat(Signature signature) {
        return Optional.empty();
    }

    /**
     * The adapter a predictor tries once, with a new LM call, when this one cannot {@link #parse} a reply (DSPy's
     * {@code ChatAdapter} falls back to the {@code JSONAdapter}). If the fallback fails too, its error is signalled.
     *
     * @return the fallback, or empty for none (the default)
     */
    default Optional<Adapter> fallback() {
        return Optional.empty();
    }

    /**
     * A reader of one streamed reply that reports each output field's text as it arrives, so a program's
     * {@code stream(..)} can emit field chunks before the reply is complete. A new reader per call; it is fed from
     * one thread at a time.
     *
     * @param signature the signature whose output fields to report
     * @return the reader; the default reports nothing, so a streamed call yields only its final prediction
     */
    default FieldStream streamFields(Signature signature) {
        return FieldStream.NONE;
    }

    /**
     * Reads one streamed reply piece by piece; see {@link Adapter#streamFields}.
     */
    @FunctionalInterface
    interface FieldStream {

        /** Reports nothing. */
        FieldStream NONE = (piece, out) -> { };

        /**
         * @param piece the next piece of the reply text, in order
         * @param out   receives (output field name, text) for each piece of field text that is certain; the pieces of
         *              one field, concatenated, give its raw text (whitespace at its ends trimmed)
         */
        void feed(String piece, BiConsumer<String, String> out);
    }
}

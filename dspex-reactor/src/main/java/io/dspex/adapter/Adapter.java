package io.dspex.adapter;

import io.dspex.Example;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
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
 * {@link #format} and {@link #parse}, it builds the whole request ({@link #formatRequest}: messages, response format,
 * tools) and reads a whole response choice ({@link #parse(Signature, LmResponse.Choice)}: text and tool calls), says
 * which adapter to try when it cannot parse a reply ({@link #fallback()}) and how to read output fields out of a reply
 * while it streams ({@link #streamFields}). Predictors call {@code formatRequest} and
 * {@code parse(signature, choice)}; their defaults build on {@code format}, {@code responseFormat} and
 * {@code parse(signature, text)}, so a text-only adapter implements just those. Implementations are stateless and
 * thread-safe.
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
     * Builds the whole request of one call (DSPy's {@code Adapter.__call__} up to the LM call): the messages of
     * {@link #format}, the call parameters, and the {@link #responseFormat}. The library's adapters also put tools in
     * the request's {@code tools} when they use native function calling
     * ({@link ChatAdapter#withNativeFunctionCalling()}).
     *
     * @param signature the signature
     * @param demos     few-shot demos
     * @param inputs    the values of the input fields
     * @param config    the call parameters (null: none)
     * @return the request
     * @throws IllegalArgumentException as {@link #format}
     */
    default LmRequest formatRequest(Signature signature, List<Example> demos, Map<String, ?> inputs,
                                    @Nullable CallConfig config) {
        LmRequest request = LmRequest.of(format(signature, demos, inputs), config);
        Map<String, Object> rf = responseFormat(signature).orElse(null);
        return rf == null ? request : request.withResponseFormat(rf);
    }

    /**
     * Reads the output fields out of one choice of a response: its text and, for an adapter that uses native
     * function calling, its tool calls (DSPy's {@code _call_postprocess}).
     *
     * @param signature the signature
     * @param choice    one choice of the response
     * @return the output values in the signature's output order
     * @throws AdapterParseException when the outputs cannot be read; the default reads the text with
     *                               {@link #parse(Signature, String)}
     */
    default Map<String, @Nullable Object> parse(Signature signature, LmResponse.Choice choice) {
        return parse(signature, choice.text());
    }

    /**
     * DSPy's {@code format_user_message_content(signature, values)}: the {@code [[ ## name ## ]]} blocks of the
     * signature's input fields present in {@code values}, joined by blank lines. {@code ReAct} renders its trajectory
     * with it, through the adapter in the settings, as DSPy does.
     *
     * <pre>{@code
     * adapter.formatUserContent(sig, Map.of("thought_0", "I add.", "tool_args_0", Map.of("a", 1)));
     * // "[[ ## thought_0 ## ]]\nI add.\n\n[[ ## tool_args_0 ## ]]\n{\"a\": 1}"
     * }</pre>
     *
     * @param signature the signature whose input fields to render
     * @param values    field name to value; fields without a value are left out
     * @return the text; the default renders as {@link ChatAdapter} does
     */
    default String formatUserContent(Signature signature, Map<String, ?> values) {
        return DefaultRendering.CHAT.formatUserContent(signature, values);
    }

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

package io.dspex.adapter;

import io.dspex.Example;
import io.dspex.Signature;
import io.dspex.lm.Message;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Formats a signature, its demos and the inputs of one call into chat messages, and parses the model's reply
 * into output values (DSPy's {@code dspy.Adapter}). Implementations are stateless and thread-safe.
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
    Map<String, Object> parse(Signature signature, String completion);

    /**
     * The {@code response_format} a request for this signature should carry, as an OpenAI-compatible JSON tree.
     *
     * @param signature the signature
     * @return the response format, or empty when the request should not constrain it (the default)
     */
    default Optional<Map<String, Object>> responseFormat(Signature signature) {
        return Optional.empty();
    }
}

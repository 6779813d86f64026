package io.dspex.observe;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.adapter.Adapter;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Receives the start and end of every module call, LM call, adapter format and parse, tool call and evaluation of
 * the runs it is registered for (DSPy's {@code BaseCallback}). Implement the methods you need; the others do
 * nothing. Register callbacks in the settings: process-wide with
 * {@code Settings.configure(Settings.empty().withCallbacks(List.of(cb)))}, or for one run with
 * {@code .contextWrite(Settings.empty().withCallbacks(List.of(cb)).asContext())}; a run's own list replaces the
 * process-wide one, as {@code dspy.context(callbacks=...)} does.
 *
 * <pre>{@code
 * Callback logging = new Callback() {
 *     @Override
 *     public void onLmStart(String callId, LanguageModel lm, LmRequest request) {
 *         log.info("LM call {} to {}", callId, lm.id());
 *     }
 *
 *     @Override
 *     public void onLmEnd(String callId, LmResponse response, Throwable error) {
 *         log.info("LM call {} ended: {}", callId, error == null ? response.usage() : error.toString());
 *     }
 * };
 * Settings.configure(Settings.empty().withLm(lm).withCallbacks(List.of(logging)));
 * }</pre>
 *
 * <p><b>Pairs.</b> Every {@code on...Start} is followed by exactly one {@code on...End} with the same call id
 * (a 32-digit hexadecimal string, unique per call): with the result on success, with the error on failure, and with
 * a {@link java.util.concurrent.CancellationException} as the error when the subscriber cancelled the call (a
 * timeout, a client that went away). A call that emits no value ends with both null. Calls nest: a module's LM
 * call starts and ends inside the module's own pair; {@link #parentCallId()}, during a start method, names the
 * enclosing call.
 *
 * <p><b>Threads.</b> A start method runs on the thread that subscribes to the call, an end method on the thread
 * that delivers its outcome: usually a Reactor Netty event loop or a Reactor scheduler thread. Callbacks must not
 * block (no I/O, no locks held for long, no {@code block()}): BlockHound rejects that in tests, and a blocking
 * callback stalls every call on its event loop in production. Hand slow work to a queue or
 * {@code Schedulers.boundedElastic()}. Callbacks are called concurrently for concurrent calls: make them
 * thread-safe.
 *
 * <p><b>Failures.</b> An exception thrown by a callback is logged (at WARN, naming the callback and the event) and
 * ignored: the call, and the other callbacks, go on. An {@link Error} is not caught that way: it fails the call it
 * was thrown in (after every callback's end method has run), so that, say, BlockHound's
 * {@code BlockingOperationError} reaches the test.
 *
 * <p><b>Content.</b> Callbacks see the values themselves (inputs, prompts, replies) in the process, as DSPy's do;
 * they never see an API key (none is in a request, and a model's {@link LanguageModel#id() id} holds none).
 */
public interface Callback {

    /**
     * A module call started: {@code module.forward(inputs)} was subscribed (DSPy's {@code on_module_start}).
     *
     * @param callId a unique id of this call
     * @param module the module: a {@code Predict}, a {@code ChainOfThought}, your own {@code Module}
     * @param inputs its inputs
     */
    default void onModuleStart(String callId, Program module, Example inputs) {
    }

    /**
     * A module call ended (DSPy's {@code on_module_end}).
     *
     * @param callId  the id given to {@link #onModuleStart}
     * @param outputs the prediction, or null when the call failed or was cancelled
     * @param error   null on success; the failure, or a {@link java.util.concurrent.CancellationException}
     */
    default void onModuleEnd(String callId, @Nullable Prediction outputs, @Nullable Throwable error) {
    }

    /**
     * An LM call started (DSPy's {@code on_lm_start}): one per call a predictor makes, retries included (each attempt
     * is an observation of its own, not a callback pair).
     *
     * @param callId  a unique id of this call
     * @param lm      the model called
     * @param request the request: messages and call parameters
     */
    default void onLmStart(String callId, LanguageModel lm, LmRequest request) {
    }

    /**
     * An LM call ended (DSPy's {@code on_lm_end}); for a streamed call, once the stream is complete.
     *
     * @param callId   the id given to {@link #onLmStart}
     * @param response the response, or null when the call failed (after its retries) or was cancelled
     * @param error    null on success; the failure, or a {@link java.util.concurrent.CancellationException}
     */
    default void onLmEnd(String callId, @Nullable LmResponse response, @Nullable Throwable error) {
    }

    /**
     * An adapter is formatting a prompt (DSPy's {@code on_adapter_format_start}).
     *
     * @param callId    a unique id of this call
     * @param adapter   the adapter
     * @param signature the signature
     * @param demos     the demos
     * @param inputs    the input values
     */
    default void onAdapterFormatStart(String callId, Adapter adapter, Signature signature, List<Example> demos,
                                      Map<String, ?> inputs) {
    }

    /**
     * An adapter finished formatting (DSPy's {@code on_adapter_format_end}).
     *
     * @param callId   the id given to {@link #onAdapterFormatStart}
     * @param messages the messages, or null when formatting failed
     * @param error    null on success, else the failure
     */
    default void onAdapterFormatEnd(String callId, @Nullable List<Message> messages, @Nullable Throwable error) {
    }

    /**
     * An adapter is parsing one completion (DSPy's {@code on_adapter_parse_start}); once per choice.
     *
     * @param callId     a unique id of this call
     * @param adapter    the adapter
     * @param signature  the signature
     * @param completion the LM's text
     */
    default void onAdapterParseStart(String callId, Adapter adapter, Signature signature, String completion) {
    }

    /**
     * An adapter finished parsing (DSPy's {@code on_adapter_parse_end}).
     *
     * @param callId  the id given to {@link #onAdapterParseStart}
     * @param outputs the output values, or null when parsing failed
     * @param error   null on success, else the failure (an {@code AdapterParseException})
     */
    default void onAdapterParseEnd(String callId, @Nullable Map<String, @Nullable Object> outputs,
                                   @Nullable Throwable error) {
    }

    /**
     * A tool call started (DSPy's {@code on_tool_start}). A tool runner fires it through
     * {@link Instrumentation#tool(String, Map, reactor.core.publisher.Mono)}.
     *
     * @param callId    a unique id of this call
     * @param toolName  the tool's name, as the model called it
     * @param arguments its arguments, by name
     */
    default void onToolStart(String callId, String toolName, Map<String, ?> arguments) {
    }

    /**
     * A tool call ended (DSPy's {@code on_tool_end}).
     *
     * @param callId the id given to {@link #onToolStart}
     * @param result what the tool returned, or null when it failed, was cancelled or returned nothing
     * @param error  null on success; the failure, or a {@link java.util.concurrent.CancellationException}
     */
    default void onToolEnd(String callId, @Nullable Object result, @Nullable Throwable error) {
    }

    /**
     * An evaluation started (DSPy's {@code on_evaluate_start}): {@code Evaluate.run(program)} was subscribed.
     *
     * @param callId  a unique id of this call
     * @param program the program evaluated
     * @param devset  the examples it runs on
     */
    default void onEvaluateStart(String callId, Program program, List<Example> devset) {
    }

    /**
     * An evaluation ended (DSPy's {@code on_evaluate_end}).
     *
     * @param callId the id given to {@link #onEvaluateStart}
     * @param result the result: an {@code io.dspex.evaluate.EvaluationResult} for {@code Evaluate} (typed
     *               {@code Object} because this package sits below the evaluation package); null when the
     *               evaluation failed or was cancelled
     * @param error  null on success; the failure (e.g. an {@code EvaluationException} when too many examples
     *               failed), or a {@link java.util.concurrent.CancellationException}
     */
    default void onEvaluateEnd(String callId, @Nullable Object result, @Nullable Throwable error) {
    }

    /**
     * The id of the call that encloses the one starting (DSPy's {@code ACTIVE_CALL_ID} read in a start handler):
     * inside {@link #onLmStart}, the predictor's module call; inside a module's {@link #onModuleStart}, the module
     * that called it. Meaningful only while a start method runs, on its thread.
     *
     * @return the enclosing call's id; empty for a top-level call, or outside a start method
     */
    static Optional<String> parentCallId() {
        return Optional.ofNullable(Observed.PARENT_CALL_ID.get());
    }
}

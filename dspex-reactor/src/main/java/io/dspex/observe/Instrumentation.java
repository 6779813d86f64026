package io.dspex.observe;

import io.dspex.Example;
import io.dspex.ForwardObserver;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.adapter.Adapter;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.signature.Signature;
import io.micrometer.observation.ObservationRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.util.context.ContextView;

/**
 * The callbacks and the observation registry a run reports to, and the hooks that report to them: module calls
 * (through {@link io.dspex.Module#forward}), LM calls and each of their attempts, adapter format and parse, tool calls and
 * evaluations. {@code io.dspex.predict.Settings} builds it from its callbacks and registry and installs it, per run in
 * the Reactor Context and process-wide with {@code Settings.configure}; applications configure it there and do not
 * call these hooks. The library's predictors and {@code Evaluate} call them, and so does a tool runner, a custom
 * predictor or an evaluator of your own that wants the same events.
 *
 * <p>A tool runner fires DSPy's tool events and a {@value #TOOL_OBSERVATION} observation by wrapping each call:
 *
 * <pre>{@code
 * Mono<Object> result = Instrumentation.tool(call.name(), arguments, Mono.defer(() -> tool.invoke(arguments)));
 * }</pre>
 *
 * <p>Every hook costs one Context look-up when the run has no callbacks and no registry. Observations are named
 * and keyed as the package documentation lists.
 */
public final class Instrumentation extends ForwardObserver {

    /** The observation of a module call: {@value}. */
    public static final String MODULE_OBSERVATION = "dspex.module";
    /**
     * The observation of one request to a model (OpenTelemetry's GenAI client operation; each attempt of a retried
     * call is one): {@value}.
     */
    public static final String LM_OBSERVATION = "gen_ai.client.operation";
    /** The observation of a tool call: {@value}. */
    public static final String TOOL_OBSERVATION = "dspex.tool";
    /** The observation of an evaluation: {@value}. */
    public static final String EVALUATE_OBSERVATION = "dspex.evaluate";

    private static final Instrumentation NONE = new Instrumentation(new Callback[0], null);

    final Callback[] callbacks;
    /** Null when there is none, or it is the no-op registry. */
    final @Nullable ObservationRegistry registry;

    private Instrumentation(Callback[] callbacks, @Nullable ObservationRegistry registry) {
        this.callbacks = callbacks;
        this.registry = registry == null || registry.isNoop() ? null : registry;
    }

    /**
     * @param callbacks the callbacks, called in this order (null: none)
     * @param registry  the registry observations are made in (null or {@code ObservationRegistry.NOOP}: none)
     * @return the instrumentation
     * @throws IllegalArgumentException naming the position of a null callback
     */
    public static Instrumentation of(@Nullable List<? extends Callback> callbacks,
                                     @Nullable ObservationRegistry registry) {
        Callback[] cbs = callbacks == null ? new Callback[0] : new Callback[callbacks.size()];
        for (int i = 0; i < cbs.length; i++) {
            Callback cb = callbacks.get(i);
            if (cb == null) {
                throw new IllegalArgumentException("callbacks[" + i + "] is null");
            }
            cbs[i] = cb;
        }
        return cbs.length == 0 && (registry == null || registry.isNoop()) ? NONE : new Instrumentation(cbs, registry);
    }

    /** @return the instrumentation that reports nothing */
    public static Instrumentation none() {
        return NONE;
    }

    /**
     * @param context a subscriber's Context
     * @return the instrumentation of the run: the Context's, else the process-wide one, else {@link #none()}
     */
    public static Instrumentation current(ContextView context) {
        return ForwardObserver.current(context) instanceof Instrumentation i ? i : NONE;
    }

    /** @return whether anything is reported: a callback or a registry */
    public boolean isActive() {
        return callbacks.length > 0 || registry != null;
    }

    /** @return the callbacks, in call order */
    public List<Callback> callbacks() {
        return List.of(callbacks);
    }

    /** @return the registry observations are made in, or null for none */
    public @Nullable ObservationRegistry observationRegistry() {
        return registry;
    }

    /**
     * A module call: {@link Callback#onModuleStart}/{@link Callback#onModuleEnd} and a {@value #MODULE_OBSERVATION}
     * observation. {@link io.dspex.Module#forward} calls this.
     */
    @Override
    public Mono<Prediction> observe(Module module, Example inputs, Mono<Prediction> forward) {
        if (!isActive()) {
            return forward;
        }
        return new Calls.ModuleCalls(forward, this, module, inputs);
    }

    /**
     * A tool call, through {@link #tool}: how {@code Tool.call} reports every call, whoever makes it ({@code ReAct},
     * {@code ToolCalls.execute} or the application).
     */
    @Override
    public <T> Mono<T> observeTool(String toolName, Map<String, ?> arguments, Mono<T> call) {
        return isActive() ? tool(toolName, arguments, call) : call;
    }

    /**
     * An LM call, retries included: {@link Callback#onLmStart}/{@link Callback#onLmEnd} around it, as around DSPy's
     * {@code lm(...)}. Its observations are those of its attempts: wrap each with {@link #attempt}.
     *
     * <pre>{@code
     * Mono<LmResponse> call = Instrumentation.lmCall(lm, request,
     *         policy.apply(Instrumentation.attempt(lm, request, Mono.defer(() -> lm.call(request)))));
     * }</pre>
     *
     * @param lm      the model called
     * @param request the request
     * @param call    the call (lazy)
     * @return the call, reported to the subscriber's run
     */
    public static Mono<LmResponse> lmCall(LanguageModel lm, LmRequest request, Mono<LmResponse> call) {
        return new Hooked<>(call, (actual, ins) -> ins.callbacks.length == 0 ? null
                : new Calls.LmCall(actual, ins, lm, request), null);
    }

    /**
     * The attempts of an LM call: each subscription, which the retry repeats, is one request to the model, observed
     * as a {@value #LM_OBSERVATION} observation with OpenTelemetry's GenAI keys and numbered from 1
     * ({@code dspex.lm.attempt}); retries are siblings under the caller's observation. Wrap what the retry
     * re-subscribes to, once per call.
     *
     * @param lm      the model called
     * @param request the request
     * @param attempt one attempt (lazy: each subscription sends the request again)
     * @return the attempts, observed when the run has a registry
     */
    public static Mono<LmResponse> attempt(LanguageModel lm, LmRequest request, Mono<LmResponse> attempt) {
        return new Calls.Attempts(attempt, lm, request);
    }

    /**
     * A tool call: {@link Callback#onToolStart}/{@link Callback#onToolEnd} and a {@value #TOOL_OBSERVATION}
     * observation (OpenTelemetry's {@code execute_tool}). The arguments reach callbacks only; the observation
     * records the tool's name, never its arguments or result.
     *
     * @param toolName  the tool's name
     * @param arguments its arguments, by name
     * @param call      the call (lazy)
     * @param <T>       its value type
     * @return the call, reported to the subscriber's run
     */
    public static <T> Mono<T> tool(String toolName, Map<String, ?> arguments, Mono<T> call) {
        return new Hooked<>(call, (actual, ins) -> new Calls.ToolCall<>(actual, ins, toolName, arguments), null);
    }

    /**
     * An evaluation: {@link Callback#onEvaluateStart}/{@link Callback#onEvaluateEnd} and an
     * {@value #EVALUATE_OBSERVATION} observation, in which the program's calls nest.
     *
     * @param program    the program evaluated
     * @param devset     its examples
     * @param evaluation the evaluation (lazy)
     * @param <T>        the result type
     * @return the evaluation, reported to the subscriber's run
     */
    public static <T> Mono<T> evaluate(Program program, List<Example> devset, Mono<T> evaluation) {
        return new Hooked<>(evaluation, (actual, ins) -> new Calls.EvaluateCall<>(actual, ins, program, devset),
                null);
    }

    /**
     * Builds a request ({@link Adapter#formatRequest}) with {@link Callback#onAdapterFormatStart}/
     * {@link Callback#onAdapterFormatEnd} around it; the end event gets the request's messages.
     *
     * @param context   the Context of the run (the predictor's, for the parent call id)
     * @param adapter   the adapter
     * @param signature the signature
     * @param demos     the demos
     * @param inputs    the inputs
     * @param config    the call's parameters
     * @return {@code adapter.formatRequest(signature, demos, inputs, config)}
     */
    public static LmRequest format(ContextView context, Adapter adapter, Signature signature, List<Example> demos,
                                   Map<String, ?> inputs, CallConfig config) {
        Instrumentation ins = current(context);
        if (ins.callbacks.length == 0) {
            return adapter.formatRequest(signature, demos, inputs, config);
        }
        return Calls.sync(ins, context, (cb, id) -> cb.onAdapterFormatStart(id, adapter, signature, demos, inputs),
                () -> adapter.formatRequest(signature, demos, inputs, config),
                (cb, id, request, error) -> cb.onAdapterFormatEnd(id, request == null ? null : request.messages(),
                        error), "adapter format");
    }

    /**
     * Parses one choice of a response ({@link Adapter#parse(Signature, LmResponse.Choice)}: its text and tool calls)
     * with {@link Callback#onAdapterParseStart}/{@link Callback#onAdapterParseEnd} around it; the start event gets
     * the choice's text.
     *
     * @param context   the Context of the run (the predictor's, for the parent call id)
     * @param adapter   the adapter
     * @param signature the signature
     * @param choice    the choice
     * @return {@code adapter.parse(signature, choice)}
     */
    public static Map<String, @Nullable Object> parse(ContextView context, Adapter adapter, Signature signature,
                                                      LmResponse.Choice choice) {
        Instrumentation ins = current(context);
        if (ins.callbacks.length == 0) {
            return adapter.parse(signature, choice);
        }
        return Calls.sync(ins, context, (cb, id) -> cb.onAdapterParseStart(id, adapter, signature, choice.text()),
                () -> adapter.parse(signature, choice), Callback::onAdapterParseEnd, "adapter parse");
    }

    @Override
    public String toString() {
        return "Instrumentation[callbacks=" + Arrays.stream(callbacks).map(c -> c.getClass().getName()).toList()
                + ", registry=" + (registry == null ? "none" : registry.getClass().getSimpleName()) + "]";
    }

    /** Makes the observed call of one subscriber, or null to let the call run unobserved. */
    @FunctionalInterface
    interface CallFactory<T> {
        @Nullable Observed<T> create(CoreSubscriber<? super T> actual, Instrumentation instrumentation);
    }

    /**
     * A call whose subscribers are observed by the instrumentation of their run (or by a fixed one): resolved at
     * subscription, so the same {@code Mono} reports to whichever run subscribes to it.
     */
    static final class Hooked<T> extends MonoOperator<T, T> {
        private final CallFactory<T> factory;
        private final @Nullable Instrumentation fixed;

        Hooked(Mono<? extends T> source, CallFactory<T> factory, @Nullable Instrumentation fixed) {
            super(source);
            this.factory = factory;
            this.fixed = fixed;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            Instrumentation ins = fixed != null ? fixed : current(actual.currentContext());
            Observed<T> call = ins.isActive() ? factory.create(actual, ins) : null;
            if (call == null) {
                source.subscribe(actual);
            } else {
                call.subscribeTo(source);
            }
        }
    }
}

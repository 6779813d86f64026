package io.dspex.predict;

import io.dspex.ForwardObserver;
import io.dspex.adapter.Adapter;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmCache;
import io.dspex.observe.Callback;
import io.dspex.observe.Instrumentation;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Defaults that programs read when they run: the LM, the adapter, the retry policy, call parameters, and where runs
 * report what they do (callbacks and an observation registry) (DSPy's {@code dspy.settings} and
 * {@code dspy.context}). Caching is not a setting: wrap the LM
 * ({@code LmCache.inMemory(10_000).wrap(lm)}), so a call is cached exactly where its LM is used.
 *
 * <p>Three layers, highest first: settings in the subscriber's Reactor {@link Context} (per run, set with
 * {@link #asContext()}), the program's own configuration ({@code predict.withLm(..)}), and the global defaults
 * ({@link #configure}). Concurrent runs with different Context settings never see each other's: there are no
 * thread-locals.
 *
 * <pre>{@code
 * Settings.configure(Settings.empty().withLm(gpt));                     // global default
 * qa.forward(inputs).contextWrite(Settings.empty().withLm(llama).asContext()); // this run only
 * }</pre>
 *
 * <p>Callbacks ({@link #withCallbacks}) and the observation registry ({@link #withObservationRegistry}) are read by
 * every module call, LM call, adapter call and evaluation of a run, from the run's Context settings, else the global
 * ones: a run's list of callbacks replaces the global list (as {@code dspy.context(callbacks=...)} does). A
 * predictor has none of its own.
 *
 * <p>Immutable; an unset value ({@code null}) falls through to the next layer.
 */
public final class Settings {

    private static final Settings EMPTY = new Settings(null, null, null, CallConfig.empty(), null, null);
    private static volatile Settings global = EMPTY;

    private final @Nullable LanguageModel lm;
    private final @Nullable Adapter adapter;
    private final @Nullable RetryPolicy retry;
    private final CallConfig config;
    private final @Nullable List<Callback> callbacks;
    private final @Nullable ObservationRegistry observationRegistry;
    /** The instrumentation {@link #asContext()} put in the Context last, and the global settings it was made over. */
    private volatile @Nullable Memo memo;

    /** An instrumentation and the global settings below it. */
    private record Memo(Settings below, Instrumentation instrumentation) {
    }

    private Settings(@Nullable LanguageModel lm, @Nullable Adapter adapter, @Nullable RetryPolicy retry,
                     CallConfig config, @Nullable List<Callback> callbacks,
                     @Nullable ObservationRegistry observationRegistry) {
        this.lm = lm;
        this.adapter = adapter;
        this.retry = retry;
        this.config = config;
        this.callbacks = callbacks;
        this.observationRegistry = observationRegistry;
    }

    /** @return settings with nothing set */
    public static Settings empty() {
        return EMPTY;
    }

    /** @return the current global defaults */
    public static Settings global() {
        return global;
    }

    /**
     * Replaces the global defaults (DSPy's {@code dspy.configure}).
     *
     * @param settings the new defaults
     * @throws IllegalArgumentException when null
     */
    public static void configure(Settings settings) {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null; use Settings.empty() to clear them");
        }
        synchronized (Settings.class) {
            global = settings;
            ForwardObserver.installGlobal(settings.reports() ? settings.instrumentation(EMPTY) : null);
        }
    }

    /**
     * Edits the global defaults atomically with respect to other {@code configure} calls.
     *
     * @param edit turns the current defaults into the new ones
     */
    public static synchronized void configure(UnaryOperator<Settings> edit) {
        configure(edit.apply(global));
    }

    /**
     * @param lm the language model (null to unset)
     * @return a copy with it
     */
    public Settings withLm(@Nullable LanguageModel lm) {
        return new Settings(lm, adapter, retry, config, callbacks, observationRegistry);
    }

    /**
     * @param adapter the adapter (null to unset)
     * @return a copy with it
     */
    public Settings withAdapter(@Nullable Adapter adapter) {
        return new Settings(lm, adapter, retry, config, callbacks, observationRegistry);
    }

    /**
     * @param retry the retry policy (null to unset)
     * @return a copy with it
     */
    public Settings withRetry(@Nullable RetryPolicy retry) {
        return new Settings(lm, adapter, retry, config, callbacks, observationRegistry);
    }

    /**
     * @param config call parameters layered over each predictor's own (e.g. a temperature and rollout id for one
     *               optimizer round); null for none
     * @return a copy with it
     */
    public Settings withConfig(@Nullable CallConfig config) {
        return new Settings(lm, adapter, retry, config == null ? CallConfig.empty() : config, callbacks,
                observationRegistry);
    }

    /**
     * The callbacks of the runs these settings apply to (DSPy's {@code callbacks} setting): every module call, LM
     * call, adapter format and parse, tool call and evaluation calls their start and end methods, in list order.
     *
     * <pre>{@code
     * Settings.configure(Settings.empty().withLm(lm).withCallbacks(List.of(new MyCallback())));
     * }</pre>
     *
     * @param callbacks the callbacks, replacing those of lower layers ({@code List.of()}: none at all; null: unset,
     *                  so the global ones apply)
     * @return a copy with them
     * @throws IllegalArgumentException naming the position of a null callback
     */
    public Settings withCallbacks(@Nullable List<? extends Callback> callbacks) {
        List<Callback> copy = null;
        if (callbacks != null) {
            for (int i = 0; i < callbacks.size(); i++) {
                if (callbacks.get(i) == null) {
                    throw new IllegalArgumentException("callbacks[" + i + "] is null");
                }
            }
            copy = List.copyOf(callbacks);
        }
        return new Settings(lm, adapter, retry, config, copy, observationRegistry);
    }

    /**
     * The Micrometer registry in which runs make their observations: one per module call, request to a model (named
     * after OpenTelemetry's GenAI conventions, {@code gen_ai.client.operation}; each attempt of a retried call is
     * one), tool call and evaluation, nested as the calls are. What becomes of them (meters, spans, logs) is up to the handlers registered in it; see
     * {@code io.dspex.observe}.
     *
     * <pre>{@code
     * ObservationRegistry observations = ObservationRegistry.create();
     * observations.observationConfig().observationHandler(new LmMeterObservationHandler(meterRegistry));
     * Settings.configure(Settings.empty().withLm(lm).withObservationRegistry(observations));
     * }</pre>
     *
     * @param registry the registry (null: unset, so the global one applies; {@code ObservationRegistry.NOOP}: none)
     * @return a copy with it
     */
    public Settings withObservationRegistry(@Nullable ObservationRegistry registry) {
        return new Settings(lm, adapter, retry, config, callbacks, registry);
    }

    /** @return the callbacks, or null when unset */
    public @Nullable List<Callback> callbacks() {
        return callbacks;
    }

    /** @return the observation registry, or null when unset */
    public @Nullable ObservationRegistry observationRegistry() {
        return observationRegistry;
    }

    /** @return the call parameters layered over predictors' own ({@link CallConfig#empty()} when none) */
    public CallConfig config() {
        return config;
    }

    /** @return the language model */
    public @Nullable LanguageModel lm() {
        return lm;
    }

    /** @return the adapter */
    public @Nullable Adapter adapter() {
        return adapter;
    }

    /** @return the retry policy */
    public @Nullable RetryPolicy retry() {
        return retry;
    }

    /**
     * @param top settings that win where they are set (null: none, as {@link #empty()})
     * @return these settings with {@code top}'s set values on top
     */
    public Settings overriddenBy(@Nullable Settings top) {
        if (top == null || top == EMPTY) {
            return this;
        }
        if (this == EMPTY) {
            return top;
        }
        return new Settings(top.lm != null ? top.lm : lm, top.adapter != null ? top.adapter : adapter,
                top.retry != null ? top.retry : retry, config.overriddenBy(top.config),
                top.callbacks != null ? top.callbacks : callbacks,
                top.observationRegistry != null ? top.observationRegistry : observationRegistry);
    }

    /** Whether these settings say where runs report: callbacks or a registry set. */
    private boolean reports() {
        return callbacks != null || observationRegistry != null;
    }

    /** These settings' instrumentation, with {@code below}'s callbacks and registry where these leave them unset. */
    private Instrumentation instrumentation(Settings below) {
        return Instrumentation.of(callbacks != null ? callbacks : below.callbacks,
                observationRegistry != null ? observationRegistry : below.observationRegistry);
    }

    /**
     * These settings as a Context edit for one run, layered over any settings already in the Context:
     * {@code mono.contextWrite(settings.asContext())}.
     *
     * @return the Context edit
     */
    public Function<Context, Context> asContext() {
        return ctx -> {
            Settings merged = fromContext(ctx).overriddenBy(this);
            Context out = ctx.put(Settings.class, merged);
            // Module.forward, the LM calls and the evaluations of the run read its instrumentation from here.
            return merged.reports() ? out.put(ForwardObserver.class, merged.instrumentationOver(global)) : out;
        };
    }

    /**
     * {@link #instrumentation(Settings)}, made once per global settings: a run applies the same settings to every
     * call.
     */
    private Instrumentation instrumentationOver(Settings below) {
        Memo m = memo;
        if (m == null || m.below != below) {
            m = new Memo(below, instrumentation(below));
            memo = m;
        }
        return m.instrumentation;
    }

    /**
     * @param context a subscriber's context
     * @return the settings it carries ({@link #empty()} when none)
     */
    public static Settings fromContext(ContextView context) {
        return context.getOrDefault(Settings.class, EMPTY);
    }

    @Override
    public String toString() {
        return "Settings[lm=" + (lm == null ? null : lm.id()) + ", adapter="
                + (adapter == null ? null : adapter.getClass().getSimpleName()) + ", retry=" + retry
                + ", config=" + config + (callbacks == null ? "" : ", callbacks=" + callbacks.size())
                + (observationRegistry == null ? "" : ", observationRegistry="
                + observationRegistry.getClass().getSimpleName()) + "]";
    }
}

package io.dspex.predict;

import io.dspex.adapter.Adapter;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmCache;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Defaults that programs read when they run: the LM, the adapter, the retry policy and call parameters (DSPy's
 * {@code dspy.settings} and {@code dspy.context}). Caching is not a setting: wrap the LM
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
 * <p>Immutable; an unset value ({@code null}) falls through to the next layer.
 */
public final class Settings {

    private static final Settings EMPTY = new Settings(null, null, null, CallConfig.empty());
    private static volatile Settings global = EMPTY;

    private final @Nullable LanguageModel lm;
    private final @Nullable Adapter adapter;
    private final @Nullable RetryPolicy retry;
    private final CallConfig config;

    private Settings(@Nullable LanguageModel lm, @Nullable Adapter adapter, @Nullable RetryPolicy retry,
                     CallConfig config) {
        this.lm = lm;
        this.adapter = adapter;
        this.retry = retry;
        this.config = config;
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
        global = settings;
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
        return new Settings(lm, adapter, retry, config);
    }

    /**
     * @param adapter the adapter (null to unset)
     * @return a copy with it
     */
    public Settings withAdapter(@Nullable Adapter adapter) {
        return new Settings(lm, adapter, retry, config);
    }

    /**
     * @param retry the retry policy (null to unset)
     * @return a copy with it
     */
    public Settings withRetry(@Nullable RetryPolicy retry) {
        return new Settings(lm, adapter, retry, config);
    }

    /**
     * @param config call parameters layered over each predictor's own (e.g. a temperature and rollout id for one
     *               optimizer round); null for none
     * @return a copy with it
     */
    public Settings withConfig(@Nullable CallConfig config) {
        return new Settings(lm, adapter, retry, config == null ? CallConfig.empty() : config);
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
        return new Settings(top.lm != null ? top.lm : lm, top.adapter != null ? top.adapter : adapter,
                top.retry != null ? top.retry : retry, config.overriddenBy(top.config));
    }

    /**
     * These settings as a Context edit for one run, layered over any settings already in the Context:
     * {@code mono.contextWrite(settings.asContext())}.
     *
     * @return the Context edit
     */
    public Function<Context, Context> asContext() {
        return ctx -> ctx.put(Settings.class, fromContext(ctx).overriddenBy(this));
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
                + ", config=" + config + "]";
    }
}

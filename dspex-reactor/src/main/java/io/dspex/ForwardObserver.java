package io.dspex;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * What {@link Module#forward(Example)} runs around every module call: the service-provider interface behind DSPy's
 * module callbacks and the module observations. This package cannot depend on the packages that implement it, so
 * it defines the hook and they plug in: {@code io.dspex.observe.Instrumentation} implements it, and
 * {@code io.dspex.predict.Settings} installs it, per run in the Reactor Context (under the key
 * {@code ForwardObserver.class}) and process-wide with {@code Settings.configure}.
 *
 * <p>Applications do not implement or install this: they register callbacks and an {@code ObservationRegistry}
 * through {@code Settings} ({@code withCallbacks}, {@code withObservationRegistry}).
 */
public abstract class ForwardObserver {

    private static volatile @Nullable ForwardObserver global;

    /** For the implementation in {@code io.dspex.observe}. */
    protected ForwardObserver() {
    }

    /**
     * Wraps one module call. Called by {@link Module#forward(Example)} when the call is subscribed; the returned
     * {@code Mono} is subscribed in its place, with the same Context.
     *
     * @param module  the module being called
     * @param inputs  its inputs
     * @param forward the call itself (lazy: it runs the module's {@code run} when subscribed)
     * @return the call, observed
     */
    public abstract Mono<Prediction> observe(Module module, Example inputs, Mono<Prediction> forward);

    /**
     * Wraps one tool call (DSPy's callbacks on {@code Tool.__call__}). Called by {@code io.dspex.tool.Tool.call}
     * when the call is subscribed; the returned {@code Mono} is subscribed in its place, with the same Context. The
     * default observes nothing.
     *
     * @param toolName  the tool's name
     * @param arguments its arguments, by name, as given
     * @param call      the call itself (lazy)
     * @param <T>       the tool's value type
     * @return the call, observed
     */
    public <T> Mono<T> observeTool(String toolName, Map<String, ?> arguments, Mono<T> call) {
        return call;
    }

    /**
     * The observer of a run: the one in its Context, else the process-wide one.
     *
     * @param context a subscriber's Context
     * @return the observer, or null when there is none (nothing to observe: the call runs as is)
     */
    public static @Nullable ForwardObserver current(ContextView context) {
        Object own = context.getOrDefault(ForwardObserver.class, null);
        return own instanceof ForwardObserver o ? o : global;
    }

    /**
     * Installs the process-wide observer; {@code io.dspex.predict.Settings.configure} calls this.
     *
     * @param observer the observer of runs whose Context has none (null: none)
     */
    public static void installGlobal(@Nullable ForwardObserver observer) {
        global = observer;
    }
}

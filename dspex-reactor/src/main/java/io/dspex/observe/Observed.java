package io.dspex.observe;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * One observed call: a subscriber between the caller and the call that fires the start callbacks and starts the
 * observation when subscribed, and fires the end callbacks and stops the observation exactly once, on the first of
 * value, error, empty completion or cancellation, before passing the signal on (so a child always ends before its
 * parent; on cancellation upstream is cancelled first, for the same order). Upstream sees a Context that holds this
 * call when callbacks need its id (the parent id of nested calls) and, when observed, the observation under
 * Micrometer's key, where Reactor Netty and Reactor's own {@code Micrometer.observation} look for a parent too.
 *
 * @param <T> the value type
 */
abstract class Observed<T> implements CoreSubscriber<T>, Subscription {

    static final Logger LOG = LoggerFactory.getLogger(Instrumentation.class);

    /** Micrometer's Context key of the current observation ({@code ObservationThreadLocalAccessor.KEY}). */
    static final String OBSERVATION_KEY = "micrometer.observation";
    static final String ERROR_TYPE = "error.type";
    static final KeyValue CANCELLED = KeyValue.of(ERROR_TYPE, "cancelled");

    /** The enclosing call's id while start callbacks run ({@link Callback#parentCallId()}). */
    static final ThreadLocal<@Nullable String> PARENT_CALL_ID = new ThreadLocal<>();

    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<Observed> ENDED =
            AtomicIntegerFieldUpdater.newUpdater(Observed.class, "ended");

    final CoreSubscriber<? super T> actual;
    final Instrumentation instrumentation;
    /** Null when this call fires no callbacks. */
    final @Nullable String callId;
    private @Nullable Observation observation;
    private Context context;
    private @Nullable Subscription upstream;
    private volatile int ended;
    /** Set when a callback's Error replaced the outcome: later signals from upstream are dropped. */
    private boolean failedByCallback;

    Observed(CoreSubscriber<? super T> actual, Instrumentation instrumentation, boolean callbacks) {
        this.actual = actual;
        this.instrumentation = instrumentation;
        this.callId = callbacks && instrumentation.callbacks.length > 0 ? newCallId() : null;
        this.context = actual.currentContext();
    }

    // ------------------------------------------------------------------ what each kind of call defines

    /** Calls the start method of this kind on one callback. */
    abstract void fireStart(Callback callback, String callId);

    /** Calls the end method of this kind on one callback. */
    abstract void fireEnd(Callback callback, String callId, @Nullable T value, @Nullable Throwable error);

    /**
     * The observation of this call, not started; null for none.
     *
     * @param registry the run's registry
     * @param parent   the caller's observation, if any (else Micrometer takes the thread's current one)
     */
    abstract @Nullable Observation observation(ObservationRegistry registry, @Nullable Observation parent);

    /** Adds what the value tells to the observation before it stops (e.g. the token usage). */
    void succeeded(Observation observation, @Nullable T value) {
    }

    /** Whether nested calls see this call as their parent in the Context. */
    boolean isParent() {
        return true;
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts this call and subscribes it to {@code source}. */
    final void subscribeTo(Mono<? extends T> source) {
        ContextView outer = actual.currentContext();
        Observed<?> parent = outer.getOrDefault(Observed.class, null);
        ObservationRegistry registry = instrumentation.registry;
        if (registry != null) {
            Object p = outer.getOrDefault(OBSERVATION_KEY, null);
            Observation o = null;
            try {
                o = observation(registry, p instanceof Observation po ? po : null);
                if (o != null) {
                    o.start();
                }
            } catch (RuntimeException e) {
                // Kept when it was made: the handlers that did start (a span) are stopped with the call.
                LOG.warn("the observation registry failed to start an observation; the call goes on", e);
            }
            observation = o;
        }
        Throwable fatal = null;
        if (callId != null) {
            String before = PARENT_CALL_ID.get();
            PARENT_CALL_ID.set(parent == null ? null : parent.callId);
            try {
                for (Callback cb : instrumentation.callbacks) {
                    try {
                        fireStart(cb, callId);
                    } catch (Exception e) {
                        warn(cb, "start", e);
                    } catch (Error e) {
                        fatal = fatal == null ? e : fatal;
                    }
                }
            } finally {
                if (before == null) {
                    PARENT_CALL_ID.remove();
                } else {
                    PARENT_CALL_ID.set(before);
                }
            }
        }
        Context c = context;
        if (callId != null && isParent()) {
            // Only callbacks need it: the calls nested in this one take its id as their parent's.
            c = c.put(Observed.class, this);
        }
        if (observation != null && !observation.isNoop()) {
            // A no-op one (switched off by an ObservationPredicate) is no parent: nested calls keep the caller's.
            c = c.put(OBSERVATION_KEY, observation);
        }
        context = c;
        if (fatal != null) {
            ENDED.set(this, 1);
            end(null, fatal, false);
            Operators.error(actual, fatal);
            return;
        }
        source.subscribe(this);
    }

    @Override
    public final Context currentContext() {
        return context;
    }

    @Override
    public final void onSubscribe(Subscription s) {
        if (Operators.validate(upstream, s)) {
            upstream = s;
            actual.onSubscribe(this);
        }
    }

    @Override
    public final void onNext(T value) {
        if (failedByCallback) {
            Operators.onDiscard(value, context);
            return;
        }
        if (ENDED.compareAndSet(this, 0, 1)) {
            Throwable fatal = end(value, null, false);
            if (fatal != null) {
                failedByCallback = true;
                cancelUpstream();
                actual.onError(fatal);
                return;
            }
        }
        actual.onNext(value);
    }

    @Override
    public final void onError(Throwable error) {
        if (failedByCallback) {
            Operators.onErrorDropped(error, context);
            return;
        }
        if (ENDED.compareAndSet(this, 0, 1)) {
            Throwable fatal = end(null, error, false);
            if (fatal != null) {
                fatal.addSuppressed(error);
                actual.onError(fatal);
                return;
            }
        }
        actual.onError(error);
    }

    @Override
    public final void onComplete() {
        if (failedByCallback) {
            return;
        }
        if (ENDED.compareAndSet(this, 0, 1)) {
            Throwable fatal = end(null, null, false);
            if (fatal != null) {
                actual.onError(fatal);
                return;
            }
        }
        actual.onComplete();
    }

    @Override
    public final void request(long n) {
        Subscription s = upstream;
        if (s != null) {
            s.request(n);
        }
    }

    @Override
    public final void cancel() {
        boolean ends = ENDED.compareAndSet(this, 0, 1);
        // Upstream first: the calls nested in this one end (on their own cancel) before it does.
        cancelUpstream();
        if (ends) {
            Throwable fatal = end(null, null, true);
            if (fatal != null) {
                // Nobody is listening any more: the only place left to report it.
                LOG.error("a callback threw an Error while a cancelled call ended", fatal);
            }
        }
    }

    private void cancelUpstream() {
        Subscription s = upstream;
        if (s != null) {
            s.cancel();
        }
    }

    /**
     * Fires the end callbacks and stops the observation; never throws.
     *
     * @return an Error a callback threw, to fail the call with
     */
    private @Nullable Throwable end(@Nullable T value, @Nullable Throwable error, boolean cancelled) {
        Throwable fatal = null;
        String id = callId;
        if (id != null) {
            Throwable reported = cancelled ? new CallCancelled() : error;
            for (Callback cb : instrumentation.callbacks) {
                try {
                    fireEnd(cb, id, value, reported);
                } catch (Exception e) {
                    warn(cb, "end", e);
                } catch (Error e) {
                    fatal = fatal == null ? e : fatal;
                }
            }
        }
        Observation o = observation;
        if (o != null) {
            try {
                if (cancelled) {
                    o.lowCardinalityKeyValue(CANCELLED);
                } else if (error != null) {
                    o.lowCardinalityKeyValue(ERROR_TYPE, errorType(error));
                    o.error(error);
                } else {
                    succeeded(o, value);
                }
                o.stop();
            } catch (RuntimeException e) {
                LOG.warn("the observation registry failed to stop an observation; the call goes on", e);
            }
        }
        return fatal;
    }

    private void warn(Callback cb, String when, Exception e) {
        LOG.warn("callback {} threw in {} of {} {}; ignored", cb.getClass().getName(), when, kind(), callId, e);
    }

    /** @return what this call is, for log lines ("module call", "LM call"...) */
    abstract String kind();

    /** OpenTelemetry's {@code error.type}: the failure's fully qualified class name. */
    static String errorType(Throwable error) {
        return error.getClass().getName();
    }

    /** A 32-digit hexadecimal id, like DSPy's {@code uuid.uuid4().hex}; from a non-blocking random source. */
    static String newCallId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] out = new char[32];
        long a = r.nextLong();
        long b = r.nextLong();
        for (int i = 15; i >= 0; i--) {
            out[i] = HEX[(int) (a & 0xF)];
            a >>>= 4;
            out[16 + i] = HEX[(int) (b & 0xF)];
            b >>>= 4;
        }
        return new String(out);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** The error an end callback receives for a cancelled call; no stack trace (it would only show Reactor). */
    static final class CallCancelled extends CancellationException {
        private static final long serialVersionUID = 1L;

        CallCancelled() {
            super("the call was cancelled by its subscriber");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}

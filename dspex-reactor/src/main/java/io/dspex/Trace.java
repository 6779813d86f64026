package io.dspex;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * A recorder of predictor calls, carried in the Reactor {@link Context} of one run (DSPy's
 * {@code dspy.settings.trace}). Each predictor that completes a call while a trace is in the Context appends
 * one {@link Entry}: which predictor, the inputs it saw, the prediction it made. Optimizers read the entries
 * of a successful run to build demos.
 *
 * <p>Thread-safe: concurrent branches of one run may append at once. Separate runs use separate traces, so
 * nothing crosses between them.
 *
 * <pre>{@code
 * Trace trace = new Trace();
 * program.forward(example).contextWrite(trace::attach).block();
 * trace.entries().forEach(e -> System.out.println(e.predictor() + " -> " + e.prediction()));
 * }</pre>
 */
public final class Trace {

    /**
     * One recorded predictor call.
     *
     * @param predictor  the predictor object that ran (compare by identity to a program's named predictors)
     * @param inputs     the inputs it was called with
     * @param prediction what it produced
     */
    public record Entry(Object predictor, Map<String, @Nullable Object> inputs, Prediction prediction) {
        /** @throws IllegalArgumentException when a component is null */
        public Entry {
            if (predictor == null || inputs == null || prediction == null) {
                throw new IllegalArgumentException("trace entry components must not be null");
            }
            inputs = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(inputs));
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    /** Creates an empty trace. */
    public Trace() {
    }

    /**
     * Appends one call (predictors do this; users rarely need to).
     *
     * @param entry the call
     */
    public void record(Entry entry) {
        Objects.requireNonNull(entry, "entry");
        synchronized (entries) {
            entries.add(entry);
        }
    }

    /** @return a snapshot of the entries in the order they were recorded */
    public List<Entry> entries() {
        synchronized (entries) {
            return List.copyOf(entries);
        }
    }

    /** Removes every entry. */
    public void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }

    /**
     * Puts this trace in a Context; use as {@code mono.contextWrite(trace::attach)}.
     *
     * @param context the context to extend
     * @return the context with this trace
     */
    public Context attach(Context context) {
        return context.put(Trace.class, this);
    }

    /**
     * @param context a subscriber's context
     * @return the trace recording in it, if any
     */
    public static java.util.Optional<Trace> current(ContextView context) {
        return context.getOrEmpty(Trace.class);
    }

    @Override
    public String toString() {
        synchronized (entries) {
            return "Trace(" + entries.size() + " entries)";
        }
    }
}

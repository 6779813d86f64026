package io.dspex;

import io.dspex.lm.Usage;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * The token usage of the LM calls made during one {@link Module#forward} call, per model name (DSPy's
 * {@code UsageTracker}, {@code track_usage} and {@code Prediction.get_lm_usage()}).
 *
 * <p>Every {@code Module.forward} subscription opens a tracker and puts it in the Reactor Context of its run, nested
 * under the caller's tracker when there is one (except {@code Predict}'s: a leaf predictor records its calls in the
 * enclosing trackers and sets its prediction's usage itself, which spares every call a Context write). Whatever records usage inside the run — {@code Predict} for each LM
 * call, including retried attempts, adapter fallbacks and a {@code Refine}'s advice calls — adds it to the innermost
 * tracker and to every tracker above it. When the module's {@code run} emits its prediction, {@code forward} sets the
 * tracker's totals on it ({@link Prediction#usageByModel()}, {@link Prediction#usage()}): so an inner module's
 * prediction carries its own subtotal and the outermost one the total of the whole call. A cached answer records
 * {@link Usage#ZERO}. Concurrent branches of one run (a {@code Parallel} inside a module) add to the same trackers;
 * separate runs never share one. No thread-locals are involved.
 *
 * <p>{@link #record} is the one entry point: call it from any program that calls a {@link io.dspex.lm.LanguageModel}
 * itself, with the Context of the run (from {@code Mono.deferContextual}).
 *
 * <pre>{@code
 * Mono<Prediction> run(Example in) {
 *     return Mono.deferContextual(ctx -> lm.call(request).map(response -> {
 *         UsageTracker.record(ctx, "gpt-4o-mini", response.usage());
 *         return Prediction.of(Map.of("answer", response.text()));
 *     }));
 * }
 * }</pre>
 */
public final class UsageTracker {

    private final @Nullable UsageTracker parent;
    /** Immutable snapshots in first-recorded order, replaced by compare-and-set: no lock on the request path. */
    private final AtomicReference<Map<String, Usage>> byModel = new AtomicReference<>(Map.of());

    private UsageTracker(@Nullable UsageTracker parent) {
        this.parent = parent;
    }

    /**
     * Adds the usage of one LM call to the tracker of the run whose Context this is and to every tracker above it
     * (each enclosing module's forward). Does nothing when the run has no tracker (a call outside any module).
     *
     * @param context the Context of the run making the call
     * @param model   the model's name as users know it (the request's model, else the client's, e.g.
     *                {@code "gpt-4o-mini"}); usage is totalled and priced per name
     * @param usage   the call's usage ({@link Usage#ZERO} for a cached answer)
     * @throws IllegalArgumentException when an argument is null or the model name is blank
     */
    public static void record(ContextView context, String model, Usage usage) {
        if (context == null || usage == null) {
            throw new IllegalArgumentException("context and usage must not be null");
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("the model name of recorded usage must not be blank");
        }
        for (UsageTracker t = context.getOrDefault(UsageTracker.class, null); t != null; t = t.parent) {
            t.add(model, usage);
        }
    }

    /**
     * @param context a run's Context
     * @return the tracker of the innermost module forward running in it, if any
     */
    public static Optional<UsageTracker> current(ContextView context) {
        return context.getOrEmpty(UsageTracker.class);
    }

    /** @return the usage recorded so far, per model name, in the order the models were first used (unmodifiable) */
    public Map<String, Usage> usageByModel() {
        return byModel.get();
    }

    /** @return the sum of {@link #usageByModel()} */
    public Usage usage() {
        return sum(byModel.get());
    }

    static Usage sum(Map<String, Usage> byModel) {
        Usage total = Usage.ZERO;
        for (Usage u : byModel.values()) {
            total = total.plus(u);
        }
        return total;
    }

    private void add(String model, Usage usage) {
        Map<String, Usage> current;
        Map<String, Usage> next;
        do {
            current = byModel.get();
            Map<String, Usage> m = new LinkedHashMap<>(current);
            m.merge(model, usage, Usage::plus);
            next = Collections.unmodifiableMap(m);
        } while (!byModel.compareAndSet(current, next));
    }

    /**
     * Runs {@code forward} with a new tracker nested under the caller's and puts the tracker's totals on the
     * prediction. A run that recorded nothing keeps the usage its prediction already carries (a program that builds
     * its predictions by hand).
     */
    static Mono<Prediction> scope(Mono<Prediction> forward) {
        return Mono.deferContextual(ctx -> {
            UsageTracker tracker = new UsageTracker(ctx.getOrDefault(UsageTracker.class, null));
            return forward.contextWrite(c -> c.put(UsageTracker.class, tracker)).map(p -> {
                Map<String, Usage> recorded = tracker.byModel.get();
                return recorded.isEmpty() ? p : p.withUsageByModel(recorded);
            });
        });
    }

    @Override
    public String toString() {
        return "UsageTracker" + byModel.get();
    }
}

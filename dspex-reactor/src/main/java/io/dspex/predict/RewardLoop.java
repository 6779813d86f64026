package io.dspex.predict;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.Trace;
import io.dspex.lm.CallConfig;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The attempt loop shared by {@link BestOfN} and {@link Refine} (DSPy's {@code forward} of both): up to {@code n}
 * attempts one after another, each a new subscription of the module with its own rollout id, temperature 1.0 and a
 * fresh {@link Trace} in the Context; stops at the first score that reaches the threshold, else returns the best;
 * failures count against the failure budget and the last one is raised when it runs out.
 */
final class RewardLoop {

    private static final Logger LOG = LoggerFactory.getLogger(RewardLoop.class);

    /** What {@link Refine} adds to the loop; {@link #NONE} for {@link BestOfN}. */
    interface Hooks {
        Hooks NONE = new Hooks() {
        };

        /**
         * @param index the attempt, from 0
         * @return an extra Context edit for that attempt (Refine's hints)
         */
        default Function<Context, Context> attemptContext(int index) {
            return Function.identity();
        }

        /**
         * Called after a scored attempt below the threshold that is not the last (Refine asks for advice here). An
         * error signal fails that attempt.
         *
         * @param index      the attempt, from 0
         * @param prediction its prediction
         * @param reward     its score
         * @param trace      the predictor calls it made
         * @return completes when done
         */
        default Mono<Void> afterMiss(int index, Prediction prediction, double reward, List<Trace.Entry> trace) {
            return Mono.empty();
        }
    }

    private final String who;
    private final Program module;
    private final Example inputs;
    private final int n;
    private final Reward reward;
    private final double threshold;
    private final int failCount;
    private final Hooks hooks;
    private final ContextView context;

    // Per run; attempts run one after another, each step after the previous one's signal, so no two threads touch
    // these at once (Reactor's signals order the writes before the next step's reads).
    private @Nullable Prediction best;
    private double bestReward = Double.NEGATIVE_INFINITY;
    private List<Trace.Entry> bestTrace = List.of();
    private int failures;

    private RewardLoop(String who, Program module, Example inputs, int n, Reward reward, double threshold,
                       int failCount, Hooks hooks, ContextView context) {
        this.who = who;
        this.module = module;
        this.inputs = inputs;
        this.n = n;
        this.reward = reward;
        this.threshold = threshold;
        this.failCount = failCount;
        this.hooks = hooks;
        this.context = context;
    }

    /** Runs the loop lazily; each subscription is an independent run. */
    static Mono<Prediction> run(String who, Program module, Example inputs, int n, Reward reward, double threshold,
                                int failCount, Hooks hooks) {
        return Mono.deferContextual(ctx -> new RewardLoop(who, module, inputs, n, reward, threshold, failCount, hooks,
                ctx).step(0));
    }

    /** The outcome of one attempt: stop (threshold reached), go on, or a failure. */
    private record Outcome(boolean stop, @Nullable Throwable error) {
        static final Outcome STOP = new Outcome(true, null);
        static final Outcome GO_ON = new Outcome(false, null);
    }

    private Mono<Prediction> step(int index) {
        if (index == n) {
            return finish(null);
        }
        String rolloutId = rolloutId(index);
        return attempt(index, rolloutId).flatMap(o -> {
            if (o.error() != null) {
                Throwable e = o.error();
                failures++;
                LOG.warn("{}: attempt {} of {} failed with rollout id {} ({} of {} allowed failures): {}", who,
                        index + 1, n, rolloutId, failures, failCount, e.toString());
                if (failures >= failCount) {
                    return Mono.error(e);
                }
                return index + 1 == n ? finish(e) : step(index + 1);
            }
            return o.stop() ? finish(null) : step(index + 1);
        });
    }

    private Mono<Outcome> attempt(int index, String rolloutId) {
        Trace trace = new Trace();
        CallConfig sampling = CallConfig.empty().withTemperature(1.0).withRolloutId(rolloutId);
        return Mono.defer(() -> module.forward(inputs))
                .switchIfEmpty(Mono.error(() -> new PredictException(who + ": the module completed without a "
                        + "prediction on attempt " + (index + 1))))
                .contextWrite(hooks.attemptContext(index))
                .contextWrite(c -> c.put(Trace.class, trace))
                .contextWrite(Settings.empty().withConfig(sampling).asContext())
                .flatMap(p -> score(index, rolloutId, p).flatMap(r -> {
                    List<Trace.Entry> entries = trace.entries();
                    if (best == null || r > bestReward) {
                        best = p;
                        bestReward = r;
                        bestTrace = entries;
                    }
                    if (r >= threshold) {
                        return Mono.just(Outcome.STOP);
                    }
                    if (index == n - 1) {
                        return Mono.just(Outcome.GO_ON);
                    }
                    return hooks.afterMiss(index, p, r, entries).then(Mono.just(Outcome.GO_ON));
                }))
                .onErrorResume(e -> Mono.just(new Outcome(false, e)));
    }

    private Mono<Double> score(int index, String rolloutId, Prediction p) {
        String where = who + ": the reward on attempt " + (index + 1) + " of " + n + " (rollout id " + rolloutId + ")";
        return Mono.defer(() -> {
                    Mono<Double> s = reward.score(inputs, p);
                    return s == null ? Mono.<Double>error(new IllegalStateException("the reward returned null "
                            + "instead of a Mono")) : s;
                })
                .onErrorMap(e -> new PredictException(where + " failed: " + e, e))
                .switchIfEmpty(Mono.error(() -> new PredictException(where + " returned no score")))
                .handle((value, sink) -> {
                    if (value == null || Double.isNaN(value)) {
                        sink.error(new PredictException(where + " returned " + value + "; scores must be numbers"));
                    } else if (value < reward.min() || value > reward.max()) {
                        sink.error(new PredictException(where + " returned " + value + ", outside its range ["
                                + reward.min() + ", " + reward.max() + "]"));
                    } else {
                        sink.next(value);
                    }
                });
    }

    /** The best prediction, its predictor calls added to the caller's trace (DSPy extends it with best_trace). */
    private Mono<Prediction> finish(@Nullable Throwable lastError) {
        Prediction b = best;
        if (b == null) {
            return Mono.error(lastError != null ? lastError
                    : new PredictException(who + ": no attempt produced a prediction"));
        }
        Trace outer = Trace.current(context).orElse(null);
        if (outer != null) {
            bestTrace.forEach(outer::record);
        }
        return Mono.just(b);
    }

    /**
     * DSPy starts at the LM's {@code rollout_id} (else 0) and counts up: here the rollout id of the Context's or the
     * global settings, when it is a whole number; a rollout id that is not is kept as a prefix ({@code "run-0"}).
     */
    private String rolloutId(int index) {
        String base = Settings.fromContext(context).config().rolloutId();
        if (base == null) {
            base = Settings.global().config().rolloutId();
        }
        if (base == null) {
            return Integer.toString(index);
        }
        try {
            return Long.toString(Math.addExact(Long.parseLong(base.strip()), index));
        } catch (NumberFormatException | ArithmeticException e) {
            return base + "-" + index;
        }
    }
}

package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.Trace;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.internal.BoundedRunner;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * Runs (program, example) pairs with a {@link Trace} each and scores them, at most {@code concurrency} at once,
 * results in input order: the reflective optimizers' rollouts (GEPA's trace-capturing minibatches, SIMBA's
 * {@code wrap_program}). A failed run or metric is that pair's result, scored the failure score; it never fails
 * the batch.
 */
final class Rollouts {

    private static final Logger LOG = LoggerFactory.getLogger(Rollouts.class);

    private Rollouts() {
    }

    /** Scores one prediction seeing its run's trace. */
    @FunctionalInterface
    interface Scorer {
        @Nullable ScoreWithFeedback score(Example example, Prediction prediction, List<Trace.Entry> trace);
    }

    /**
     * One pair to run.
     *
     * @param program  the program
     * @param example  the example (its inputs are passed)
     * @param settings a Context edit for this run (temperature, rollout id), or null
     */
    record Job(Program program, Example example, @Nullable Function<Context, Context> settings) {
    }

    /**
     * One pair's outcome.
     *
     * @param example    the example
     * @param prediction the prediction; null when the program failed
     * @param trace      the predictor calls recorded (those before a failure, when it failed)
     * @param score      the metric's score, or the failure score
     * @param result     what the metric returned; null when the program or the metric failed
     * @param error      why it failed, if it did
     */
    record Rollout(Example example, @Nullable Prediction prediction, List<Trace.Entry> trace, double score,
                   @Nullable ScoreWithFeedback result, @Nullable Throwable error) {

        boolean failed() {
            return error != null;
        }
    }

    static Mono<List<Rollout>> run(List<Job> jobs, Scorer scorer, int concurrency, double failureScore) {
        return BoundedRunner.run(Flux.fromIterable(jobs), (i, job) -> one(job, scorer, failureScore), concurrency, true)
                .map(BoundedRunner.Indexed::value)
                .collectList();
    }

    private static Mono<Rollout> one(Job job, Scorer scorer, double failureScore) {
        return Mono.defer(() -> {
            Trace trace = new Trace();
            Mono<Prediction> call;
            try {
                call = job.program().forward(job.example().inputs());
            } catch (RuntimeException e) {
                call = Mono.error(e);
            }
            if (call == null) {
                call = Mono.error(new IllegalStateException("program.forward returned null instead of a Mono"));
            }
            call = call.switchIfEmpty(Mono.error(() -> new IllegalStateException(
                    "the program completed without a prediction")));
            if (job.settings() != null) {
                call = call.contextWrite(job.settings());
            }
            return call.contextWrite(trace::attach)
                    .map(prediction -> scored(job.example(), prediction, trace.entries(), scorer, failureScore))
                    .onErrorResume(e -> {
                        Exceptions.throwIfJvmFatal(e);
                        LOG.debug("a rollout failed: {}", e.toString());
                        return Mono.just(new Rollout(job.example(), null, trace.entries(), failureScore, null, e));
                    });
        });
    }

    private static Rollout scored(Example example, Prediction prediction, List<Trace.Entry> trace, Scorer scorer,
                                  double failureScore) {
        try {
            ScoreWithFeedback s = scorer.score(example, prediction, trace);
            if (s == null) {
                throw new IllegalStateException("the metric returned null instead of a score");
            }
            return new Rollout(example, prediction, trace, s.score(), s, null);
        } catch (RuntimeException e) {
            LOG.warn("the metric failed on a rollout (it scores {}): {}", failureScore, e.toString());
            return new Rollout(example, prediction, trace, failureScore, null, e);
        }
    }
}

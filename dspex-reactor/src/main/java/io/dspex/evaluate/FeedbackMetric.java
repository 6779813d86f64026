package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Trace;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A metric that explains its score in words (DSPy's GEPA metric returning {@code dspy.Prediction(score=...,
 * feedback=...)}): reflective optimizers such as {@code io.dspex.optimize.Gepa} show the feedback to a reflection
 * LM, which proposes better instructions from it. It may see the labels (it is the judge); what it writes is all the
 * reflection LM learns about them.
 *
 * <pre>{@code
 * FeedbackMetric metric = (example, pred) -> {
 *     String gold = (String) example.get("answer");
 *     String got = (String) pred.get("answer");
 *     return gold.equals(got) ? new ScoreWithFeedback(1, "Correct.")
 *             : new ScoreWithFeedback(0, "Expected '" + gold + "' but got '" + got + "'.");
 * };
 * }</pre>
 *
 * <p>GEPA also asks for feedback about one predictor at a time, passing its name and its part of the trace
 * ({@link #score(Example, Prediction, List, String, List)}); by default that is the program-level feedback.
 * Override it, or build the metric with {@link #traced(Traced)}, to say what that predictor in particular did
 * wrong. A plain {@link Metric} becomes a feedback metric with {@link #of(Metric)}; its feedback is then DSPy's
 * default, {@code "This trajectory got a score of 1.0."}.
 *
 * <p>Like a {@link Metric}, it runs on the thread that delivered the prediction: keep it cheap and non-blocking.
 * Returning null, throwing, or a non-finite score fails that example (it scores the failure score).
 */
@FunctionalInterface
public interface FeedbackMetric {

    /**
     * Scores one prediction of the whole program and explains the score.
     *
     * @param example    the example, with its gold labels
     * @param prediction what the program predicted
     * @return the score and its feedback (feedback may be null: DSPy's default text is used)
     */
    ScoreWithFeedback score(Example example, Prediction prediction);

    /**
     * Scores one prediction seeing the run's trace, and, when an optimizer asks about one predictor, that
     * predictor's name and its own calls (DSPy's {@code metric(gold, pred, trace, pred_name, pred_trace)}). The
     * score should be the program-level one in every case; only the feedback may be about the predictor.
     *
     * @param example        the example, with its gold labels
     * @param prediction     what the program predicted
     * @param trace          every predictor call of the run, or null when the optimizer did not record one
     * @param predictorName  the predictor the optimizer asks about (its path, as in
     *                       {@link io.dspex.Program#namedPredictors()}), or null for program-level feedback
     * @param predictorTrace that predictor's call the optimizer is reflecting on, or null with no predictor
     * @return the score and its feedback; by default {@link #score(Example, Prediction)}
     */
    default ScoreWithFeedback score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace,
                                    @Nullable String predictorName, @Nullable List<Trace.Entry> predictorTrace) {
        return score(example, prediction);
    }

    /**
     * @return this metric's scores without the feedback, as a {@link Metric} (to give to {@link Evaluate}, say);
     *         the optimizers' traced calls reach {@link #score(Example, Prediction, List, String, List)}
     */
    default Metric asMetric() {
        FeedbackMetric self = this;
        return new Metric() {
            @Override
            public double score(Example example, Prediction prediction) {
                return FeedbackMetric.checked(self.score(example, prediction)).score();
            }

            @Override
            public double score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace) {
                return FeedbackMetric.checked(self.score(example, prediction, trace, null, null)).score();
            }
        };
    }

    /**
     * A plain metric as a feedback metric: its score with no feedback (so DSPy's default text,
     * {@code "This trajectory got a score of 0.0."}). Traced calls reach {@link Metric#score(Example, Prediction,
     * List)}.
     *
     * @param metric the metric
     * @return the feedback metric
     * @throws IllegalArgumentException when {@code metric} is null
     */
    static FeedbackMetric of(Metric metric) {
        if (metric == null) {
            throw new IllegalArgumentException("metric must not be null");
        }
        return new FeedbackMetric() {
            @Override
            public ScoreWithFeedback score(Example example, Prediction prediction) {
                return ScoreWithFeedback.of(metric.score(example, prediction));
            }

            @Override
            public ScoreWithFeedback score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace,
                                           @Nullable String predictorName,
                                           @Nullable List<Trace.Entry> predictorTrace) {
                return ScoreWithFeedback.of(metric.score(example, prediction, trace));
            }
        };
    }

    /**
     * A feedback metric written as one function of everything GEPA passes (DSPy's five-argument GEPA metric).
     *
     * <pre>{@code
     * FeedbackMetric m = FeedbackMetric.traced((example, pred, trace, predictorName, predictorTrace) ->
     *         "retrieve".equals(predictorName) ? new ScoreWithFeedback(s, "The passages missed the date.")
     *                                          : new ScoreWithFeedback(s, "The answer was wrong."));
     * }</pre>
     *
     * @param metric the function; for a plain (untraced) call it receives null trace, name and predictor trace
     * @return the feedback metric
     * @throws IllegalArgumentException when {@code metric} is null
     */
    static FeedbackMetric traced(Traced metric) {
        if (metric == null) {
            throw new IllegalArgumentException("metric must not be null");
        }
        return new FeedbackMetric() {
            @Override
            public ScoreWithFeedback score(Example example, Prediction prediction) {
                return metric.score(example, prediction, null, null, null);
            }

            @Override
            public ScoreWithFeedback score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace,
                                           @Nullable String predictorName,
                                           @Nullable List<Trace.Entry> predictorTrace) {
                return metric.score(example, prediction, trace, predictorName, predictorTrace);
            }
        };
    }

    /** The five-argument form of a feedback metric; see {@link FeedbackMetric#traced(Traced)}. */
    @FunctionalInterface
    interface Traced {
        /**
         * @param example        the example, with its gold labels
         * @param prediction     what the program predicted
         * @param trace          every predictor call of the run, or null
         * @param predictorName  the predictor asked about, or null for the whole program
         * @param predictorTrace that predictor's call, or null
         * @return the score and its feedback
         */
        ScoreWithFeedback score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace,
                                @Nullable String predictorName, @Nullable List<Trace.Entry> predictorTrace);
    }

    /**
     * @param result what a feedback metric returned
     * @return it, when present
     * @throws IllegalStateException when it is null
     */
    private static ScoreWithFeedback checked(@Nullable ScoreWithFeedback result) {
        if (result == null) {
            throw new IllegalStateException("the feedback metric returned null instead of a ScoreWithFeedback");
        }
        return result;
    }
}

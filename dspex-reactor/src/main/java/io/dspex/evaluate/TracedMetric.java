package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Trace;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A metric that also sees the trace of the run that made the prediction (DSPy's
 * {@code metric(example, pred, trace=None)}). Wrap one with {@link Metric#traced(TracedMetric)}.
 *
 * <p>As in DSPy, {@code trace} is {@code null} during plain evaluation and the list of the run's predictor
 * calls when an optimizer is bootstrapping demos; a common idiom returns a graded score for evaluation and a
 * strict pass/fail while bootstrapping:
 *
 * <pre>{@code
 * Metric m = Metric.traced((example, pred, trace) -> {
 *     double f1 = Metrics.f1("answer").score(example, pred);
 *     return trace == null ? f1 : (f1 >= 0.8 ? 1 : 0);
 * });
 * }</pre>
 */
@FunctionalInterface
public interface TracedMetric {

    /**
     * Scores one prediction.
     *
     * @param example    the dev-set example, with its gold labels
     * @param prediction what the program predicted
     * @param trace      the run's predictor calls, or {@code null} during plain evaluation
     * @return the score; by convention in {@code [0, 1]}
     */
    double score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace);
}

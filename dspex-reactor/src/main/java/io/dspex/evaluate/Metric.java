package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Trace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import org.jspecify.annotations.Nullable;

/**
 * Scores a prediction against an example's gold labels (DSPy's {@code metric(example, pred)}). Higher is better;
 * by convention scores lie in {@code [0, 1]} and {@link EvaluationResult#score()} reports their mean in percent.
 *
 * <pre>{@code
 * Metric exact = (example, pred) -> example.get("answer").equals(pred.get("answer")) ? 1 : 0;
 * Metric same  = Metric.of((example, pred) -> example.get("answer").equals(pred.get("answer")));
 * Metric both  = Metrics.exactMatch("answer").and(Metrics.f1("answer"));
 * }</pre>
 *
 * <p>A metric runs on the thread that delivered the prediction, which is usually a non-blocking Reactor thread:
 * keep it cheap and non-blocking, or tell {@link Evaluate.Builder#metricScheduler} to run it on
 * {@code Schedulers.boundedElastic()}. A metric that calls a language model is an {@link AsyncMetric}.
 * A metric that throws, or returns NaN or an infinity, fails that example (it scores the failure score).
 */
@FunctionalInterface
public interface Metric {

    /**
     * Scores one prediction.
     *
     * @param example    the dev-set example, with its gold labels
     * @param prediction what the program predicted
     * @return the score
     */
    double score(Example example, Prediction prediction);

    /**
     * Scores one prediction seeing the trace of the run that made it. Optimizers call this form; plain metrics
     * ignore the trace, metrics made by {@link #traced(TracedMetric)} receive it.
     *
     * @param example    the dev-set example
     * @param prediction what the program predicted
     * @param trace      the run's predictor calls, or {@code null} during plain evaluation (DSPy's {@code trace=None})
     * @return the score
     */
    default double score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace) {
        return score(example, prediction);
    }

    /**
     * The name shown as the metric column of {@link EvaluationResult#table(int)} and the exports
     * (DSPy uses the metric function's name).
     *
     * @return the name; {@code "metric"} unless set with {@link #named(String)}
     */
    default String name() {
        return "metric";
    }

    /**
     * @param name the column name to use
     * @return this metric under that name
     * @throws IllegalArgumentException when {@code name} is null or blank
     */
    default Metric named(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("metric name must be a non-blank string, got "
                    + (name == null ? "null" : "'" + name + "'"));
        }
        Metric self = this;
        return new Metric() {
            @Override
            public double score(Example example, Prediction prediction) {
                return self.score(example, prediction);
            }

            @Override
            public double score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace) {
                return self.score(example, prediction, trace);
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    /**
     * A pass/fail metric: {@code true} scores 1, {@code false} scores 0 (Python's {@code bool} in a sum).
     *
     * <pre>{@code
     * Metric m = Metric.of((ex, pred) -> pred.get("answer").toString().contains(ex.get("answer").toString()));
     * }</pre>
     *
     * @param test the test
     * @return the metric
     * @throws IllegalArgumentException when {@code test} is null
     */
    static Metric of(BiPredicate<Example, Prediction> test) {
        requireNonNull(test, "test");
        return (example, prediction) -> test.test(example, prediction) ? 1.0 : 0.0;
    }

    /**
     * A metric that also sees the trace: {@code null} during plain evaluation, the run's predictor calls when an
     * optimizer calls {@link #score(Example, Prediction, List)}.
     *
     * @param metric the traced metric
     * @return the metric
     * @throws IllegalArgumentException when {@code metric} is null
     */
    static Metric traced(TracedMetric metric) {
        requireNonNull(metric, "metric");
        return new Metric() {
            @Override
            public double score(Example example, Prediction prediction) {
                return metric.score(example, prediction, null);
            }

            @Override
            public double score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace) {
                return metric.score(example, prediction, trace);
            }
        };
    }

    /**
     * Both must hold: the smaller of the two scores (logical <em>and</em> for 0/1 scores). Both metrics run,
     * and both see the trace.
     *
     * @param other the other metric
     * @return the combined metric, named {@code "and(a, b)"}
     * @throws IllegalArgumentException when {@code other} is null
     */
    default Metric and(Metric other) {
        requireNonNull(other, "other");
        return Combined.pairwise("and(" + name() + ", " + other.name() + ")", List.of(this, other), (a, b) -> Math.min(a, b));
    }

    /**
     * Either may hold: the larger of the two scores (logical <em>or</em> for 0/1 scores). Both metrics run.
     *
     * @param other the other metric
     * @return the combined metric, named {@code "or(a, b)"}
     * @throws IllegalArgumentException when {@code other} is null
     */
    default Metric or(Metric other) {
        requireNonNull(other, "other");
        return Combined.pairwise("or(" + name() + ", " + other.name() + ")", List.of(this, other), (a, b) -> Math.max(a, b));
    }

    /**
     * The plain mean of several metrics' scores.
     *
     * @param metrics at least one metric
     * @return the combined metric, named {@code "average(a, b, ...)"}
     * @throws IllegalArgumentException when there is no metric or one is null
     */
    static Metric average(Metric... metrics) {
        if (metrics == null || metrics.length == 0) {
            throw new IllegalArgumentException("average needs at least one metric");
        }
        Map<Metric, Double> weights = new LinkedHashMap<>();
        for (int i = 0; i < metrics.length; i++) {
            requireNonNull(metrics[i], "metrics[" + i + "]");
            weights.merge(metrics[i], 1.0, Double::sum);
        }
        return weighted(weights, "average");
    }

    /**
     * The weighted mean of several metrics' scores: {@code sum(w_i * score_i) / sum(w_i)}.
     *
     * <pre>{@code
     * Metric m = Metric.weighted(Map.of(Metrics.exactMatch("answer"), 0.7, Metrics.f1("answer"), 0.3));
     * }</pre>
     *
     * @param weights each metric with its weight; weights must be finite, not negative, and not all zero
     * @return the combined metric, named {@code "weighted(a, b, ...)"}
     * @throws IllegalArgumentException naming the bad metric or weight
     */
    static Metric weighted(Map<Metric, Double> weights) {
        return weighted(weights, "weighted");
    }

    private static Metric weighted(Map<Metric, Double> weights, String label) {
        if (weights == null || weights.isEmpty()) {
            throw new IllegalArgumentException(label + " needs at least one metric");
        }
        List<Metric> ms = new ArrayList<>(weights.size());
        double[] ws = new double[weights.size()];
        double total = 0;
        int i = 0;
        StringBuilder name = new StringBuilder(label).append('(');
        for (Map.Entry<Metric, Double> e : weights.entrySet()) {
            requireNonNull(e.getKey(), "metric");
            Double w = e.getValue();
            if (w == null || !Double.isFinite(w) || w < 0) {
                throw new IllegalArgumentException("weight of metric '" + e.getKey().name()
                        + "' must be a finite number >= 0, got " + w);
            }
            ms.add(e.getKey());
            ws[i++] = w;
            total += w;
            name.append(i > 1 ? ", " : "").append(e.getKey().name());
        }
        if (total == 0) {
            throw new IllegalArgumentException(label + " needs a weight above zero");
        }
        double sum = total;
        return Combined.of(name.append(')').toString(), ms, scores -> {
            double acc = 0;
            for (int k = 0; k < scores.length; k++) {
                acc += ws[k] * scores[k];
            }
            return acc / sum;
        });
    }

    private static void requireNonNull(@Nullable Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }
}

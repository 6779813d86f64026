package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Trace;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/** A metric built from others; passes the trace through to every part. */
final class Combined implements Metric {

    private final String name;
    private final List<Metric> parts;
    private final ToDoubleFunction<double[]> combine;

    private Combined(String name, List<Metric> parts, ToDoubleFunction<double[]> combine) {
        this.name = name;
        this.parts = List.copyOf(parts);
        this.combine = combine;
    }

    static Metric pairwise(String name, List<Metric> parts, DoubleBinaryOperator pairwise) {
        return new Combined(name, parts, scores -> {
            double acc = scores[0];
            for (int i = 1; i < scores.length; i++) {
                acc = pairwise.applyAsDouble(acc, scores[i]);
            }
            return acc;
        });
    }

    static Metric of(String name, List<Metric> parts, ToDoubleFunction<double[]> combine) {
        return new Combined(name, parts, combine);
    }

    @Override
    public double score(Example example, Prediction prediction) {
        return score(example, prediction, null);
    }

    @Override
    public double score(Example example, Prediction prediction, @Nullable List<Trace.Entry> trace) {
        double[] scores = new double[parts.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = parts.get(i).score(example, prediction, trace);
        }
        return combine.applyAsDouble(scores);
    }

    @Override
    public String name() {
        return name;
    }
}

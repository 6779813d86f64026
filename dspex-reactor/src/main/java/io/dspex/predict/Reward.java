package io.dspex.predict;

import io.dspex.Example;
import io.dspex.Prediction;
import java.util.function.ToDoubleBiFunction;
import reactor.core.publisher.Mono;

/**
 * Scores one attempt of a program for {@link BestOfN} and {@link Refine} (DSPy's {@code reward_fn(args, pred)}):
 * higher is better, and an attempt whose score reaches the threshold ends the search. Asynchronous, so a reward may
 * call an LM or a service; {@link #of(ToDoubleBiFunction)} takes a plain function.
 *
 * <pre>{@code
 * Reward oneWord = Reward.of((inputs, p) -> ((String) p.get("answer")).split("\\s+").length == 1 ? 1.0 : 0.0)
 *         .withRange(0, 1);
 * Reward judged = (inputs, p) -> judge.forward(Map.of("answer", p.get("answer")))
 *         .map(j -> (Boolean) j.get("correct") ? 1.0 : 0.0);
 * }</pre>
 *
 * <p>A reward that fails, completes empty or scores NaN (or outside its declared {@link #withRange range}) fails
 * that attempt with a {@link PredictException} naming it; the attempt counts against the module's failure budget, as
 * in DSPy, where an exception in {@code reward_fn} fails the attempt.
 */
@FunctionalInterface
public interface Reward {

    /**
     * @param inputs     the inputs the program was called with
     * @param prediction the attempt's prediction
     * @return the score (a single value)
     */
    Mono<Double> score(Example inputs, Prediction prediction);

    /** @return the lowest score this reward gives (negative infinity unless {@link #withRange declared}) */
    default double min() {
        return Double.NEGATIVE_INFINITY;
    }

    /** @return the highest score this reward gives (positive infinity unless {@link #withRange declared}) */
    default double max() {
        return Double.POSITIVE_INFINITY;
    }

    /**
     * Declares the scores this reward gives: a threshold outside them is rejected when the module is built, and a
     * score outside them fails its attempt.
     *
     * @param min the lowest score
     * @param max the highest score, at least {@code min}
     * @return this reward with the range
     * @throws IllegalArgumentException when a bound is NaN or {@code min > max}
     */
    default Reward withRange(double min, double max) {
        if (Double.isNaN(min) || Double.isNaN(max) || min > max) {
            throw new IllegalArgumentException("reward range must be min <= max, got [" + min + ", " + max + "]");
        }
        Reward self = this;
        return new Reward() {
            @Override
            public Mono<Double> score(Example inputs, Prediction prediction) {
                return self.score(inputs, prediction);
            }

            @Override
            public double min() {
                return min;
            }

            @Override
            public double max() {
                return max;
            }

            @Override
            public String toString() {
                return self + " in [" + min + ", " + max + "]";
            }
        };
    }

    /**
     * A reward from a plain function, run on the thread that delivered the prediction (it must not block).
     *
     * @param score (inputs, prediction) to the score
     * @return the reward
     * @throws IllegalArgumentException when {@code score} is null
     */
    static Reward of(ToDoubleBiFunction<Example, Prediction> score) {
        if (score == null) {
            throw new IllegalArgumentException("reward function must not be null");
        }
        return (inputs, prediction) -> Mono.fromCallable(() -> score.applyAsDouble(inputs, prediction));
    }
}

package io.dspex.evaluate;

import io.dspex.internal.PyFormat;
import org.jspecify.annotations.Nullable;

/**
 * A score with a textual explanation of it (DSPy's {@code dspy.Prediction(score=..., feedback=...)} from a GEPA
 * metric): what a {@link FeedbackMetric} returns. The feedback tells a reflective optimizer what went wrong and how
 * to do better, in words; the more concrete, the better the instructions it proposes.
 *
 * <pre>{@code
 * return correct ? new ScoreWithFeedback(1.0, "Correct.")
 *                : new ScoreWithFeedback(0.0, "Expected '" + gold + "'. Numbers below ten are written in words.");
 * }</pre>
 *
 * @param score    the score, a finite number (by convention in {@code [0, 1]})
 * @param feedback the explanation; null when the metric has none, and then {@link #feedbackOrDefault()} is DSPy's
 *                 default, {@code "This trajectory got a score of 0.5."}
 */
public record ScoreWithFeedback(double score, @Nullable String feedback) {

    /**
     * Checks the score.
     *
     * @param score    the score
     * @param feedback the feedback, or null for none
     * @throws IllegalArgumentException when the score is NaN or infinite
     */
    public ScoreWithFeedback {
        if (!Double.isFinite(score)) {
            throw new IllegalArgumentException("a feedback metric's score must be a finite number, got " + score);
        }
    }

    /**
     * A score without feedback (a plain metric's result).
     *
     * @param score the score, finite
     * @return the score with no feedback
     * @throws IllegalArgumentException when the score is NaN or infinite
     */
    public static ScoreWithFeedback of(double score) {
        return new ScoreWithFeedback(score, null);
    }

    /**
     * @return the feedback, or, when there is none, DSPy's text for a metric that gave none:
     *         {@code "This trajectory got a score of <score>."} with the score as Python prints a float
     */
    public String feedbackOrDefault() {
        return feedback != null ? feedback : "This trajectory got a score of " + PyFormat.repr(score) + ".";
    }
}

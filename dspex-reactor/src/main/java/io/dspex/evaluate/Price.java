package io.dspex.evaluate;

import org.jspecify.annotations.Nullable;

/**
 * What a model charges for tokens, in currency units (say US dollars) per million tokens. Give it to
 * {@link Evaluate.Builder#price(Price)} to read an evaluation's cost from {@link EvaluationResult#cost()}.
 *
 * <pre>{@code
 * Price gpt4oMini = new Price(0.15, 0.60);   // $0.15 per 1M prompt tokens, $0.60 per 1M completion tokens
 * }</pre>
 *
 * @param promptPerMillion     price of one million prompt (input) tokens
 * @param completionPerMillion price of one million completion (output) tokens
 */
public record Price(double promptPerMillion, double completionPerMillion) {

    /**
     * Checks the prices.
     *
     * @param promptPerMillion     price of one million prompt tokens
     * @param completionPerMillion price of one million completion tokens
     * @throws IllegalArgumentException when a price is negative, NaN or infinite
     */
    public Price {
        if (!Double.isFinite(promptPerMillion) || promptPerMillion < 0
                || !Double.isFinite(completionPerMillion) || completionPerMillion < 0) {
            throw new IllegalArgumentException("prices must be finite and not negative, got prompt="
                    + promptPerMillion + ", completion=" + completionPerMillion);
        }
    }

    /**
     * @param usage token usage (null counts as zero)
     * @return what that usage costs
     */
    public double cost(io.dspex.lm.@Nullable Usage usage) {
        if (usage == null) {
            return 0;
        }
        return usage.promptTokens() * promptPerMillion / 1_000_000d
                + usage.completionTokens() * completionPerMillion / 1_000_000d;
    }
}

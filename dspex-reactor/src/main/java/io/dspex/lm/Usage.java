package io.dspex.lm;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;

/**
 * Token usage of one or more LM calls, as the provider reports it.
 *
 * <pre>{@code
 * Usage total = first.plus(second);
 * System.out.println(total.totalTokens());
 * }</pre>
 *
 * @param promptTokens     tokens in the prompt
 * @param completionTokens tokens generated
 * @param totalTokens      their sum as reported (or computed when the provider omits it)
 */
public record Usage(
        @JsonProperty("prompt_tokens") long promptTokens,
        @JsonProperty("completion_tokens") long completionTokens,
        @JsonProperty("total_tokens") long totalTokens) {

    /** No tokens: what a cache hit or a call that reported nothing costs. */
    public static final Usage ZERO = new Usage(0, 0, 0);

    /**
     * @throws IllegalArgumentException when a count is negative
     */
    public Usage {
        if (promptTokens < 0 || completionTokens < 0 || totalTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative: prompt=" + promptTokens
                    + ", completion=" + completionTokens + ", total=" + totalTokens);
        }
    }

    /**
     * Usage with the total computed from its parts.
     *
     * @param promptTokens     tokens in the prompt
     * @param completionTokens tokens generated
     * @return the usage
     */
    public static Usage of(long promptTokens, long completionTokens) {
        return new Usage(promptTokens, completionTokens, promptTokens + completionTokens);
    }

    /**
     * @param other usage to add (null counts as zero)
     * @return the sum of both
     */
    public Usage plus(@Nullable Usage other) {
        if (other == null) {
            return this;
        }
        return new Usage(promptTokens + other.promptTokens, completionTokens + other.completionTokens,
                totalTokens + other.totalTokens);
    }
}

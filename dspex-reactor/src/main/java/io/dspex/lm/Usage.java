package io.dspex.lm;

import com.fasterxml.jackson.annotation.JsonInclude;
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
 * <p>The prompt's tokens include those the provider's prompt cache served or stored, which it bills differently:
 * {@code cachedTokens} (OpenAI's {@code prompt_tokens_details.cached_tokens}, Anthropic's
 * {@code cache_read_input_tokens}, Gemini's {@code cachedContentTokenCount}) and {@code cacheCreationTokens}
 * (Anthropic's {@code cache_creation_input_tokens}). Both are 0 when the provider reports none, and are left out of
 * the JSON form then.
 *
 * @param promptTokens        tokens in the prompt, cached ones included
 * @param completionTokens    tokens generated (a thinking model's thoughts included)
 * @param totalTokens         their sum as reported (or computed when the provider omits it)
 * @param cachedTokens        prompt tokens read from the provider's prompt cache
 * @param cacheCreationTokens prompt tokens written to the provider's prompt cache
 */
public record Usage(
        @JsonProperty("prompt_tokens") long promptTokens,
        @JsonProperty("completion_tokens") long completionTokens,
        @JsonProperty("total_tokens") long totalTokens,
        @JsonProperty("cached_tokens") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long cachedTokens,
        @JsonProperty("cache_creation_tokens") @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        long cacheCreationTokens) {

    /** No tokens: what a cache hit or a call that reported nothing costs. */
    public static final Usage ZERO = new Usage(0, 0, 0);

    /**
     * @throws IllegalArgumentException when a count is negative
     */
    public Usage {
        if (promptTokens < 0 || completionTokens < 0 || totalTokens < 0 || cachedTokens < 0
                || cacheCreationTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative: prompt=" + promptTokens
                    + ", completion=" + completionTokens + ", total=" + totalTokens + ", cached=" + cachedTokens
                    + ", cacheCreation=" + cacheCreationTokens);
        }
    }

    /**
     * Usage without prompt-cache counts.
     *
     * @param promptTokens     tokens in the prompt
     * @param completionTokens tokens generated
     * @param totalTokens      their sum as reported
     */
    public Usage(long promptTokens, long completionTokens, long totalTokens) {
        this(promptTokens, completionTokens, totalTokens, 0, 0);
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
                totalTokens + other.totalTokens, cachedTokens + other.cachedTokens,
                cacheCreationTokens + other.cacheCreationTokens);
    }
}

package io.dspex.lm;

import org.jspecify.annotations.Nullable;

/**
 * One piece of a streamed answer (see {@link LanguageModel#stream(LmRequest)}).
 *
 * <pre>{@code
 * StringBuilder text = new StringBuilder();
 * lm.stream(request).doOnNext(chunk -> text.append(chunk.text())).blockLast();
 * }</pre>
 *
 * @param text         the text delta (empty on a chunk that only carries usage or a finish reason)
 * @param choiceIndex  which choice the delta belongs to (0 unless {@code n > 1})
 * @param finishReason why the choice ended ({@code "stop"}, {@code "length"}, ...) on its last chunk, else null
 * @param usage        token usage on the final usage chunk, else null
 */
public record LmChunk(String text, int choiceIndex, @Nullable String finishReason, @Nullable Usage usage) {

    /**
     * @throws IllegalArgumentException when the text is null or the choice index negative
     */
    public LmChunk {
        if (text == null) {
            throw new IllegalArgumentException("chunk text must not be null (use \"\")");
        }
        if (choiceIndex < 0) {
            throw new IllegalArgumentException("chunk choiceIndex must not be negative: " + choiceIndex);
        }
    }

    /**
     * @param text the text delta of choice 0
     * @return a chunk without finish reason or usage
     */
    public static LmChunk of(String text) {
        return new LmChunk(text, 0, null, null);
    }

    /**
     * @param usage the usage of the whole call
     * @return the empty-text chunk that closes a stream and carries its usage
     */
    public static LmChunk ofUsage(Usage usage) {
        return new LmChunk("", 0, null, usage);
    }
}

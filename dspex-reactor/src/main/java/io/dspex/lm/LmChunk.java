package io.dspex.lm;

import org.jspecify.annotations.Nullable;
import java.util.List;

/**
 * One piece of a streamed answer (see {@link LanguageModel#stream(LmRequest)}).
 *
 * <pre>{@code
 * StringBuilder text = new StringBuilder();
 * lm.stream(request).doOnNext(chunk -> text.append(chunk.text())).blockLast();
 * }</pre>
 *
 * @param text         the text delta (empty on a chunk that only carries usage, a finish reason or tool
 *                     calls)
 * @param choiceIndex  which choice the delta belongs to (0 unless {@code n > 1})
 * @param finishReason why the choice ended ({@code "stop"}, {@code "length"}, {@code "tool_calls"}, ...) on its last
 *                     chunk, else null
 * @param usage        token usage on the final usage chunk, else null
 * @param toolCalls    the choice's tool calls, whole: a client assembles the streamed pieces of each call and
 *                     delivers them once, on the choice's last chunk; empty on every other chunk
 */
public record LmChunk(String text, int choiceIndex, @Nullable String finishReason, @Nullable Usage usage,
                      List<ToolCall> toolCalls) {

    /**
     * @throws IllegalArgumentException when the text is null, the choice index negative or a tool call null
     */
    public LmChunk {
        if (text == null) {
            throw new IllegalArgumentException("chunk text must not be null (use \"\")");
        }
        if (choiceIndex < 0) {
            throw new IllegalArgumentException("chunk choiceIndex must not be negative: " + choiceIndex);
        }
        if (toolCalls == null || toolCalls.isEmpty()) {
            toolCalls = List.of();
        } else {
            for (int i = 0; i < toolCalls.size(); i++) {
                if (toolCalls.get(i) == null) {
                    throw new IllegalArgumentException("chunk toolCalls[" + i + "] is null");
                }
            }
            toolCalls = List.copyOf(toolCalls);
        }
    }

    /**
     * A chunk without tool calls.
     *
     * @param text         the text delta
     * @param choiceIndex  the choice
     * @param finishReason the finish reason on the choice's last chunk, else null
     * @param usage        the usage on the final chunk, else null
     */
    public LmChunk(String text, int choiceIndex, @Nullable String finishReason, @Nullable Usage usage) {
        this(text, choiceIndex, finishReason, usage, List.of());
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

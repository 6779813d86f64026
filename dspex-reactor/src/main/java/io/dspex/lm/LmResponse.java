package io.dspex.lm;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A language model's answer to one {@link LmRequest}: one or more choices, the token usage, and what the
 * provider reported about the call. Immutable.
 *
 * <pre>{@code
 * LmResponse response = lm.call(request).block();
 * String answer = response.text();           // the first choice
 * List<String> all = response.texts();        // every choice when n > 1
 * long tokens = response.usage().totalTokens();
 * }</pre>
 */
public final class LmResponse {

    /**
     * One generated alternative.
     *
     * @param text         the generated text (empty when the provider sent no content)
     * @param finishReason why generation stopped ({@code "stop"}, {@code "length"}, {@code "tool_calls"}, ...), or
     *                     null if unknown
     * @param toolCalls    the tool calls the model asked for, in order; empty when none
     */
    public record Choice(@JsonProperty("text") String text,
                         @JsonProperty("finishReason") @Nullable String finishReason,
                         @JsonProperty("toolCalls") @JsonInclude(JsonInclude.Include.NON_EMPTY)
                         List<ToolCall> toolCalls) {
        /**
         * @throws IllegalArgumentException when the text is null or a tool call is null
         */
        public Choice {
            if (text == null) {
                throw new IllegalArgumentException("choice text must not be null (use \"\")");
            }
            if (toolCalls == null || toolCalls.isEmpty()) {
                toolCalls = List.of();
            } else {
                for (int i = 0; i < toolCalls.size(); i++) {
                    if (toolCalls.get(i) == null) {
                        throw new IllegalArgumentException("choice toolCalls[" + i + "] is null");
                    }
                }
                toolCalls = List.copyOf(toolCalls);
            }
        }

        /**
         * A choice of text only.
         *
         * @param text         the generated text
         * @param finishReason why generation stopped, or null
         */
        public Choice(String text, @Nullable String finishReason) {
            this(text, finishReason, List.of());
        }
    }

    private final List<Choice> choices;
    private final Usage usage;
    private final @Nullable String model;
    private final @Nullable String requestId;
    private volatile @Nullable String raw;
    private final byte @Nullable [] rawBytes;

    /**
     * Creates a response.
     *
     * @param choices   at least one choice
     * @param usage     token usage; null counts as {@link Usage#ZERO}
     * @param model     the model that answered, or null if unknown
     * @param requestId the provider's request id, or null if none
     * @param raw       the response body as received, or null when the response was not read from the wire
     * @throws IllegalArgumentException when there is no choice or a choice is null
     */
    @JsonCreator
    public LmResponse(@JsonProperty("choices") List<Choice> choices, @JsonProperty("usage") @Nullable Usage usage,
                      @JsonProperty("model") @Nullable String model,
                      @JsonProperty("requestId") @Nullable String requestId,
                      @JsonProperty("raw") @Nullable String raw) {
        this(choices, usage, model, requestId, raw, null);
    }

    LmResponse(List<Choice> choices, @Nullable Usage usage, @Nullable String model, @Nullable String requestId,
               @Nullable String raw, byte @Nullable [] rawBytes) {
        if (choices == null || choices.isEmpty()) {
            throw new IllegalArgumentException("LmResponse must have at least one choice");
        }
        List<Choice> copy = new ArrayList<>(choices.size());
        for (int i = 0; i < choices.size(); i++) {
            if (choices.get(i) == null) {
                throw new IllegalArgumentException("LmResponse.choices[" + i + "] is null");
            }
            copy.add(choices.get(i));
        }
        this.choices = Collections.unmodifiableList(copy);
        this.usage = usage == null ? Usage.ZERO : usage;
        this.model = model;
        this.requestId = requestId;
        this.raw = raw;
        this.rawBytes = rawBytes;
    }

    /**
     * A response with one choice, no usage and nothing from the wire; handy in tests.
     *
     * @param text the answer
     * @return the response
     */
    public static LmResponse of(String text) {
        return new LmResponse(List.of(new Choice(text, "stop")), Usage.ZERO, null, null, null);
    }

    /**
     * A response with one choice per text (finish reason {@code "stop"}) and the given usage.
     *
     * @param texts at least one text
     * @param usage the usage (null for zero)
     * @return the response
     */
    public static LmResponse of(List<String> texts, @Nullable Usage usage) {
        if (texts == null || texts.isEmpty()) {
            throw new IllegalArgumentException("LmResponse.of needs at least one text");
        }
        List<Choice> cs = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("LmResponse.of texts[" + i + "] is null");
            }
            cs.add(new Choice(texts.get(i), "stop"));
        }
        return new LmResponse(cs, usage, null, null, null);
    }

    /**
     * A response with one choice that asks for tool calls (finish reason {@code "tool_calls"}), no usage and nothing
     * from the wire: what a test script or a fake model answers.
     *
     * <pre>{@code
     * LmResponse r = LmResponse.ofToolCalls("", List.of(new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}")));
     * }</pre>
     *
     * @param text      the choice's text (may be empty)
     * @param toolCalls the calls, at least one
     * @return the response
     * @throws IllegalArgumentException when the text is null or there is no call
     */
    public static LmResponse ofToolCalls(String text, List<ToolCall> toolCalls) {
        if (toolCalls == null || toolCalls.isEmpty()) {
            throw new IllegalArgumentException("LmResponse.ofToolCalls needs at least one tool call");
        }
        return new LmResponse(List.of(new Choice(text, "tool_calls", toolCalls)), Usage.ZERO, null, null, null);
    }

    /** @return the choices, in the provider's index order; unmodifiable, never empty */
    @JsonProperty("choices")
    public List<Choice> choices() {
        return choices;
    }

    /** @return the first choice's text */
    public String text() {
        return choices.get(0).text();
    }

    /** @return the first choice's tool calls; empty when the model asked for none */
    public List<ToolCall> toolCalls() {
        return choices.get(0).toolCalls();
    }

    /**
     * This whole response as stream chunks, one per choice in order, the last carrying the usage: what a model that
     * cannot stream emits from {@link LanguageModel#stream}.
     *
     * @return the chunks
     */
    public List<LmChunk> asChunks() {
        List<LmChunk> chunks = new ArrayList<>(choices.size());
        for (int i = 0; i < choices.size(); i++) {
            Choice c = choices.get(i);
            chunks.add(new LmChunk(c.text(), i, c.finishReason(), i == choices.size() - 1 ? usage : null,
                    c.toolCalls()));
        }
        return chunks;
    }

    /** @return every choice's text, in order */
    public List<String> texts() {
        List<String> out = new ArrayList<>(choices.size());
        for (Choice c : choices) {
            out.add(c.text());
        }
        return out;
    }

    /** @return the token usage; {@link Usage#ZERO} when the provider reported none */
    @JsonProperty("usage")
    public Usage usage() {
        return usage;
    }

    /** @return the model that answered, as the provider named it, or null if unknown */
    @JsonProperty("model")
    public @Nullable String model() {
        return model;
    }

    /** @return the provider's request id (the {@code x-request-id} header or the body's {@code id}) */
    @JsonProperty("requestId")
    public @Nullable String requestId() {
        return requestId;
    }

    /** @return the response body exactly as received, or null when the response was not read from the wire */
    @JsonProperty("raw")
    public @Nullable String raw() {
        String r = raw;
        if (r == null && rawBytes != null) {
            r = new String(rawBytes, StandardCharsets.UTF_8);
            raw = r;
        }
        return r;
    }

    /**
     * @param usage the usage to report (null counts as {@link Usage#ZERO})
     * @return a copy with it (e.g. {@link Usage#ZERO} for a cache hit)
     */
    public LmResponse withUsage(@Nullable Usage usage) {
        return new LmResponse(choices, usage, model, requestId, raw, rawBytes);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof LmResponse r && choices.equals(r.choices) && usage.equals(r.usage)
                && Objects.equals(model, r.model) && Objects.equals(requestId, r.requestId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(choices, usage, model, requestId);
    }

    @Override
    public String toString() {
        String t = text();
        String shown = t.length() > 200 ? t.substring(0, 200) + "…(" + t.length() + " chars)" : t;
        List<ToolCall> calls = toolCalls();
        return "LmResponse[choices=" + choices.size() + ", text=" + shown + (calls.isEmpty() ? "" : ", toolCalls="
                + calls) + ", usage=" + usage
                + (model == null ? "" : ", model=" + model) + (requestId == null ? "" : ", requestId=" + requestId)
                + "]";
    }
}

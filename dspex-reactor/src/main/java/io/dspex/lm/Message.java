package io.dspex.lm;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One chat message sent to (or received from) a language model: a role and its content — text, or an ordered list
 * of {@link Part}s (text and images) — plus, for the tool-calling turns, the assistant's {@link ToolCall}s and the
 * id of the call a {@code tool} message answers.
 *
 * <pre>{@code
 * List<Message> messages = List.of(
 *     Message.system("You are terse."),
 *     Message.user("What is the capital of France?"));
 * Message withImage = Message.user(List.of(new Message.Part.Text("What is in this picture?"),
 *         new Message.Part.ImageUrl("https://example.com/cat.png")));
 * Message asked = Message.assistant("", List.of(new ToolCall("call_1", "get_weather", "{\"city\": \"Paris\"}")));
 * Message answered = Message.tool("call_1", "18 °C, sunny");
 * }</pre>
 *
 * @param role       who speaks; {@link Role#toString()} gives the lower-case wire name
 * @param content    the text: the message's text, or the text of its text parts joined in order; never null (may be
 *                   empty)
 * @param parts      the content as parts when it is more than text (an image); empty for a plain text message
 * @param toolCalls  the calls an {@code assistant} message asks for; empty otherwise
 * @param toolCallId the id of the call a {@code tool} message answers; null for every other role
 */
public record Message(@JsonProperty("role") Role role, @JsonProperty("content") String content,
                      @JsonProperty("parts") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Part> parts,
                      @JsonProperty("toolCalls") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCall> toolCalls,
                      @JsonProperty("toolCallId") @JsonInclude(JsonInclude.Include.NON_NULL)
                      @Nullable String toolCallId) {

    /** The speaker of a {@link Message}; {@code toString()} is the OpenAI wire name. */
    public enum Role {
        /** Instructions for the model: {@code "system"}. */
        SYSTEM,
        /** The user's turn: {@code "user"}. */
        USER,
        /** The model's turn: {@code "assistant"}. */
        ASSISTANT,
        /** The result of a tool call the model asked for: {@code "tool"}. */
        TOOL;

        private final String wire = name().toLowerCase(Locale.ROOT);

        /** @return the lower-case wire name, e.g. {@code "user"} */
        @Override
        @JsonValue
        public String toString() {
            return wire;
        }

        /**
         * Parses a wire name, case-insensitively.
         *
         * @param name {@code "system"}, {@code "user"}, {@code "assistant"} or {@code "tool"}
         * @return the role
         * @throws IllegalArgumentException naming the value when it is none of those
         */
        @JsonCreator
        public static Role of(@Nullable String name) {
            if (name != null) {
                for (Role r : values()) {
                    if (r.wire.equalsIgnoreCase(name)) {
                        return r;
                    }
                }
            }
            throw new IllegalArgumentException("unknown message role '" + name
                    + "': expected one of system, user, assistant, tool");
        }
    }

    /**
     * One piece of a message's content (OpenAI's content parts): text, or an image by URL (an {@code https:} URL or
     * a {@code data:} URI).
     */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({@JsonSubTypes.Type(value = Part.Text.class, name = "text"),
            @JsonSubTypes.Type(value = Part.ImageUrl.class, name = "image_url")})
    public sealed interface Part permits Part.Text, Part.ImageUrl {

        /**
         * A text part.
         *
         * @param text the text; never null
         */
        record Text(@JsonProperty("text") String text) implements Part {
            /** @throws IllegalArgumentException when the text is null */
            public Text {
                if (text == null) {
                    throw new IllegalArgumentException("text part must not be null");
                }
            }
        }

        /**
         * An image part.
         *
         * @param url an {@code http(s):} URL or a {@code data:<mime>;base64,...} URI
         */
        record ImageUrl(@JsonProperty("url") String url) implements Part {
            /** @throws IllegalArgumentException when the URL is null or blank */
            public ImageUrl {
                if (url == null || url.isBlank()) {
                    throw new IllegalArgumentException("image part URL must not be blank");
                }
            }

            /** @return the part, a {@code data:} URI cut to its media type (it can be megabytes long) */
            @Override
            public String toString() {
                return "ImageUrl[" + (url.startsWith("data:") ? url.substring(0, Math.min(url.length(),
                        Math.max(5, url.indexOf(',') + 1))) + "…(" + url.length() + " chars)" : url) + "]";
            }
        }
    }

    /**
     * Creates a message.
     *
     * @throws IllegalArgumentException naming the problem: a null role or content, a null part or call, tool calls
     *                                  on a message that is not the assistant's, a tool message without the id of the
     *                                  call it answers, or that id on another role
     */
    public Message {
        if (role == null) {
            throw new IllegalArgumentException("message role must not be null");
        }
        if (content == null) {
            throw new IllegalArgumentException("message content must not be null (role " + role + ")");
        }
        parts = copy(parts, "parts", role);
        toolCalls = copy(toolCalls, "toolCalls", role);
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
            throw new IllegalArgumentException("only an assistant message carries tool calls, not a " + role
                    + " message");
        }
        if (role == Role.TOOL) {
            if (toolCallId == null || toolCallId.isBlank()) {
                throw new IllegalArgumentException("a tool message needs the id of the tool call it answers");
            }
        } else if (toolCallId != null) {
            throw new IllegalArgumentException("only a tool message answers a tool call id, not a " + role
                    + " message");
        }
    }

    /**
     * A plain text message (no parts, no tool calls).
     *
     * @param role    the role (not {@code TOOL}, which needs a call id: use {@link #tool})
     * @param content the text
     */
    public Message(Role role, String content) {
        this(role, content, List.of(), List.of(), null);
    }

    private static <T> List<T> copy(@Nullable List<T> items, String what, Role role) {
        if (items == null || items.isEmpty()) {
            return List.of();
        }
        List<T> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            T item = items.get(i);
            if (item == null) {
                throw new IllegalArgumentException("message " + what + "[" + i + "] is null (role " + role + ")");
            }
            out.add(item);
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * @param content the text
     * @return a {@code system} message
     */
    public static Message system(String content) {
        return new Message(Role.SYSTEM, content);
    }

    /**
     * @param content the text
     * @return a {@code user} message
     */
    public static Message user(String content) {
        return new Message(Role.USER, content);
    }

    /**
     * A user message of several parts, e.g. text and images. Its {@link #content()} is the text of its text parts.
     *
     * @param parts the parts, in order (at least one)
     * @return a {@code user} message
     * @throws IllegalArgumentException when the list is null, empty or holds a null
     */
    public static Message user(@Nullable List<Part> parts) {
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException("a message of parts needs at least one part");
        }
        StringBuilder text = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Part.Text t) {
                text.append(t.text());
            }
        }
        return new Message(Role.USER, text.toString(), parts, List.of(), null);
    }

    /**
     * @param content the text
     * @return an {@code assistant} message
     */
    public static Message assistant(String content) {
        return new Message(Role.ASSISTANT, content);
    }

    /**
     * An assistant turn that asks for tool calls (with or without text).
     *
     * @param content   the text (may be empty)
     * @param toolCalls the calls asked for
     * @return an {@code assistant} message
     */
    public static Message assistant(String content, List<ToolCall> toolCalls) {
        return new Message(Role.ASSISTANT, content, List.of(), toolCalls, null);
    }

    /**
     * The result of a tool call, sent back to the model.
     *
     * @param toolCallId the id of the {@link ToolCall} it answers
     * @param content    the result as text
     * @return a {@code tool} message
     */
    public static Message tool(String toolCallId, String content) {
        return new Message(Role.TOOL, content, List.of(), List.of(), toolCallId);
    }

    /** @return whether the content is more than plain text (it has {@link #parts()}) */
    public boolean hasParts() {
        return !parts.isEmpty();
    }

    @Override
    public String toString() {
        String shown = content.length() > 200 ? content.substring(0, 200) + "…(" + content.length() + " chars)" : content;
        StringBuilder sb = new StringBuilder("Message[").append(role).append(": ").append(shown);
        if (!parts.isEmpty()) {
            sb.append(", parts=").append(parts);
        }
        if (!toolCalls.isEmpty()) {
            sb.append(", toolCalls=").append(toolCalls);
        }
        if (toolCallId != null) {
            sb.append(", toolCallId=").append(toolCallId);
        }
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Message m && m.role == role && m.content.equals(content) && m.parts.equals(parts)
                && m.toolCalls.equals(toolCalls) && Objects.equals(m.toolCallId, toolCallId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(role, content, parts, toolCalls, toolCallId);
    }
}

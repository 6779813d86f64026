package io.dspex.lm;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One chat message sent to (or received from) a language model: a role and its text content.
 *
 * <pre>{@code
 * List<Message> messages = List.of(
 *     Message.system("You are terse."),
 *     Message.user("What is the capital of France?"));
 * }</pre>
 *
 * @param role    who speaks; {@link Role#toString()} gives the lower-case wire name
 * @param content the text (may be empty)
 */
public record Message(@JsonProperty("role") Role role, @JsonProperty("content") String content) {

    /** The speaker of a {@link Message}; {@code toString()} is the OpenAI wire name. */
    public enum Role {
        /** Instructions for the model: {@code "system"}. */
        SYSTEM,
        /** The user's turn: {@code "user"}. */
        USER,
        /** The model's turn: {@code "assistant"}. */
        ASSISTANT;

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
         * @param name {@code "system"}, {@code "user"} or {@code "assistant"}
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
                    + "': expected one of system, user, assistant");
        }
    }

    /**
     * Creates a message.
     *
     * @throws NullPointerException never for bad values: a null role or content raises
     *                              {@link IllegalArgumentException} naming the field
     */
    public Message {
        if (role == null) {
            throw new IllegalArgumentException("message role must not be null");
        }
        if (content == null) {
            throw new IllegalArgumentException("message content must not be null (role " + role + ")");
        }
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
     * @param content the text
     * @return an {@code assistant} message
     */
    public static Message assistant(String content) {
        return new Message(Role.ASSISTANT, content);
    }

    @Override
    public String toString() {
        String shown = content.length() > 200 ? content.substring(0, 200) + "…(" + content.length() + " chars)" : content;
        return "Message[" + role + ": " + shown + "]";
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Message m && m.role == role && m.content.equals(content);
    }

    @Override
    public int hashCode() {
        return Objects.hash(role, content);
    }
}

package io.dspex.types;

import io.dspex.internal.PyFormat;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The past turns of a conversation as an input field value (DSPy's {@code dspy.History}). Each message is one turn:
 * a map from the signature's field names to that turn's values, inputs and outputs together.
 *
 * <p>A signature declares it as {@code history: History} (the type resolves without registration). When an input
 * field is of this type, {@code ChatAdapter} and {@code JsonAdapter} send every turn as a user message (the turn's
 * input fields) followed by an assistant message (its output fields), after the demos and before the current input;
 * the system message still lists the history field, the current user message does not (DSPy 3.3's
 * {@code format_conversation_history}). A turn must hold every output field of the signature and at least one of its
 * input fields; other keys are ignored. The field may be left out of the inputs: that is a conversation's first turn.
 *
 * <pre>{@code
 * Predict qa = Predict.of("question, history: History -> answer");
 * History history = History.of(List.of(
 *         Map.of("question", "What is the capital of France?", "answer", "Paris")));
 * Prediction p = qa.forward(Example.of(Map.of("question", "And of Germany?", "history", history))).block();
 * History next = history.withMessage(Map.of("question", "And of Germany?", "answer", p.get("answer")));
 * }</pre>
 *
 * <p>A few-shot demo that holds a history renders it as JSON, {@code {"messages": [...]}}, and a saved program
 * writes it the same way, as DSPy does.
 *
 * @param messages the turns, oldest first; each an unmodifiable map in the order given, its keys stripped of
 *                 surrounding whitespace (as pydantic's {@code str_strip_whitespace} does)
 */
public record History(List<Map<String, @Nullable Object>> messages) {

    /**
     * Copies and checks the turns.
     *
     * @throws IllegalArgumentException when the list, a turn or a key is null
     */
    public History {
        if (messages == null) {
            throw new IllegalArgumentException("History messages must not be null");
        }
        List<Map<String, @Nullable Object>> copy = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            copy.add(turn(i, messages.get(i)));
        }
        messages = Collections.unmodifiableList(copy);
    }

    /**
     * A history of the given turns.
     *
     * <pre>{@code
     * History.of(List.of(Map.of("question", "Capital of France?", "answer", "Paris")));
     * }</pre>
     *
     * @param messages the turns, oldest first: maps from field names to values (values may be null)
     * @return the history
     * @throws IllegalArgumentException when the list, a turn or a key is null
     */
    public static History of(List<? extends Map<String, ?>> messages) {
        if (messages == null) {
            throw new IllegalArgumentException("History messages must not be null");
        }
        List<Map<String, @Nullable Object>> turns = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            turns.add(turn(i, messages.get(i)));
        }
        return new History(turns);
    }

    /** @return a history without turns (the adapters then send no past turns) */
    public static History empty() {
        return new History(List.of());
    }

    /**
     * A copy with one more turn at the end (DSPy: {@code History(messages=[*h.messages, turn])}).
     *
     * @param message the new turn: field names to values
     * @return the longer history; this one is unchanged
     * @throws IllegalArgumentException when the turn or a key is null
     */
    public History withMessage(Map<String, ?> message) {
        List<Map<String, @Nullable Object>> turns = new ArrayList<>(messages.size() + 1);
        turns.addAll(messages);
        turns.add(turn(messages.size(), message));
        return new History(turns);
    }

    private static Map<String, @Nullable Object> turn(int index, @Nullable Map<String, ?> message) {
        if (message == null) {
            throw new IllegalArgumentException("History turn " + index + " is null");
        }
        Map<String, @Nullable Object> t = new LinkedHashMap<>(Math.max(4, message.size() * 2));
        for (Map.Entry<String, ?> e : message.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException("History turn " + index + " has a null key");
            }
            t.put(PyFormat.strip(e.getKey()), e.getValue());
        }
        return Collections.unmodifiableMap(t);
    }
}

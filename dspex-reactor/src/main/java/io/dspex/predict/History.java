package io.dspex.predict;

import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A bounded record of recent LM calls made by predictors, printable the way DSPy's {@code inspect_history}
 * shows it. Thread-safe; recording is a short critical section, never I/O.
 *
 * <pre>{@code
 * qa.forward(Map.of("question", "2+2?")).block();
 * System.out.println(History.global().inspect(1));
 * }</pre>
 */
public final class History {

    /**
     * One recorded call.
     *
     * @param timestamp when the response arrived
     * @param messages  what was sent
     * @param outputs   the text of each choice
     * @param usage     the tokens it used ({@link Usage#ZERO} for a cache hit)
     * @param model     the model that answered, when the provider said
     */
    public record Entry(Instant timestamp, List<Message> messages, List<String> outputs, Usage usage, String model) {
    }

    private static final History GLOBAL = new History(100);

    private final int capacity;
    private final Deque<Entry> entries = new ArrayDeque<>();

    /**
     * @param capacity how many recent calls to keep, at least 1
     * @throws IllegalArgumentException when below 1
     */
    public History(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("history capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** @return the process-wide history that predictors record to (the last 100 calls) */
    public static History global() {
        return GLOBAL;
    }

    /** @param entry a call to record (the oldest is dropped when full) */
    public void record(Entry entry) {
        synchronized (entries) {
            if (entries.size() == capacity) {
                entries.removeFirst();
            }
            entries.addLast(entry);
        }
    }

    /** @return a snapshot, oldest first */
    public List<Entry> entries() {
        synchronized (entries) {
            return new ArrayList<>(entries);
        }
    }

    /** Forgets every recorded call. */
    public void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }

    /**
     * Renders the last {@code n} calls as DSPy's {@code inspect_history} prints them (without colours): the
     * timestamp, each message under its role, then the response.
     *
     * @param n how many of the most recent calls
     * @return the text
     */
    public String inspect(int n) {
        List<Entry> all = entries();
        StringBuilder sb = new StringBuilder();
        for (Entry e : all.subList(Math.max(0, all.size() - Math.max(0, n)), all.size())) {
            sb.append("\n\n\n\n[").append(e.timestamp()).append("]\n\n");
            for (Message m : e.messages()) {
                String role = m.role().toString();
                sb.append(Character.toUpperCase(role.charAt(0))).append(role.substring(1)).append(" message:\n\n")
                        .append(m.content().strip()).append("\n\n\n");
            }
            sb.append("Response:\n\n").append(e.outputs().isEmpty() ? "" : e.outputs().get(0).strip());
            if (e.outputs().size() > 1) {
                sb.append("\n\n \t (and ").append(e.outputs().size() - 1).append(" other completions)");
            }
            sb.append("\n\n\n");
        }
        return sb.toString();
    }
}

package io.dspex.lm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Assembles the tool calls of a streamed chat completion from their fragments (OpenAI's {@code delta.tool_calls}):
 * the first fragment of a call carries its id and name, later ones append to its arguments, all under the call's
 * index within its choice. A choice's calls are delivered whole on its finishing chunk, or when the stream ends.
 * One per stream; not thread-safe (a stream is decoded on one thread at a time).
 */
final class ToolCallAssembler {

    private static final class Pending {
        @Nullable String id;
        @Nullable String name;
        final StringBuilder arguments = new StringBuilder();
    }

    /** choice index -> call index -> the call so far. */
    private final Map<Integer, TreeMap<Integer, Pending>> choices = new TreeMap<>();

    /** Adds one fragment. */
    void add(ChatCodec.ChoiceToolCallDelta fragment) {
        ChatCodec.ToolCallDelta d = fragment.delta();
        Pending p = choices.computeIfAbsent(fragment.choiceIndex(), k -> new TreeMap<>())
                .computeIfAbsent(d.index(), k -> new Pending());
        if (d.id() != null && !d.id().isEmpty()) {
            p.id = d.id();
        }
        if (d.name() != null && !d.name().isEmpty()) {
            p.name = p.name == null ? d.name() : p.name + d.name();
        }
        if (d.arguments() != null) {
            p.arguments.append(d.arguments());
        }
    }

    /** @return the finishing chunk of a choice with that choice's whole tool calls attached, if it had any */
    LmChunk complete(LmChunk finishing) {
        TreeMap<Integer, Pending> calls = choices.remove(finishing.choiceIndex());
        if (calls == null) {
            return finishing;
        }
        return new LmChunk(finishing.text(), finishing.choiceIndex(), finishing.finishReason(), finishing.usage(),
                whole(finishing.choiceIndex(), calls));
    }

    /** @return a chunk for every choice whose calls were never finished (the stream ended first) */
    List<LmChunk> drain() {
        List<LmChunk> out = new ArrayList<>(choices.size());
        for (Map.Entry<Integer, TreeMap<Integer, Pending>> e : choices.entrySet()) {
            out.add(new LmChunk("", e.getKey(), null, null, whole(e.getKey(), e.getValue())));
        }
        choices.clear();
        return out;
    }

    private static List<ToolCall> whole(int choice, TreeMap<Integer, Pending> calls) {
        List<ToolCall> out = new ArrayList<>(calls.size());
        for (Map.Entry<Integer, Pending> e : calls.entrySet()) {
            Pending p = e.getValue();
            if (p.name == null) {
                throw new IllegalStateException("tool call " + e.getKey() + " of choice " + choice
                        + " never named its function");
            }
            String args = p.arguments.length() == 0 ? "{}" : p.arguments.toString();
            out.add(new ToolCall(p.id != null ? p.id : "call_" + e.getKey(), p.name, args));
        }
        return out;
    }
}

package io.dspex.adapter;

import io.dspex.internal.PyFormat;
import io.dspex.signature.Field;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * DSPy 3.3's {@code ChatAdapter}: fields are marked with {@code [[ ## name ## ]]} headers, and the reply ends with
 * {@code [[ ## completed ## ]]}. Prompts are byte-identical with DSPy's.
 *
 * <pre>{@code
 * ChatAdapter chat = new ChatAdapter();
 * Signature sig = Signature.parse("question -> answer");
 * List<Message> messages = chat.format(sig, List.of(), Map.of("question", "What is 2+2?"));
 * chat.parse(sig, "[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"); // {answer=4}
 * }</pre>
 *
 * <p><b>Values in prompts</b> render as DSPy renders the equivalent Python values: strings as they are; a list
 * given to a {@code str} field as {@code [1] «a»\n[2] «b»}; lists, maps and records as JSON (non-ASCII kept);
 * booleans as {@code True}/{@code False}; {@code null} as {@code None}; numbers as Python prints them
 * ({@code 0.1}, {@code 1e-05}, {@code 42}); enums as their value (see {@link io.dspex.signature.FieldType}); an
 * {@code Optional} as its content or {@code None}. Java has no tuples, sets or dataclasses: arrays and collections
 * render as lists, other objects as the JSON Jackson writes for them, or their {@code toString()}.
 *
 * <p><b>Parsing</b> splits the reply into lines as Python's {@code splitlines} does, starts a section at each line
 * that (stripped) begins with a header; the rest of that line belongs to the section. Text before the first
 * header and unknown headers are ignored; the first occurrence of a field wins. Like DSPy, the rest of a header
 * line is cut at the header's length measured on the stripped line, so a header indented by blanks loses as many
 * characters of its same-line text. Each section is stripped and converted by type (see
 * {@link io.dspex.signature.FieldType}); a missing {@code Optional[...]} output is null.
 */
public final class ChatAdapter extends AbstractAdapter {

    private static final Optional<Adapter> JSON_FALLBACK =
            Optional.of(new JsonAdapter().withNativeFunctionCalling(false));
    private static final Optional<Adapter> NATIVE_JSON_FALLBACK = Optional.of(new JsonAdapter());

    /**
     * Creates the adapter, without native function calling (DSPy's default); it is stateless apart from a
     * per-signature cache of the prompt parts.
     */
    public ChatAdapter() {
        this(false);
    }

    private ChatAdapter(boolean nativeFunctionCalling) {
        super(nativeFunctionCalling);
    }

    /**
     * An adapter that uses the model's native function calling (DSPy's {@code use_native_function_calling=True}): for
     * a signature with a {@code list[Tool]} (or {@code Tool}) input and a {@code ToolCalls} output, the tools go in the
     * request's {@code tools} ({@link io.dspex.tool.Tool#toFunctionSchema()}), both fields are left out of the prompt,
     * and the response's tool calls become the {@code ToolCalls} output (other outputs parsed from the text when there
     * is any, else null). Without it, the tools are listed in the prompt and the model writes the calls as JSON.
     *
     * <pre>{@code
     * Predict agent = Predict.of("question, tools: list[Tool] -> answer, calls: ToolCalls")
     *         .withAdapter(new ChatAdapter().withNativeFunctionCalling());
     * }</pre>
     *
     * @return the adapter with native function calling on
     */
    public ChatAdapter withNativeFunctionCalling() {
        return withNativeFunctionCalling(true);
    }

    /**
     * @param on whether to use native function calling; see {@link #withNativeFunctionCalling()}
     * @return an adapter with that setting
     */
    public ChatAdapter withNativeFunctionCalling(boolean on) {
        return on == nativeFunctionCalling ? this : new ChatAdapter(on);
    }

    /** @return whether this adapter uses native function calling */
    public boolean usesNativeFunctionCalling() {
        return nativeFunctionCalling;
    }

    /**
     * @return a {@link JsonAdapter} with this adapter's native function calling setting, as DSPy's ChatAdapter falls
     *         back to its JSONAdapter
     */
    @Override
    public Optional<Adapter> fallback() {
        return nativeFunctionCalling ? NATIVE_JSON_FALLBACK : JSON_FALLBACK;
    }

    @Override
    String name() {
        return "ChatAdapter";
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof ChatAdapter c && c.nativeFunctionCalling == nativeFunctionCalling;
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(nativeFunctionCalling);
    }

    @Override
    public String toString() {
        return "ChatAdapter" + (nativeFunctionCalling ? "[nativeFunctionCalling=true]" : "");
    }

    /**
     * @return a reader of {@code [[ ## field ## ]]} sections as they stream: text is released a word at a time, and
     *         never a piece of a marker
     */
    @Override
    public FieldStream streamFields(Signature signature) {
        return new FieldStreamParser(prepared(signature).outputIndex.keySet());
    }

    @Override
    String fieldStructure(Prepared p) {
        String s = "All interactions will be structured in the following way, with the appropriate values filled in."
                + "\n\n" + headerBlocks(p.inputs) + "\n\n" + headerBlocks(p.outputs) + "\n\n[[ ## completed ## ]]\n";
        return PyFormat.strip(s);
    }

    @Override
    String outputRequirements(Prepared p) {
        StringBuilder sb = new StringBuilder("Respond with the corresponding output fields, starting with the field ");
        for (int i = 0; i < p.outputs.length; i++) {
            if (i > 0) {
                sb.append(", then ");
            }
            sb.append("`[[ ## ").append(p.outputs[i].name()).append(" ## ]]`").append(typeInfo(p.outputTypes[i]));
        }
        return sb.append(", and then ending with the marker for `[[ ## completed ## ]]`.").toString();
    }

    @Override
    String assistantContent(Prepared p, Map<String, @Nullable Object> values, String missing) {
        StringBuilder sb = new StringBuilder(128);
        for (int i = 0; i < p.outputs.length; i++) {
            Field f = p.outputs[i];
            if (i > 0) {
                sb.append("\n\n");
            }
            sb.append(p.outputHeaders[i]);
            Object v = values.containsKey(f.name()) ? values.get(f.name()) : missing;
            renderValue(p.outputTypes[i], v, sb);
        }
        return PyFormat.strip(sb.toString()) + "\n\n[[ ## completed ## ]]\n";
    }

    @Override
    public Map<String, @Nullable Object> parse(Signature signature, String completion) {
        Prepared p = prepared(signature);
        if (completion == null) {
            throw new IllegalArgumentException("completion must not be null");
        }
        int n = p.outputs.length;
        Object[] values = new Object[n];
        boolean[] found = new boolean[n];
        List<String> order = new ArrayList<>(n);
        int current = -2; // -2: before the first header or an ignored section; else the output index
        StringBuilder section = new StringBuilder();
        int len = completion.length();
        int start = 0;
        while (start < len) {
            int end = start;
            while (end < len && !PyFormat.isLineBreak(completion.charAt(end))) {
                end++;
            }
            String line = completion.substring(start, end);
            int next = end;
            if (end < len) {
                next = (completion.charAt(end) == '\r' && end + 1 < len && completion.charAt(end + 1) == '\n')
                        ? end + 2 : end + 1;
            }
            long header = header(line);
            if (header >= 0) {
                close(p, current, section, values, found, order, completion);
                int lead = (int) (header >>> 32);
                int nameEnd = (int) header;
                String name = line.substring(lead + 6, nameEnd);
                int headerEnd = nameEnd + 6 - lead;
                Integer idx = p.outputIndex.get(name);
                current = (idx == null || found[idx]) ? -2 : idx;
                section.setLength(0);
                String rest = headerEnd >= line.length() ? "" : PyFormat.strip(line.substring(headerEnd));
                if (!rest.isEmpty()) {
                    section.append(rest);
                    section.append('\n');
                }
            } else if (current >= 0) {
                section.append(line).append('\n');
            }
            start = next;
        }
        close(p, current, section, values, found, order, completion);
        return finish(p, values, found, order, "ChatAdapter", completion);
    }

    private void close(Prepared p, int current, StringBuilder section, Object[] values, boolean[] found,
                       List<String> order, String completion) {
        if (current < 0 || found[current]) {
            return;
        }
        String text = PyFormat.strip(section.toString());
        try {
            values[current] = parseText(p.outputTypes[current], text);
        } catch (IllegalArgumentException e) {
            throw fieldFailure(p, "ChatAdapter", completion, p.outputs[current].name(), text, e);
        }
        found[current] = true;
        order.add(p.outputs[current].name());
    }

    /**
     * @return -1 when the stripped line does not start with a {@code [[ ## name ## ]]} header; else the number of
     *         leading blanks in the high 32 bits and the end index of the name in the low 32 bits
     */
    private static long header(String line) {
        int b = 0;
        int n = line.length();
        while (b < n && PyFormat.isSpace(line.charAt(b))) {
            b++;
        }
        if (!line.startsWith("[[ ## ", b)) {
            return -1;
        }
        int i = b + 6;
        int s = i;
        while (i < n && isWordChar(line.charAt(i))) {
            i++;
        }
        if (i == s || !line.startsWith(" ## ]]", i)) {
            return -1;
        }
        return ((long) b << 32) | i;
    }

    private static boolean isWordChar(char c) {
        return c == '_' || Character.isLetterOrDigit(c);
    }
}

package io.dspex.adapter;

import java.util.Set;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Splits a ChatAdapter reply, as it streams in, into the text of each output field. Text is released only
 * once it cannot be part of a {@code [[ ## name ## ]]} marker, and white space only once more text of the same
 * field follows it, so each field's chunks concatenate to its stripped text. Not thread-safe: one per stream.
 */
final class FieldStreamParser implements Adapter.FieldStream {

    private static final String OPEN = "[[ ## ";
    private static final String CLOSE = " ## ]]";

    private final Set<String> outputs;
    private final StringBuilder buf = new StringBuilder();
    private @Nullable String field;
    private boolean fieldStarted;
    private final StringBuilder pendingSpace = new StringBuilder();

    /** @param outputs the output field names (shared, never changed) */
    FieldStreamParser(Set<String> outputs) {
        this.outputs = outputs;
    }

    /** Feeds the next piece of the reply; calls {@code out} with (field, text) for each releasable piece. */
    @Override
    public void feed(String piece, BiConsumer<String, String> out) {
        buf.append(piece);
        int pos = 0;
        while (true) {
            int open = buf.indexOf(OPEN, pos);
            if (open < 0) {
                int keep = partialMarkerSuffix(buf, pos);
                emit(buf.substring(pos, buf.length() - keep), out);
                pos = buf.length() - keep;
                break;
            }
            int close = buf.indexOf(CLOSE, open + OPEN.length());
            if (close < 0) {
                emit(buf.substring(pos, open), out);
                pos = open;
                break;
            }
            emit(buf.substring(pos, open), out);
            String name = buf.substring(open + OPEN.length(), close);
            field = outputs.contains(name) ? name : null;
            fieldStarted = false;
            pendingSpace.setLength(0);
            pos = close + CLOSE.length();
        }
        buf.delete(0, pos);
    }

    private void emit(String text, BiConsumer<String, String> out) {
        if (field == null || text.isEmpty()) {
            return;
        }
        int i = 0;
        StringBuilder release = new StringBuilder();
        while (i < text.length()) {
            int j = i;
            while (j < text.length() && Character.isWhitespace(text.charAt(j))) {
                j++;
            }
            if (j > i) {
                pendingSpace.append(text, i, j);
            }
            if (j == text.length()) {
                break;
            }
            int k = j;
            while (k < text.length() && !Character.isWhitespace(text.charAt(k))) {
                k++;
            }
            if (fieldStarted) {
                release.append(pendingSpace);
            }
            pendingSpace.setLength(0);
            release.append(text, j, k);
            fieldStarted = true;
            i = k;
        }
        if (release.length() > 0) {
            out.accept(field, release.toString());
        }
    }

    /** Length of the longest suffix of buf[from..] that is a proper prefix of the opening marker. */
    private static int partialMarkerSuffix(StringBuilder buf, int from) {
        int max = Math.min(OPEN.length() - 1, buf.length() - from);
        for (int len = max; len > 0; len--) {
            boolean match = true;
            for (int k = 0; k < len; k++) {
                if (buf.charAt(buf.length() - len + k) != OPEN.charAt(k)) {
                    match = false;
                    break;
                }
            }
            if (match) {
                return len;
            }
        }
        return 0;
    }
}

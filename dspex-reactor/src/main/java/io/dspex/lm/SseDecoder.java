package io.dspex.lm;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Incremental decoder of a {@code text/event-stream}: bytes in, complete events out. Partial lines and events
 * are buffered across calls, lines may end in LF, CR or CRLF (even when the CR and LF arrive in different
 * buffers), and a line is decoded as UTF-8 only once complete, so a multi-byte character split between buffers
 * is safe. Not thread-safe: one decoder per stream.
 */
final class SseDecoder {

    /** One dispatched event. {@code event} is null when the stream named none. */
    record Event(@Nullable String event, String data) {
    }

    private byte[] line = new byte[256];
    private int lineLength;
    private boolean lastWasCr;
    private @Nullable StringBuilder data;
    private @Nullable String eventName;

    /** Feeds bytes; returns the events they completed (often none or one). */
    List<Event> feed(byte[] bytes, int offset, int length) {
        @Nullable List<Event> out = null;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (b == '\n' || b == '\r') {
                if (b == '\n' && lastWasCr) {
                    lastWasCr = false;
                    continue;
                }
                lastWasCr = b == '\r';
                Event e = endOfLine();
                if (e != null) {
                    if (out == null) {
                        out = new ArrayList<>(2);
                    }
                    out.add(e);
                }
            } else {
                lastWasCr = false;
                if (lineLength == line.length) {
                    line = Arrays.copyOf(line, line.length * 2);
                }
                line[lineLength++] = b;
            }
        }
        return out == null ? List.of() : out;
    }

    /** @return whether bytes of an unfinished line or event are buffered */
    boolean hasPartial() {
        return lineLength > 0 || data != null;
    }

    private @Nullable Event endOfLine() {
        if (lineLength == 0) {
            return dispatch();
        }
        String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
        lineLength = 0;
        if (text.charAt(0) == ':') {
            return null;
        }
        int colon = text.indexOf(':');
        String field;
        String value;
        if (colon < 0) {
            field = text;
            value = "";
        } else {
            field = text.substring(0, colon);
            int start = colon + 1;
            if (start < text.length() && text.charAt(start) == ' ') {
                start++;
            }
            value = text.substring(start);
        }
        if (field.equals("data")) {
            if (data == null) {
                data = new StringBuilder(value.length() + 16);
            } else {
                data.append('\n');
            }
            data.append(value);
        } else if (field.equals("event")) {
            eventName = value;
        }
        return null;
    }

    private @Nullable Event dispatch() {
        if (data == null) {
            eventName = null;
            return null;
        }
        Event e = new Event(eventName, data.toString());
        data = null;
        eventName = null;
        return e;
    }
}

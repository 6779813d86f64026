package io.dspex.test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A misbehaviour {@link MockLmServer} applies to a request instead of (or before) answering it normally.
 * Immutable; build with the static factories.
 *
 * <pre>{@code
 * server.faultNext(2, Fault.status(503, "overloaded").withHeader("Retry-After", "1"));
 * server.faultOn(5, Fault.resetMidBody());
 * server.faultRandomly(0.1, 42L, Fault.status(500, "flaky"));
 * }</pre>
 */
public final class Fault {

    /** What the fault does. */
    public enum Kind {
        /** Answer with an HTTP status and an error body. */
        STATUS,
        /** Reset the connection (TCP RST) before sending any header. */
        RESET_BEFORE_HEADERS,
        /** Send the headers and part of the body, then reset the connection. */
        RESET_MID_BODY,
        /** Send the normal answer in pieces with a pause before each. */
        SLOW_BODY,
        /** End the body early but cleanly: a cut JSON document, or a stream without its end and {@code [DONE]}. */
        TRUNCATED,
        /** Answer 200 with a body that is not JSON (or, in a stream, an event that is not). */
        MALFORMED_JSON,
        /**
         * In a stream, send an error event after the first piece, in the protocol's form (OpenAI's error object,
         * Anthropic's {@code error} event of type {@code overloaded_error}, Gemini's status {@code UNAVAILABLE}); a
         * non-streamed request gets a 500.
         */
        STREAM_ERROR,
        /** Wait, then answer normally. */
        DELAY,
        /** Never answer (until the client gives up). */
        HANG
    }

    private final Kind kind;
    private final int status;
    private final @Nullable String message;
    private final @Nullable String rawBody;
    private final @Nullable Duration duration;
    private final Map<String, String> headers;

    private Fault(Kind kind, int status, @Nullable String message, @Nullable String rawBody,
                  @Nullable Duration duration, Map<String, String> headers) {
        this.kind = kind;
        this.status = status;
        this.message = message;
        this.rawBody = rawBody;
        this.duration = duration;
        this.headers = Map.copyOf(headers);
    }

    private static Fault of(Kind kind) {
        return new Fault(kind, 0, null, null, null, Map.of());
    }

    /**
     * @param status  any HTTP status, e.g. 429
     * @param message the provider message, in the server protocol's error body (OpenAI's
     *                {@code {"error":{"message":..}}}, Anthropic's {@code {"type":"error","error":{"type","message"}}}
     *                with the status's error type, Gemini's {@code google.rpc.Status})
     * @return the fault
     */
    public static Fault status(int status, @Nullable String message) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be 100..599, got " + status);
        }
        return new Fault(Kind.STATUS, status, message == null ? "" : message, null, null, Map.of());
    }

    /**
     * @param status any HTTP status
     * @param body   the exact response body (JSON or not)
     * @return the fault
     */
    public static Fault statusWithBody(int status, @Nullable String body) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be 100..599, got " + status);
        }
        return new Fault(Kind.STATUS, status, null, body == null ? "" : body, null, Map.of());
    }

    /** @return a reset of the connection before any header */
    public static Fault resetBeforeHeaders() {
        return of(Kind.RESET_BEFORE_HEADERS);
    }

    /** @return a reset of the connection after the headers and part of the body */
    public static Fault resetMidBody() {
        return of(Kind.RESET_MID_BODY);
    }

    /**
     * @param pause the pause before each piece of the body
     * @return the fault
     */
    public static Fault slowBody(Duration pause) {
        return new Fault(Kind.SLOW_BODY, 0, null, null, positive(pause), Map.of());
    }

    /** @return a body cut short (JSON) or a stream ended without finish and {@code [DONE]} */
    public static Fault truncated() {
        return of(Kind.TRUNCATED);
    }

    /** @return a 200 whose body (or stream event) is not JSON */
    public static Fault malformedJson() {
        return of(Kind.MALFORMED_JSON);
    }

    /**
     * @param message the error event's message
     * @return an error event mid-stream
     */
    public static Fault streamError(@Nullable String message) {
        return new Fault(Kind.STREAM_ERROR, 500, message == null ? "" : message, null, null, Map.of());
    }

    /**
     * @param delay how long to wait before the normal answer
     * @return the fault
     */
    public static Fault delay(Duration delay) {
        return new Fault(Kind.DELAY, 0, null, null, positive(delay), Map.of());
    }

    /** @return a request that is never answered */
    public static Fault hang() {
        return of(Kind.HANG);
    }

    /**
     * @param name  a response header, e.g. {@code Retry-After}, {@code retry-after-ms}, {@code x-should-retry}
     * @param value its value
     * @return a copy of this fault that also sends the header
     */
    public Fault withHeader(String name, String value) {
        if (name == null || name.isBlank() || value == null) {
            throw new IllegalArgumentException("header name must be non-blank and value non-null");
        }
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Fault(kind, status, message, rawBody, duration, h);
    }

    /**
     * @param seconds the {@code Retry-After} value in seconds
     * @return a copy with the header
     */
    public Fault withRetryAfter(long seconds) {
        return withHeader("Retry-After", Long.toString(seconds));
    }

    private static Duration positive(@Nullable Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("duration must be >= 0, got " + d);
        }
        return d;
    }

    /** @return what the fault does */
    public Kind kind() {
        return kind;
    }

    int statusCode() {
        return status;
    }

    @Nullable String message() {
        return message;
    }

    @Nullable String rawBody() {
        return rawBody;
    }

    @Nullable Duration duration() {
        return duration;
    }

    Map<String, String> headers() {
        return headers;
    }

    @Override
    public String toString() {
        return "Fault[" + kind + (status > 0 ? " " + status : "") + (duration != null ? " " + duration : "") + "]";
    }
}

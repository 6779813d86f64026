package io.dspex.lm;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * Why a language-model call failed: the base of a small family of typed, unchecked exceptions, each a nested
 * class so that one import catches them all.
 *
 * <pre>{@code
 * lm.call(request)
 *     .retryWhen(Retry.backoff(3, Duration.ofMillis(200)).filter(e -> e instanceof LmException l && l.isRetryable()))
 *     .onErrorResume(LmException.ContextWindowExceeded.class, e -> shorterPrompt())
 *     .onErrorResume(LmException.Authentication.class, e -> Mono.error(new IllegalStateException("check the key")));
 * }</pre>
 *
 * <table>
 *   <caption>The family</caption>
 *   <tr><th>class</th><th>cause</th><th>retryable</th></tr>
 *   <tr><td>{@link HttpError}</td><td>any HTTP error status (the base of the next rows; used as is for statuses
 *       without their own class)</td><td>no (yes for 5xx)</td></tr>
 *   <tr><td>{@link BadRequest}</td><td>400</td><td>no</td></tr>
 *   <tr><td>{@link ContextWindowExceeded}</td><td>400 whose body says the prompt is too long</td><td>no</td></tr>
 *   <tr><td>{@link Authentication}</td><td>401</td><td>no</td></tr>
 *   <tr><td>{@link PermissionDenied}</td><td>403</td><td>no</td></tr>
 *   <tr><td>{@link NotFound}</td><td>404</td><td>no</td></tr>
 *   <tr><td>{@link RequestTimeout}</td><td>408</td><td>yes</td></tr>
 *   <tr><td>{@link Conflict}</td><td>409</td><td>yes</td></tr>
 *   <tr><td>{@link UnprocessableEntity}</td><td>422</td><td>no</td></tr>
 *   <tr><td>{@link RateLimit}</td><td>429</td><td>yes</td></tr>
 *   <tr><td>{@link InternalServer}</td><td>5xx</td><td>yes</td></tr>
 *   <tr><td>{@link Connection}</td><td>refused, reset, closed prematurely, pool exhausted</td><td>yes</td></tr>
 *   <tr><td>{@link ResponseTimeout}</td><td>no bytes within the response timeout</td><td>yes</td></tr>
 *   <tr><td>{@link MalformedResponse}</td><td>a body that is not the protocol's JSON, or was cut short</td>
 *       <td>yes</td></tr>
 *   <tr><td>{@link StreamError}</td><td>an error event inside a stream</td><td>when the event says so</td></tr>
 * </table>
 *
 * <p>A server's {@code x-should-retry: true|false} header overrides the default retryability of an HTTP error.
 * Messages carry the status, the provider's error message (truncated to about 500 characters) and the request id;
 * never an API key.
 */
public class LmException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    /** Longest provider message kept in an exception message. */
    static final int MAX_PROVIDER_MESSAGE = 500;

    private final int status;
    private final transient @Nullable Duration retryAfter;
    private final @Nullable String requestId;
    private final boolean retryable;

    /**
     * @param message    what went wrong (must not contain secrets)
     * @param cause      the underlying error
     * @param status     the HTTP status, or -1 when there was none
     * @param retryAfter how long the server asked to wait
     * @param requestId  the provider's request id
     * @param retryable  whether repeating the same call may succeed
     */
    protected LmException(String message, @Nullable Throwable cause, int status, @Nullable Duration retryAfter,
                          @Nullable String requestId, boolean retryable) {
        super(message, cause);
        this.status = status;
        this.retryAfter = retryAfter;
        this.requestId = requestId;
        this.retryable = retryable;
    }

    /** @return whether repeating the same call may succeed (a transient fault, not the request's) */
    public boolean isRetryable() {
        return retryable;
    }

    /** @return the HTTP status, when the failure was an HTTP error response */
    public OptionalInt statusCode() {
        return status < 0 ? OptionalInt.empty() : OptionalInt.of(status);
    }

    /** @return how long the server asked to wait before retrying ({@code Retry-After}, {@code retry-after-ms}) */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** @return the provider's request id, when it sent one */
    public Optional<String> requestId() {
        return Optional.ofNullable(requestId);
    }

    /**
     * Maps an HTTP error status to its exception class, composing the message from the status, the provider's
     * error message (truncated) and the request id.
     *
     * <pre>{@code
     * LmException e = LmException.forStatus(429, "slow down", Duration.ofSeconds(2), "req_1", null);
     * assert e instanceof LmException.RateLimit && e.isRetryable();
     * }</pre>
     *
     * @param status          the HTTP status (400-599)
     * @param providerMessage the provider's error message or body
     * @param retryAfter      the server's requested wait
     * @param requestId       the request id
     * @param shouldRetry     the server's {@code x-should-retry} verdict, or null to use the status's default
     * @return the typed exception (a {@link ContextWindowExceeded} for a 400 whose message says so)
     */
    public static HttpError forStatus(int status, @Nullable String providerMessage, @Nullable Duration retryAfter,
                                      @Nullable String requestId, @Nullable Boolean shouldRetry) {
        String message = statusMessage(status, providerMessage, requestId);
        switch (status) {
            case 400:
                return isContextWindowMessage(providerMessage)
                        ? new ContextWindowExceeded(message, retryAfter, requestId, shouldRetry)
                        : new BadRequest(message, retryAfter, requestId, shouldRetry);
            case 401:
                return new Authentication(message, retryAfter, requestId, shouldRetry);
            case 403:
                return new PermissionDenied(message, retryAfter, requestId, shouldRetry);
            case 404:
                return new NotFound(message, retryAfter, requestId, shouldRetry);
            case 408:
                return new RequestTimeout(message, retryAfter, requestId, shouldRetry);
            case 409:
                return new Conflict(message, retryAfter, requestId, shouldRetry);
            case 422:
                return new UnprocessableEntity(message, retryAfter, requestId, shouldRetry);
            case 429:
                return new RateLimit(message, retryAfter, requestId, shouldRetry);
            default:
                if (status >= 500 && status <= 599) {
                    return new InternalServer(status, message, retryAfter, requestId, shouldRetry);
                }
                return new HttpError(status, message, retryAfter, requestId, shouldRetry);
        }
    }

    static String statusMessage(int status, @Nullable String providerMessage, @Nullable String requestId) {
        StringBuilder sb = new StringBuilder("LM call failed with HTTP ").append(status);
        String reason = reason(status);
        if (reason != null) {
            sb.append(' ').append(reason);
        }
        if (providerMessage != null && !providerMessage.isBlank()) {
            sb.append(": ").append(truncate(providerMessage.strip()));
        }
        if (requestId != null) {
            sb.append(" (request id ").append(requestId).append(')');
        }
        return sb.toString();
    }

    static String truncate(String s) {
        if (s.length() <= MAX_PROVIDER_MESSAGE) {
            return s;
        }
        return s.substring(0, MAX_PROVIDER_MESSAGE) + "…(" + s.length() + " chars)";
    }

    private static @Nullable String reason(int status) {
        switch (status) {
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 408: return "Request Timeout";
            case 409: return "Conflict";
            case 422: return "Unprocessable Entity";
            case 429: return "Too Many Requests";
            case 500: return "Internal Server Error";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            case 504: return "Gateway Timeout";
            default: return null;
        }
    }

    /**
     * Whether a 400's error message says the prompt does not fit the model's context window, in the words of
     * OpenAI, vLLM, llama.cpp, Ollama, Anthropic ("prompt is too long"), Gemini ("exceeds the maximum number of
     * tokens") and other servers.
     */
    static boolean isContextWindowMessage(@Nullable String message) {
        if (message == null) {
            return false;
        }
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("context_length_exceeded") || m.contains("maximum context length")
                || m.contains("context length") || m.contains("context window")
                || m.contains("prompt is too long") || m.contains("too many tokens")
                || m.contains("exceeds the context") || m.contains("exceed_context_size")
                || m.contains("input is too long") || m.contains("reduce the length")
                || m.contains("exceeds the maximum number of tokens");
    }

    /**
     * An HTTP error response: the base of the per-status classes below, and the class used as is for a status
     * without its own class (e.g. 402, 413). Retryable by default only for 5xx; {@code x-should-retry} overrides.
     */
    public static class HttpError extends LmException {
        private static final long serialVersionUID = 1L;

        /**
         * @param status      the HTTP status
         * @param message     the full message (see {@link LmException#forStatus})
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public HttpError(int status, String message, @Nullable Duration retryAfter, @Nullable String requestId,
                         @Nullable Boolean shouldRetry) {
            super(message, null, status, retryAfter, requestId,
                    shouldRetry != null ? shouldRetry : defaultRetryable(status));
        }

        static boolean defaultRetryable(int status) {
            return status == 408 || status == 409 || status == 429 || status >= 500;
        }
    }

    /** HTTP 400: the request is invalid; retrying it unchanged fails again. */
    public static class BadRequest extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public BadRequest(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public BadRequest(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                          @Nullable Boolean shouldRetry) {
            super(400, message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 400 whose body says the prompt exceeds the model's context window: shorten the prompt. */
    public static final class ContextWindowExceeded extends BadRequest {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public ContextWindowExceeded(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public ContextWindowExceeded(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                                     @Nullable Boolean shouldRetry) {
            super(message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 401: the API key is missing or wrong. */
    public static final class Authentication extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public Authentication(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public Authentication(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                              @Nullable Boolean shouldRetry) {
            super(401, message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 403: the key may not use this model or endpoint. */
    public static final class PermissionDenied extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public PermissionDenied(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public PermissionDenied(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                                @Nullable Boolean shouldRetry) {
            super(403, message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 404: wrong base URL or unknown model. */
    public static final class NotFound extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public NotFound(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public NotFound(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                        @Nullable Boolean shouldRetry) {
            super(404, message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 408: the server timed out waiting for the request; retryable. */
    public static final class RequestTimeout extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public RequestTimeout(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public RequestTimeout(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                              @Nullable Boolean shouldRetry) {
            super(408, message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 409: a conflicting concurrent operation; retryable. */
    public static final class Conflict extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public Conflict(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public Conflict(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                        @Nullable Boolean shouldRetry) {
            super(409, message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 422: the request is well-formed but its values are rejected. */
    public static final class UnprocessableEntity extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public UnprocessableEntity(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public UnprocessableEntity(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                                   @Nullable Boolean shouldRetry) {
            super(422, message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 429: rate limited or out of quota; retryable, usually with {@link #retryAfter()}. */
    public static final class RateLimit extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message */
        public RateLimit(String message) {
            this(message, null, null, null);
        }

        /**
         * @param message the message
         * @param retryAfter the requested wait
         */
        public RateLimit(String message, @Nullable Duration retryAfter) {
            this(message, retryAfter, null, null);
        }

        /**
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         */
        public RateLimit(String message, @Nullable Duration retryAfter, @Nullable String requestId,
                         @Nullable Boolean shouldRetry) {
            super(429, message, retryAfter, requestId, shouldRetry);
        }
    }

    /** HTTP 5xx: the server or a gateway failed; retryable. */
    public static final class InternalServer extends HttpError {
        private static final long serialVersionUID = 1L;

        /** @param message the message (status 500) */
        public InternalServer(String message) {
            this(500, message, null, null, null);
        }

        /**
         * @param status      a 5xx status
         * @param message     the message
         * @param retryAfter  the server's requested wait
         * @param requestId   the request id
         * @param shouldRetry the server's {@code x-should-retry} verdict, or null for the status default
         * @throws IllegalArgumentException when the status is not 5xx
         */
        public InternalServer(int status, String message, @Nullable Duration retryAfter, @Nullable String requestId,
                              @Nullable Boolean shouldRetry) {
            super(check5xx(status), message, retryAfter, requestId, shouldRetry);
        }

        private static int check5xx(int status) {
            if (status < 500 || status > 599) {
                throw new IllegalArgumentException("InternalServer needs a 5xx status, got " + status);
            }
            return status;
        }
    }

    /**
     * The connection failed: refused, reset, closed before the response was complete, or no pooled connection
     * became free within the pending-acquire timeout. Retryable.
     */
    public static final class Connection extends LmException {
        private static final long serialVersionUID = 1L;

        /**
         * @param message the message
         * @param cause the transport error
         */
        public Connection(String message, @Nullable Throwable cause) {
            super(message, cause, -1, null, null, true);
        }
    }

    /** No response bytes arrived within the client's response timeout. Retryable. */
    public static final class ResponseTimeout extends LmException {
        private static final long serialVersionUID = 1L;

        /**
         * @param message the message
         * @param cause the timeout error
         */
        public ResponseTimeout(String message, @Nullable Throwable cause) {
            super(message, cause, -1, null, null, true);
        }
    }

    /**
     * A successful status with a body that is not the protocol's JSON, or a body or stream cut short. Retryable:
     * it is a connection or proxy fault, not the model's answer.
     */
    public static final class MalformedResponse extends LmException {
        private static final long serialVersionUID = 1L;

        /**
         * @param message the message
         * @param cause the parse error
         */
        public MalformedResponse(String message, @Nullable Throwable cause) {
            this(message, cause, null);
        }

        /**
         * @param message the message
         * @param cause the parse error
         * @param requestId the request id
         */
        public MalformedResponse(String message, @Nullable Throwable cause, @Nullable String requestId) {
            super(message, cause, -1, null, requestId, true);
        }
    }

    /** The server sent an error event in the middle of a stream. */
    public static final class StreamError extends LmException {
        private static final long serialVersionUID = 1L;

        /**
         * @param message the message
         * @param retryable whether the event marks a transient fault
         */
        public StreamError(String message, boolean retryable) {
            this(message, null, retryable);
        }

        /**
         * @param message   the message
         * @param requestId the request id
         * @param retryable whether the event marks a transient fault (e.g. a server error or overload)
         */
        public StreamError(String message, @Nullable String requestId, boolean retryable) {
            super(message, null, -1, null, requestId, retryable);
        }
    }
}

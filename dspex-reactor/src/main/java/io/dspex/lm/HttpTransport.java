package io.dspex.lm;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.resources.ConnectionPoolMetrics;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.context.Context;

/**
 * What the HTTP clients ({@link OpenAiCompatibleLm}, {@link AnthropicLm}, {@link GeminiLm}) share, so that each holds
 * only its protocol: one bounded connection pool and {@code HttpClient} per client instance (pending-acquire timeout on
 * the shared {@link PendingAcquireTimer}, idle eviction, pool metrics); one exchange per subscription with its body
 * written once; HTTP error statuses mapped to the typed {@link LmException}s (with {@code Retry-After},
 * {@code retry-after-ms}, the rate-limit reset headers and {@code x-should-retry}); transport failures mapped to
 * {@link LmException.Connection}, {@link LmException.ResponseTimeout} or {@link LmException.MalformedResponse};
 * server-sent events decoded by an {@link SseStream}; and secrets scrubbed from every message.
 */
final class HttpTransport {

    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
    /** Micrometer's Context key of the current observation ({@code ObservationThreadLocalAccessor.KEY}). */
    private static final String OBSERVATION_KEY = "micrometer.observation";
    static final byte[] EMPTY = new byte[0];
    /** Text that looks like a key: OpenAI's and Anthropic's {@code sk-...}, a bearer token, Google's AIza keys. */
    private static final Pattern KEY_LIKE = Pattern.compile("(sk-|Bearer\\s+|AIza)[A-Za-z0-9_\\-.]{6,}");

    /** A provider's error body, read: its message and code (or type), and a wait it asked for, if any. */
    record ProviderError(String message, @Nullable String code, @Nullable Duration retryDelay) {
    }

    /** Reads a successful body into a value; an {@link LmException} it throws passes through unchanged. */
    @FunctionalInterface
    interface BodyReader<T> {
        T read(byte[] body, @Nullable String requestId) throws IOException;
    }

    private final String baseUrl;
    private final @Nullable String apiKey;
    private final String protocolName;
    private final Function<byte[], ProviderError> errorReader;
    private final ConnectionProvider provider;
    private final HttpClient client;
    private final PoolRegistry pools = new PoolRegistry();

    /**
     * @param settings     the builder's validated settings (base URL set)
     * @param poolName     the pool's name in Reactor Netty's metrics
     * @param protocolName what a successful body is, for error messages ("a chat completion", ...)
     * @param authHeader   the header that carries the key ({@code Authorization} gets {@code Bearer }), or null
     * @param fixedHeaders headers the protocol always sends (before the user's own)
     * @param errorReader  reads the provider's error body
     */
    HttpTransport(Settings settings, String poolName, String protocolName, @Nullable String authHeader,
                  Map<String, String> fixedHeaders, Function<byte[], ProviderError> errorReader) {
        this.baseUrl = settings.requireBaseUrl();
        this.apiKey = settings.apiKey == null || settings.apiKey.isBlank() ? null : settings.apiKey;
        this.protocolName = protocolName;
        this.errorReader = errorReader;
        this.provider = ConnectionProvider.builder(poolName)
                .maxConnections(settings.maxConnections)
                .pendingAcquireTimeout(settings.pendingAcquireTimeout)
                .pendingAcquireTimer(PendingAcquireTimer.INSTANCE)
                .pendingAcquireMaxCount(-1)
                .maxIdleTime(settings.maxIdleTime)
                .evictInBackground(settings.maxIdleTime)
                .metrics(true, () -> pools)
                .build();
        Map<String, String> headers = new LinkedHashMap<>(fixedHeaders);
        if (apiKey != null && authHeader != null) {
            headers.put(authHeader, authHeader.equalsIgnoreCase("authorization") ? "Bearer " + apiKey : apiKey);
        }
        headers.putAll(settings.headers);
        this.client = HttpClient.create(provider)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout.toMillis()))
                .responseTimeout(settings.responseTimeout)
                .keepAlive(true)
                .headers(h -> {
                    h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                    h.set(HttpHeaderNames.USER_AGENT, "dspex-java");
                    headers.forEach(h::set);
                });
    }

    /** @return the base URL, without a trailing slash */
    String baseUrl() {
        return baseUrl;
    }

    /**
     * @param uri the endpoint
     * @return a POST to it on this client's pool, configured once (configuring it per call copies the client's
     *         configuration twice)
     */
    HttpClient.RequestSender post(URI uri) {
        return client.request(HttpMethod.POST).uri(uri);
    }

    /**
     * The request body. It is written now, so that a request that cannot be sent fails at once, and handed to the
     * first send; a call waiting for its answer then no longer holds it (10,000 calls in flight would keep 10,000
     * bodies alive through every garbage collection). Should Reactor Netty send again (a pooled connection that
     * closed before the request went out), the body is written anew.
     */
    static Mono<ByteBuf> body(Supplier<byte[]> writer) {
        AtomicReference<byte[]> written = new AtomicReference<>(writer.get());
        return Mono.fromSupplier(() -> {
            byte[] bytes = written.getAndSet(null);
            return Unpooled.wrappedBuffer(bytes != null ? bytes : writer.get());
        });
    }

    /**
     * One exchange: the whole body, read by {@code reader} on success, mapped to a typed error otherwise.
     *
     * @param sender the POST
     * @param body   the request body
     * @param reader reads a successful body
     * @param what   what a successful body is, for the error when it is not
     */
    <T> Mono<T> exchange(HttpClient.RequestSender sender, Mono<ByteBuf> body, BodyReader<T> reader, String what) {
        return sender.send(body)
                .responseSingle((res, content) -> content.asByteArray().defaultIfEmpty(EMPTY)
                        .map(bytes -> read(res, bytes, reader, what)))
                .onErrorMap(HttpTransport::unmapped, this::transportError)
                .contextWrite(HttpTransport::withoutObservation);
    }


    /**
     * The caller's Context without its observation. This client makes no HTTP observation, so nothing below needs a
     * parent; with Micrometer's context-propagation on the class path, Reactor Netty's body operators
     * ({@code handle}) would otherwise open and close the observation's thread-local scope on every signal, which
     * costs a tracing handler real time per request and tells nobody anything.
     */
    private static Context withoutObservation(Context context) {
        return context.hasKey(OBSERVATION_KEY) ? context.delete(OBSERVATION_KEY) : context;
    }

    /**
     * One streamed exchange: server-sent events decoded by a fresh {@link SseStream} per subscription. An error
     * status, or a JSON answer where events were asked for (a server that ignored the stream flag), is read whole:
     * an error as the typed error, a JSON answer by {@code whole} as the response's chunks.
     */
    Flux<LmChunk> stream(HttpClient.RequestSender sender, Mono<ByteBuf> body, BodyReader<LmResponse> whole,
                         Function<@Nullable String, SseStream> newStream) {
        return sender.send((req, out) -> {
                    req.header(HttpHeaderNames.ACCEPT, "text/event-stream");
                    return out.send(body);
                })
                .response((res, content) -> {
                    String requestId = requestId(res.responseHeaders());
                    int status = res.status().code();
                    String type = res.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
                    boolean json = type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json");
                    if (status >= 300 || json) {
                        return content.aggregate().asByteArray().defaultIfEmpty(EMPTY)
                                .flatMapIterable(bytes -> read(res, bytes, whole, protocolName).asChunks());
                    }
                    SseStream state = newStream.apply(requestId);
                    return content.map(state::feed)
                            .concatMap(batch -> batch.error == null ? Flux.fromIterable(batch.chunks)
                                    : Flux.fromIterable(batch.chunks).concatWith(Mono.error(batch.error)))
                            .concatWith(Flux.defer(state::finish));
                })
                .onErrorMap(HttpTransport::unmapped, this::transportError)
                .contextWrite(HttpTransport::withoutObservation);
    }

    private static boolean unmapped(Throwable e) {
        return !(e instanceof LmException) && !(e instanceof IllegalArgumentException);
    }

    private <T> T read(HttpClientResponse res, byte[] bytes, BodyReader<T> reader, String what) {
        String requestId = requestId(res.responseHeaders());
        int status = res.status().code();
        if (status >= 300) {
            throw statusError(status, res.responseHeaders(), bytes, requestId);
        }
        try {
            return reader.read(bytes, requestId);
        } catch (LmException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new LmException.MalformedResponse("LM response from " + baseUrl + " is not " + what + " ("
                    + scrub(e.getMessage()) + "), " + bytes.length + " bytes: "
                    + scrub(LmException.truncate(new String(bytes, 0, Math.min(bytes.length, 600),
                    StandardCharsets.UTF_8))), null, requestId);
        }
    }

    /** @return the provider's request id: {@code x-request-id} (OpenAI), else {@code request-id} (Anthropic) */
    static @Nullable String requestId(HttpHeaders h) {
        String id = h.get("x-request-id");
        return id != null ? id : h.get("request-id");
    }

    /**
     * The typed error of an HTTP error status: the class by status ({@link LmException#forStatus}), the provider's
     * message and code from the body, the wait from {@code retry-after-ms} / {@code Retry-After}, else (on a 429) the
     * body's own retry delay or the rate-limit reset headers, and {@code x-should-retry}'s verdict.
     */
    LmException statusError(int status, HttpHeaders h, byte[] body, @Nullable String requestId) {
        ProviderError pe = errorReader.apply(body);
        String message = scrub(pe.code() == null || pe.message().contains(pe.code()) ? pe.message()
                : pe.message() + " [" + pe.code() + "]");
        Instant now = Instant.now();
        Duration retryAfter = RetryAfter.parse(h.get("retry-after-ms"), h.get(HttpHeaderNames.RETRY_AFTER), now);
        if (retryAfter == null && status == 429) {
            retryAfter = pe.retryDelay() != null ? pe.retryDelay() : RetryAfter.fromRateLimitHeaders(h::get, now);
        }
        String should = h.get("x-should-retry");
        Boolean shouldRetry = should == null ? null
                : should.equalsIgnoreCase("true") ? Boolean.TRUE
                : should.equalsIgnoreCase("false") ? Boolean.FALSE : null;
        if (status < 400) {
            return new LmException.HttpError(status, LmException.statusMessage(status,
                    "unexpected status from " + baseUrl + (message.isEmpty() ? "" : ": " + message), requestId),
                    retryAfter, requestId, shouldRetry != null ? shouldRetry : Boolean.FALSE);
        }
        LmException e = LmException.forStatus(status, message, retryAfter, requestId, shouldRetry);
        LOG.debug("LM call to {} failed: {}", baseUrl, e.getMessage());
        return e;
    }

    /** Maps a transport failure (timeouts, resets, a body that is not JSON) to its typed, retryable error. */
    Throwable transportError(Throwable e) {
        String what = e.getClass().getSimpleName();
        String detail = e.getMessage() == null ? what : what + ": " + scrub(e.getMessage());
        Throwable t = e;
        while (t != null) {
            if (t instanceof io.netty.handler.timeout.ReadTimeoutException
                    || t instanceof io.netty.handler.timeout.TimeoutException) {
                return new LmException.ResponseTimeout("LM at " + baseUrl + " sent no response bytes within the "
                        + "response timeout", e);
            }
            if (t instanceof TimeoutException) {
                return new LmException.Connection("no connection to " + baseUrl + " became free within the "
                        + "pending-acquire timeout (" + detail + ")", e);
            }
            if (t instanceof com.fasterxml.jackson.core.JacksonException) {
                return new LmException.MalformedResponse("LM response from " + baseUrl + " is malformed: " + detail, e);
            }
            if (t instanceof IOException || t instanceof io.netty.channel.ChannelException
                    || t instanceof io.netty.handler.codec.DecoderException) {
                return new LmException.Connection("LM connection to " + baseUrl + " failed: " + detail, e);
            }
            t = t.getCause();
        }
        return e;
    }

    /** Removes the API key, and anything that looks like one, from text echoed by a server. */
    String scrub(@Nullable String text) {
        if (text == null) {
            return "";
        }
        String s = text;
        if (apiKey != null && apiKey.length() >= 4 && s.contains(apiKey)) {
            s = s.replace(apiKey, "***");
        }
        return KEY_LIKE.matcher(s).replaceAll("$1***");
    }

    /** @return a snapshot of the pool, summed over the remote addresses it connected to */
    OpenAiCompatibleLm.PoolStats poolStats() {
        return pools.snapshot();
    }

    void dispose() {
        provider.dispose();
    }

    boolean isDisposed() {
        return provider.isDisposed();
    }

    /** Receives Reactor Netty's per-remote-address pool metrics (no Micrometer needed) and sums them. */
    private static final class PoolRegistry implements ConnectionProvider.MeterRegistrar {
        private final Map<String, ConnectionPoolMetrics> metrics = new ConcurrentHashMap<>();

        @Override
        public void registerMetrics(String poolName, String id, java.net.SocketAddress remoteAddress,
                                    ConnectionPoolMetrics m) {
            metrics.put(id + '|' + remoteAddress, m);
        }

        @Override
        public void deRegisterMetrics(String poolName, String id, java.net.SocketAddress remoteAddress) {
            metrics.remove(id + '|' + remoteAddress);
        }

        OpenAiCompatibleLm.PoolStats snapshot() {
            int acquired = 0;
            int idle = 0;
            int allocated = 0;
            int pending = 0;
            for (ConnectionPoolMetrics m : metrics.values()) {
                acquired += m.acquiredSize();
                idle += m.idleSize();
                allocated += m.allocatedSize();
                pending += m.pendingAcquireSize();
            }
            return new OpenAiCompatibleLm.PoolStats(acquired, idle, allocated, pending);
        }
    }

    /** The chunks one network buffer completed, and the error that ended the stream after them, if any. */
    static final class Batch {
        static final Batch EMPTY_BATCH = new Batch(List.of(), null);
        final List<LmChunk> chunks;
        final @Nullable LmException error;

        Batch(List<LmChunk> chunks, @Nullable LmException error) {
            this.chunks = chunks;
            this.error = error;
        }
    }

    /**
     * The settings every HTTP client's builder has, validated as they are set; each public builder delegates to one
     * and documents its own names.
     */
    static final class Settings {
        @Nullable String baseUrl;
        @Nullable String apiKey;
        CallConfig defaults = CallConfig.empty();
        final Map<String, String> headers = new LinkedHashMap<>();
        Duration connectTimeout = Duration.ofSeconds(10);
        Duration responseTimeout = Duration.ofMinutes(5);
        int maxConnections = 100;
        Duration pendingAcquireTimeout = Duration.ofSeconds(60);
        Duration maxIdleTime = Duration.ofSeconds(4);

        Settings(@Nullable String defaultBaseUrl) {
            this.baseUrl = defaultBaseUrl;
        }

        String requireBaseUrl() {
            if (baseUrl == null) {
                throw new IllegalStateException("baseUrl is not set");
            }
            return baseUrl;
        }

        void baseUrl(@Nullable String baseUrl) {
            if (baseUrl == null || baseUrl.isBlank()) {
                throw new IllegalArgumentException("baseUrl must not be blank");
            }
            String b = baseUrl.strip();
            while (b.endsWith("/")) {
                b = b.substring(0, b.length() - 1);
            }
            try {
                URI uri = new URI(b);
                String scheme = uri.getScheme();
                if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                        || uri.getHost() == null) {
                    throw new IllegalArgumentException("baseUrl must be an http(s) URL with a host, got '" + b + "'");
                }
                if (uri.getUserInfo() != null) {
                    throw new IllegalArgumentException("baseUrl must not hold credentials; use apiKey(..) or "
                            + "header(..)");
                }
                if (uri.getQuery() != null || uri.getFragment() != null) {
                    throw new IllegalArgumentException("baseUrl must not have a query or fragment, got '" + b + "'");
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("baseUrl is not a valid URL: '" + b + "' (" + e.getReason() + ")");
            }
            this.baseUrl = b;
        }

        void defaults(@Nullable CallConfig defaults) {
            if (defaults == null) {
                throw new IllegalArgumentException("defaults must not be null; use CallConfig.empty()");
            }
            if (defaults.rolloutId() != null) {
                throw new IllegalArgumentException("defaults must not set a rolloutId: it tags one call, not a client");
            }
            this.defaults = defaults;
        }

        void header(@Nullable String name, @Nullable String value) {
            if (name == null || name.isBlank() || value == null) {
                throw new IllegalArgumentException("header name must be non-blank and value non-null, got '" + name
                        + "'");
            }
            headers.put(name, value);
        }

        void maxConnections(int maxConnections) {
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections must be >= 1, got " + maxConnections);
            }
            this.maxConnections = maxConnections;
        }

        static Duration positive(String name, @Nullable Duration d) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
            }
            return d;
        }
    }
}

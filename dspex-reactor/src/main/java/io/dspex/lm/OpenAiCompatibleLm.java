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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.resources.ConnectionProvider;

/**
 * A {@link LanguageModel} for every server that speaks OpenAI's chat-completions protocol: OpenAI, vLLM, Ollama,
 * llama.cpp's server, LM Studio, OpenRouter, Groq, Together and others. Built on Reactor Netty: one
 * {@code HttpClient} and one bounded connection pool per instance, shared by all calls; every call is a lazy,
 * independent HTTP exchange that holds no thread while it waits.
 *
 * <pre>{@code
 * try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder()
 *         .baseUrl("https://api.openai.com/v1")
 *         .apiKey(System.getenv("OPENAI_API_KEY"))
 *         .model("gpt-4o-mini")
 *         .temperature(0.0)
 *         .build()) {
 *     String answer = lm.call(LmRequest.of(List.of(Message.user("2+2?")))).map(LmResponse::text).block();
 * }
 * }</pre>
 *
 * <p>It never retries, sleeps or caches: failures arrive as {@link LmException}s for the program layer to retry.
 * Cancelling a subscription closes its connection (it is not returned to the pool mid-response). Call
 * {@link #close()} when done to release the pool.
 */
public final class OpenAiCompatibleLm implements LanguageModel, AutoCloseable, Disposable {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiCompatibleLm.class);
    private static final byte[] EMPTY = new byte[0];
    private static final Pattern KEY_LIKE = Pattern.compile("(sk-|Bearer\\s+)[A-Za-z0-9_\\-.]{6,}");

    private final String baseUrl;
    /** Parsed once, as the chat URI is: Reactor Netty matches a String URL against regular expressions per request. */
    private final URI embeddingsUri;
    private final @Nullable String apiKey;
    private final String embeddingModel;
    /** The client's defaults; its model is always set. */
    private final CallConfig defaults;
    private final String id;
    private final ConnectionProvider provider;
    private final HttpClient client;
    /** The POST to {@code /chat/completions}, configured once: building it per call copied the client config twice. */
    private final HttpClient.RequestSender chatPost;
    private final PoolRegistry pools = new PoolRegistry();

    private OpenAiCompatibleLm(Builder b) {
        this.baseUrl = b.baseUrl;
        this.embeddingsUri = URI.create(b.baseUrl + "/embeddings");
        this.apiKey = b.apiKey == null || b.apiKey.isBlank() ? null : b.apiKey;
        this.embeddingModel = b.embeddingModel != null ? b.embeddingModel : b.defaults.model();
        this.defaults = b.defaults;
        this.id = buildId(b);
        this.provider = ConnectionProvider.builder("dspex-lm")
                .maxConnections(b.maxConnections)
                .pendingAcquireTimeout(b.pendingAcquireTimeout)
                .pendingAcquireTimer(PendingAcquireTimer.INSTANCE)
                .pendingAcquireMaxCount(-1)
                .maxIdleTime(b.maxIdleTime)
                .evictInBackground(b.maxIdleTime)
                .metrics(true, () -> pools)
                .build();
        Map<String, String> headers = new LinkedHashMap<>(b.headers);
        String key = this.apiKey;
        this.client = HttpClient.create(provider)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, b.connectTimeout.toMillis()))
                .responseTimeout(b.responseTimeout)
                .keepAlive(true)
                .headers(h -> {
                    h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                    h.set(HttpHeaderNames.USER_AGENT, "dspex-java");
                    if (key != null) {
                        h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key);
                    }
                    headers.forEach(h::set);
                });
        this.chatPost = client.request(HttpMethod.POST).uri(URI.create(b.baseUrl + "/chat/completions"));
    }

    private static String buildId(Builder b) {
        CallConfig d = b.defaults;
        StringBuilder sb = new StringBuilder("openai-compatible:").append(b.baseUrl).append('|').append(d.model());
        Map<String, Object> sorted = new TreeMap<>(d.extra());
        if (d.temperature() != null) {
            sorted.put("temperature", d.temperature());
        }
        if (d.maxTokens() != null) {
            sorted.put("max_tokens", d.maxTokens());
        }
        if (d.n() != null) {
            sorted.put("n", d.n());
        }
        if (d.stop() != null) {
            sorted.put("stop", d.stop());
        }
        if (d.seed() != null) {
            sorted.put("seed", d.seed());
        }
        if (b.embeddingModel != null) {
            sorted.put("embedding_model", b.embeddingModel);
        }
        if (!sorted.isEmpty()) {
            sb.append('|').append(sorted);
        }
        return sb.toString();
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return {@code openai-compatible:<baseUrl>|<model>}, followed by the default parameters when any are set;
     *         never the API key or headers
     */
    @Override
    public String id() {
        return id;
    }

    /** @return the base URL, without a trailing slash */
    public String baseUrl() {
        return baseUrl;
    }

    /** @return the default model */
    @Override
    public String model() {
        return defaults.model();
    }

    @Override
    public Mono<LmResponse> call(LmRequest request) {
        if (request == null) {
            return Mono.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        return Mono.defer(() -> {
            Mono<ByteBuf> body = body(request, false);
            return chatPost.send(body)
                    .responseSingle((res, content) -> content.asByteArray()
                            .defaultIfEmpty(EMPTY)
                            .map(bytes -> toResponse(res, bytes)));
        }).onErrorMap(e -> !(e instanceof LmException) && !(e instanceof IllegalArgumentException), this::transportError);
    }

    /**
     * The request body. It is written now, so that a request that cannot be sent fails at once, and handed to the
     * first send; a call waiting for its answer then no longer holds it (10,000 calls in flight would keep 10,000
     * bodies alive through every garbage collection). Should Reactor Netty send again (a pooled connection that
     * closed before the request went out), the body is written anew.
     */
    Mono<ByteBuf> body(LmRequest request, boolean stream) {
        AtomicReference<byte[]> written = new AtomicReference<>(ChatCodec.writeChat(request, defaults, stream));
        return Mono.fromSupplier(() -> {
            byte[] bytes = written.getAndSet(null);
            return Unpooled.wrappedBuffer(bytes != null ? bytes : ChatCodec.writeChat(request, defaults, stream));
        });
    }

    private LmResponse toResponse(HttpClientResponse res, byte[] bytes) {
        String requestId = requestId(res.responseHeaders());
        int status = res.status().code();
        if (status >= 300) {
            throw statusError(status, res.responseHeaders(), bytes, requestId);
        }
        try {
            return ChatCodec.readChat(bytes, requestId);
        } catch (ChatCodec.EmbeddedError e) {
            throw embeddedError(e, requestId);
        } catch (IOException | RuntimeException e) {
            throw new LmException.MalformedResponse("LM response from " + baseUrl + " is not a chat completion ("
                    + scrub(e.getMessage()) + "), " + bytes.length + " bytes: "
                    + scrub(LmException.truncate(new String(bytes, 0, Math.min(bytes.length, 600),
                    java.nio.charset.StandardCharsets.UTF_8))), null, requestId);
        }
    }

    private LmException embeddedError(ChatCodec.EmbeddedError e, @Nullable String requestId) {
        String msg = scrub(e.getMessage());
        if (e.code >= 400 && e.code <= 599) {
            return LmException.forStatus(e.code, msg, null, requestId, null);
        }
        return new LmException.MalformedResponse("LM answered 200 with an error instead of choices: "
                + LmException.truncate(msg), null, requestId);
    }

    /**
     * Streams the answer over server-sent events ({@code "stream": true} with usage included). Text deltas of
     * every choice arrive as they are generated; the final chunk carries the usage. An error event inside the
     * stream fails it with {@link LmException.StreamError}; a stream cut short fails it with
     * {@link LmException.MalformedResponse} or {@link LmException.Connection}. Cancelling closes the connection.
     */
    @Override
    public Flux<LmChunk> stream(LmRequest request) {
        if (request == null) {
            return Flux.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        return Flux.defer(() -> {
            Mono<ByteBuf> body = body(request, true);
            return chatPost.send((req, out) -> {
                        req.header(HttpHeaderNames.ACCEPT, "text/event-stream");
                        return out.send(body);
                    })
                    .response((res, content) -> {
                        String requestId = requestId(res.responseHeaders());
                        int status = res.status().code();
                        String type = res.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
                        if (status >= 300 || (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json"))) {
                            return content.aggregate().asByteArray().defaultIfEmpty(EMPTY)
                                    .flatMapIterable(bytes -> toResponse(res, bytes).asChunks());
                        }
                        StreamState state = new StreamState(requestId);
                        return content.map(state::feed)
                                .concatMap(batch -> batch.error == null ? Flux.fromIterable(batch.chunks)
                                        : Flux.fromIterable(batch.chunks).concatWith(Mono.error(batch.error)))
                                .concatWith(Mono.defer(state::finish));
                    });
        }).onErrorMap(e -> !(e instanceof LmException) && !(e instanceof IllegalArgumentException), this::transportError);
    }



    /** The chunks one network buffer completed, and the error that ended the stream after them, if any. */
    private static final class Batch {
        static final Batch EMPTY_BATCH = new Batch(List.of(), null);
        final List<LmChunk> chunks;
        final @Nullable LmException error;

        Batch(List<LmChunk> chunks, @Nullable LmException error) {
            this.chunks = chunks;
            this.error = error;
        }
    }

    /** Per-subscription decoding state of one stream. */
    private final class StreamState {
        private final SseDecoder decoder = new SseDecoder();
        private final @Nullable String requestId;
        private boolean done;
        private boolean finished;
        /** Tool calls being streamed, by choice: null until a stream sends one. */
        private ToolCallAssembler toolCalls;

        StreamState(@Nullable String requestId) {
            this.requestId = requestId;
        }

        Batch feed(ByteBuf buf) {
            if (done) {
                return Batch.EMPTY_BATCH;
            }
            int n = buf.readableBytes();
            byte[] bytes;
            int offset;
            if (buf.hasArray()) {
                bytes = buf.array();
                offset = buf.arrayOffset() + buf.readerIndex();
            } else {
                bytes = new byte[n];
                buf.getBytes(buf.readerIndex(), bytes);
                offset = 0;
            }
            List<SseDecoder.Event> events = decoder.feed(bytes, offset, n);
            if (events.isEmpty()) {
                return Batch.EMPTY_BATCH;
            }
            List<LmChunk> out = new ArrayList<>(events.size());
            try {
                decode(events, out);
            } catch (LmException e) {
                done = true;
                return new Batch(out, e);
            }
            return new Batch(out, null);
        }

        private void decode(List<SseDecoder.Event> events, List<LmChunk> out) {
            for (SseDecoder.Event e : events) {
                if (done) {
                    break;
                }
                String data = e.data();
                if (data.equals("[DONE]")) {
                    done = true;
                    if (toolCalls != null) {
                        out.addAll(assembled(toolCalls::drain));
                    }
                    break;
                }
                if ("error".equals(e.event())) {
                    throw streamError(data);
                }
                ChatCodec.StreamData sd;
                try {
                    sd = ChatCodec.readStreamData(data);
                } catch (IOException | RuntimeException ex) {
                    throw new LmException.MalformedResponse("LM stream from " + baseUrl + " sent an event that is "
                            + "not a chat completion chunk (" + scrub(ex.getMessage()) + "): "
                            + scrub(LmException.truncate(data)), null, requestId);
                }
                if (sd.error() != null) {
                    throw streamError(sd.error());
                }
                if (!sd.toolCallDeltas().isEmpty()) {
                    if (toolCalls == null) {
                        toolCalls = new ToolCallAssembler();
                    }
                    sd.toolCallDeltas().forEach(toolCalls::add);
                }
                for (LmChunk c : sd.chunks()) {
                    if (c.finishReason() != null) {
                        finished = true;
                        if (toolCalls != null) {
                            LmChunk finishing = c;
                            c = assembled(() -> toolCalls.complete(finishing));
                        }
                    }
                    out.add(c);
                }
            }
        }

        /** Runs a step of tool-call assembly; a call that never named its function is a malformed stream. */
        private <T> T assembled(java.util.function.Supplier<T> step) {
            try {
                return step.get();
            } catch (IllegalStateException ex) {
                throw new LmException.MalformedResponse("LM stream from " + baseUrl + " sent a tool call that cannot "
                        + "be assembled: " + scrub(ex.getMessage()) + requestIdSuffix(), null, requestId);
            }
        }

        private LmException streamError(String data) {
            try {
                return streamError(io.dspex.internal.Json.MAPPER.readTree(data));
            } catch (IOException notJson) {
                return new LmException.StreamError("LM stream from " + baseUrl + " sent an error event: "
                        + scrub(LmException.truncate(data)) + requestIdSuffix(), requestId, false);
            }
        }

        private LmException streamError(com.fasterxml.jackson.databind.JsonNode error) {
            String[] mc = ChatCodec.errorMessage(error.has("error") ? error : mapOf(error));
            String code = mc[1] == null ? "" : mc[1].toLowerCase(Locale.ROOT);
            boolean retryable = code.contains("server") || code.contains("overload") || code.contains("rate")
                    || code.contains("timeout") || code.contains("unavailable") || code.startsWith("5");
            return new LmException.StreamError("LM stream from " + baseUrl + " failed mid-stream: "
                    + scrub(LmException.truncate(mc[0])) + (mc[1] == null ? "" : " [" + mc[1] + "]")
                    + requestIdSuffix(), requestId, retryable);
        }

        private com.fasterxml.jackson.databind.JsonNode mapOf(com.fasterxml.jackson.databind.JsonNode error) {
            return io.dspex.internal.Json.MAPPER.createObjectNode().set("error", error);
        }

        private String requestIdSuffix() {
            return requestId == null ? "" : " (request id " + requestId + ")";
        }

        Mono<LmChunk> finish() {
            if (done || (finished && !decoder.hasPartial())) {
                return Mono.empty();
            }
            return Mono.error(new LmException.MalformedResponse("LM stream from " + baseUrl
                    + " ended before [DONE] (truncated)" + requestIdSuffix(), null, requestId));
        }
    }

    /**
     * Embeds texts with the embedding model ({@link Builder#embeddingModel}, else the model) on
     * {@code {base}/embeddings}. Lazy like {@link #call}.
     *
     * <pre>{@code
     * List<float[]> vectors = lm.embed(List.of("cat", "dog")).block();
     * }</pre>
     *
     * @param texts the texts; an empty list answers an empty list without a request
     * @return one vector per text, in input order
     */
    public Mono<List<float[]>> embed(List<String> texts) {
        if (texts == null) {
            return Mono.error(new IllegalArgumentException("embed texts must not be null"));
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                return Mono.error(new IllegalArgumentException("embed texts[" + i + "] is null"));
            }
        }
        if (texts.isEmpty()) {
            return Mono.just(List.of());
        }
        List<String> inputs = List.copyOf(texts);
        return Mono.defer(() -> {
            byte[] body = ChatCodec.writeEmbeddings(embeddingModel, inputs);
            return client.request(HttpMethod.POST)
                    .uri(embeddingsUri)
                    .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(body)))
                    .responseSingle((res, content) -> content.asByteArray().defaultIfEmpty(EMPTY)
                            .map(bytes -> toEmbeddings(res, bytes, inputs.size())));
        }).onErrorMap(e -> !(e instanceof LmException) && !(e instanceof IllegalArgumentException), this::transportError);
    }

    private List<float[]> toEmbeddings(HttpClientResponse res, byte[] bytes, int expected) {
        String requestId = requestId(res.responseHeaders());
        int status = res.status().code();
        if (status >= 300) {
            throw statusError(status, res.responseHeaders(), bytes, requestId);
        }
        try {
            return ChatCodec.readEmbeddings(bytes, expected);
        } catch (ChatCodec.EmbeddedError e) {
            throw embeddedError(e, requestId);
        } catch (IOException | RuntimeException e) {
            throw new LmException.MalformedResponse("embedding response from " + baseUrl + " is malformed ("
                    + scrub(e.getMessage()) + ")", null, requestId);
        }
    }

    private static @Nullable String requestId(HttpHeaders h) {
        String id = h.get("x-request-id");
        return id != null ? id : h.get("request-id");
    }

    private LmException statusError(int status, HttpHeaders h, byte[] body, @Nullable String requestId) {
        String message = scrub(ChatCodec.errorBodyMessage(body));
        Duration retryAfter = RetryAfter.parse(h.get("retry-after-ms"), h.get(HttpHeaderNames.RETRY_AFTER), Instant.now());
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

    private Throwable transportError(Throwable e) {
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

    /**
     * A snapshot of this LM's connection pool, summed over the remote addresses it connected to. After every
     * call has completed or been cancelled, {@link PoolStats#acquired()} is 0: a connection still acquired then
     * is a leak.
     *
     * <pre>{@code
     * OpenAiCompatibleLm.PoolStats s = lm.poolStats();
     * log.info("LM pool: {} in use, {} idle, {} waiting", s.acquired(), s.idle(), s.pendingAcquires());
     * }</pre>
     *
     * @return connections in use, idle, allocated in total, and calls waiting for one
     */
    public PoolStats poolStats() {
        return pools.snapshot();
    }

    /**
     * Connections of an {@link OpenAiCompatibleLm}'s pool at one moment.
     *
     * @param acquired        connections in use by a call
     * @param idle            open connections waiting in the pool
     * @param allocated       open connections, acquired or idle
     * @param pendingAcquires calls waiting for a connection
     */
    public record PoolStats(int acquired, int idle, int allocated, int pendingAcquires) {
    }

    /** Receives Reactor Netty's per-remote-address pool metrics (no Micrometer needed) and sums them. */
    private static final class PoolRegistry implements ConnectionProvider.MeterRegistrar {
        private final Map<String, reactor.netty.resources.ConnectionPoolMetrics> metrics =
                new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public void registerMetrics(String poolName, String id, java.net.SocketAddress remoteAddress,
                                    reactor.netty.resources.ConnectionPoolMetrics m) {
            metrics.put(id + '|' + remoteAddress, m);
        }

        @Override
        public void deRegisterMetrics(String poolName, String id, java.net.SocketAddress remoteAddress) {
            metrics.remove(id + '|' + remoteAddress);
        }

        PoolStats snapshot() {
            int acquired = 0;
            int idle = 0;
            int allocated = 0;
            int pending = 0;
            for (reactor.netty.resources.ConnectionPoolMetrics m : metrics.values()) {
                acquired += m.acquiredSize();
                idle += m.idleSize();
                allocated += m.allocatedSize();
                pending += m.pendingAcquireSize();
            }
            return new PoolStats(acquired, idle, allocated, pending);
        }
    }

    /** Releases the connection pool; in-flight calls are closed. Idempotent. */
    @Override
    public void close() {
        dispose();
    }

    /** Same as {@link #close()}. */
    @Override
    public void dispose() {
        provider.dispose();
    }

    /** @return whether {@link #close()} was called */
    @Override
    public boolean isDisposed() {
        return provider.isDisposed();
    }

    /** Never shows the API key. */
    @Override
    public String toString() {
        return "OpenAiCompatibleLm[" + id + "]";
    }

    /**
     * Configures an {@link OpenAiCompatibleLm}; {@link #baseUrl} and {@link #model} are required.
     *
     * <pre>{@code
     * OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder()
     *     .baseUrl("http://localhost:8000/v1").model("Qwen/Qwen2.5-7B-Instruct")
     *     .maxConnections(64).responseTimeout(Duration.ofMinutes(2))
     *     .build();
     * }</pre>
     */
    public static final class Builder {
        private @Nullable String baseUrl;
        private @Nullable String apiKey;
        private @Nullable String embeddingModel;
        private CallConfig defaults = CallConfig.empty();
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration responseTimeout = Duration.ofMinutes(5);
        private int maxConnections = 100;
        private Duration pendingAcquireTimeout = Duration.ofSeconds(60);
        private Duration maxIdleTime = Duration.ofSeconds(4);

        private Builder() {
        }

        /**
         * @param baseUrl the base URL the provider documents, e.g. {@code https://api.openai.com/v1} or
         *                {@code http://localhost:11434/v1}; {@code /chat/completions} is appended
         * @return this builder
         */
        public Builder baseUrl(String baseUrl) {
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
                    throw new IllegalArgumentException("baseUrl must not hold credentials; use apiKey(..) or header(..)");
                }
                if (uri.getQuery() != null || uri.getFragment() != null) {
                    throw new IllegalArgumentException("baseUrl must not have a query or fragment, got '" + b + "'");
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("baseUrl is not a valid URL: '" + b + "' (" + e.getReason() + ")");
            }
            this.baseUrl = b;
            return this;
        }

        /**
         * @param apiKey the key sent as {@code Authorization: Bearer}; null or blank for local servers
         * @return this
         */
        public Builder apiKey(@Nullable String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /**
         * @param model the default model (a request's {@link CallConfig#model()} overrides it)
         * @return this
         * @throws IllegalArgumentException when blank
         */
        public Builder model(String model) {
            this.defaults = defaults.withModel(model);
            return this;
        }

        /**
         * @param model the model {@link #embed} uses; null: the {@link #model}
         * @return this
         */
        public Builder embeddingModel(@Nullable String model) {
            if (model != null && model.isBlank()) {
                throw new IllegalArgumentException("embeddingModel must not be blank");
            }
            this.embeddingModel = model;
            return this;
        }

        /**
         * @param temperature default temperature ({@code >= 0})
         * @return this
         */
        public Builder temperature(@Nullable Double temperature) {
            this.defaults = defaults.withTemperature(temperature);
            return this;
        }

        /**
         * @param maxTokens default {@code max_tokens} ({@code >= 1})
         * @return this
         */
        public Builder maxTokens(@Nullable Integer maxTokens) {
            this.defaults = defaults.withMaxTokens(maxTokens);
            return this;
        }

        /**
         * @param name  a body parameter sent with every request unless the request sets it (e.g. {@code top_p})
         * @param value its JSON-serializable value (null removes it)
         * @return this
         */
        public Builder defaultParam(String name, @Nullable Object value) {
            this.defaults = defaults.withExtra(name, value);
            return this;
        }

        /**
         * Every default call parameter at once, replacing those set so far (the model included when set here).
         *
         * <pre>{@code
         * OpenAiCompatibleLm.builder().baseUrl(url).defaults(CallConfig.empty().withModel("gpt-4o-mini")
         *         .withTemperature(0.0).withExtra("top_p", 0.9)).build();
         * }</pre>
         *
         * @param defaults the parameters sent with every request unless the request sets them
         * @return this
         * @throws IllegalArgumentException when null or it sets a rollout id (a per-call tag)
         */
        public Builder defaults(CallConfig defaults) {
            if (defaults == null) {
                throw new IllegalArgumentException("defaults must not be null; use CallConfig.empty()");
            }
            if (defaults.rolloutId() != null) {
                throw new IllegalArgumentException("defaults must not set a rolloutId: it tags one call, not a client");
            }
            this.defaults = defaults;
            return this;
        }

        /**
         * @param name header name
         * @param value header value (kept out of logs and {@link #id()})
         * @return this
         */
        public Builder header(String name, String value) {
            if (name == null || name.isBlank() || value == null) {
                throw new IllegalArgumentException("header name must be non-blank and value non-null, got '" + name + "'");
            }
            headers.put(name, value);
            return this;
        }

        /**
         * @param timeout time to establish a connection (default 10 s)
         * @return this
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connectTimeout", timeout);
            return this;
        }

        /**
         * @param timeout longest wait for the response's first byte and between two reads of its body
         *                (default 5 min: a long generation sends nothing until it is done)
         * @return this
         */
        public Builder responseTimeout(Duration timeout) {
            this.responseTimeout = positive("responseTimeout", timeout);
            return this;
        }

        /**
         * @param maxConnections the pool size (default 100)
         * @return this
         */
        public Builder maxConnections(int maxConnections) {
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections must be >= 1, got " + maxConnections);
            }
            this.maxConnections = maxConnections;
            return this;
        }

        /**
         * @param timeout longest wait for a free pooled connection (default 60 s; kept by a timer shared by all
         *                instances that ticks every 10 ms, so it fires up to 10 ms late). A call that waits longer
         *                fails with a retryable {@link LmException.Connection}.
         * @return this
         */
        public Builder pendingAcquireTimeout(Duration timeout) {
            this.pendingAcquireTimeout = positive("pendingAcquireTimeout", timeout);
            return this;
        }

        /**
         * @param maxIdleTime how long an idle pooled connection is kept (default 4 s, below the 5 s idle timeout of
         *                    uvicorn-based servers such as vLLM)
         * @return this
         */
        public Builder maxIdleTime(Duration maxIdleTime) {
            this.maxIdleTime = positive("maxIdleTime", maxIdleTime);
            return this;
        }

        private static Duration positive(String name, Duration d) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
            }
            return d;
        }

        /**
         * @return the client, owning a new connection pool
         * @throws IllegalArgumentException when baseUrl or model is missing
         */
        public OpenAiCompatibleLm build() {
            if (baseUrl == null) {
                throw new IllegalArgumentException("OpenAiCompatibleLm needs a baseUrl, e.g. http://localhost:11434/v1");
            }
            if (defaults.model() == null) {
                throw new IllegalArgumentException("OpenAiCompatibleLm needs a model");
            }
            return new OpenAiCompatibleLm(this);
        }
    }
}

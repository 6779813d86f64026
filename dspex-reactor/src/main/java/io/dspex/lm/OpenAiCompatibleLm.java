package io.dspex.lm;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

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

    private final HttpTransport http;
    private final String baseUrl;
    /** Parsed once, as the chat URI is: Reactor Netty matches a String URL against regular expressions per request. */
    private final URI embeddingsUri;
    private final String embeddingModel;
    /** The client's defaults; its model is always set. */
    private final CallConfig defaults;
    private final String id;
    /** The POST to {@code /chat/completions}, configured once: building it per call copied the client config twice. */
    private final HttpClient.RequestSender chatPost;

    private OpenAiCompatibleLm(Builder b) {
        this.http = new HttpTransport(b.settings, "dspex-lm", "a chat completion", "Authorization", Map.of(),
                ChatCodec::readError);
        this.baseUrl = http.baseUrl();
        this.embeddingsUri = URI.create(baseUrl + "/embeddings");
        this.defaults = b.settings.defaults;
        this.embeddingModel = b.embeddingModel != null ? b.embeddingModel : defaults.model();
        this.id = buildId(b);
        this.chatPost = http.post(URI.create(baseUrl + "/chat/completions"));
    }

    private static String buildId(Builder b) {
        CallConfig d = b.settings.defaults;
        StringBuilder sb = new StringBuilder("openai-compatible:").append(b.settings.baseUrl).append('|')
                .append(d.model());
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
        return Mono.defer(() -> http.exchange(chatPost, body(request, false), this::readChat, "a chat completion"));
    }

    /** The request body, written once (see {@link HttpTransport#body}). */
    Mono<ByteBuf> body(LmRequest request, boolean stream) {
        return HttpTransport.body(() -> ChatCodec.writeChat(request, defaults, stream));
    }

    private LmResponse readChat(byte[] bytes, @Nullable String requestId) throws IOException {
        try {
            return ChatCodec.readChat(bytes, requestId);
        } catch (ChatCodec.EmbeddedError e) {
            throw embeddedError(e, requestId);
        }
    }

    private LmException embeddedError(ChatCodec.EmbeddedError e, @Nullable String requestId) {
        String msg = http.scrub(e.getMessage());
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
        return Flux.defer(() -> http.stream(chatPost, body(request, true), this::readChat, ChatStream::new));
    }

    /** Per-subscription decoding state of one chat-completions stream: chunks until {@code [DONE]}. */
    private final class ChatStream extends SseStream {
        private boolean finished;
        /** Tool calls being streamed, by choice: null until a stream sends one. */
        private @Nullable ToolCallAssembler toolCalls;

        ChatStream(@Nullable String requestId) {
            super(requestId);
        }

        @Override
        protected void decode(SseDecoder.Event e, List<LmChunk> out) {
            String data = e.data();
            if (data.equals("[DONE]")) {
                end();
                drainToolCalls(out);
                return;
            }
            if ("error".equals(e.event())) {
                throw streamError(data);
            }
            ChatCodec.StreamData sd;
            try {
                sd = ChatCodec.readStreamData(data);
            } catch (IOException | RuntimeException ex) {
                throw new LmException.MalformedResponse("LM stream from " + baseUrl + " sent an event that is "
                        + "not a chat completion chunk (" + http.scrub(ex.getMessage()) + "): "
                        + http.scrub(LmException.truncate(data)), null, requestId);
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
                    ToolCallAssembler calls = toolCalls;
                    if (calls != null) {
                        LmChunk finishing = c;
                        c = assembled(() -> calls.complete(finishing));
                    }
                }
                out.add(c);
            }
        }

        /** A server that ends a finished stream without {@code [DONE]} is tolerated; anything else was cut short. */
        @Override
        protected List<LmChunk> atEnd(boolean partial) {
            if (finished && !partial) {
                List<LmChunk> out = new ArrayList<>(0);
                drainToolCalls(out);
                return out;
            }
            throw new LmException.MalformedResponse("LM stream from " + baseUrl
                    + " ended before [DONE] (truncated)" + requestIdSuffix(), null, requestId);
        }

        private void drainToolCalls(List<LmChunk> out) {
            ToolCallAssembler calls = toolCalls;
            if (calls != null) {
                out.addAll(assembled(calls::drain));
            }
        }

        /** Runs a step of tool-call assembly; a call that never named its function is a malformed stream. */
        private <T> T assembled(java.util.function.Supplier<T> step) {
            try {
                return step.get();
            } catch (IllegalStateException ex) {
                throw new LmException.MalformedResponse("LM stream from " + baseUrl + " sent a tool call that cannot "
                        + "be assembled: " + http.scrub(ex.getMessage()) + requestIdSuffix(), null, requestId);
            }
        }

        private LmException streamError(String data) {
            try {
                return streamError(io.dspex.internal.Json.MAPPER.readTree(data));
            } catch (IOException notJson) {
                return new LmException.StreamError("LM stream from " + baseUrl + " sent an error event: "
                        + http.scrub(LmException.truncate(data)) + requestIdSuffix(), requestId, false);
            }
        }

        private LmException streamError(com.fasterxml.jackson.databind.JsonNode error) {
            String[] mc = ChatCodec.errorMessage(error.has("error") ? error : mapOf(error));
            String code = mc[1] == null ? "" : mc[1].toLowerCase(Locale.ROOT);
            boolean retryable = code.contains("server") || code.contains("overload") || code.contains("rate")
                    || code.contains("timeout") || code.contains("unavailable") || code.startsWith("5");
            return new LmException.StreamError("LM stream from " + baseUrl + " failed mid-stream: "
                    + http.scrub(LmException.truncate(mc[0])) + (mc[1] == null ? "" : " [" + mc[1] + "]")
                    + requestIdSuffix(), requestId, retryable);
        }

        private com.fasterxml.jackson.databind.JsonNode mapOf(com.fasterxml.jackson.databind.JsonNode error) {
            return io.dspex.internal.Json.MAPPER.createObjectNode().set("error", error);
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
        return Mono.defer(() -> http.exchange(http.post(embeddingsUri),
                HttpTransport.body(() -> ChatCodec.writeEmbeddings(embeddingModel, inputs)),
                (bytes, requestId) -> {
                    try {
                        return ChatCodec.readEmbeddings(bytes, inputs.size());
                    } catch (ChatCodec.EmbeddedError e) {
                        throw embeddedError(e, requestId);
                    }
                }, "an embeddings response"));
    }

    /** Removes the API key, and anything that looks like one, from text echoed by a server. */
    String scrub(@Nullable String text) {
        return http.scrub(text);
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
        return http.poolStats();
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

    /** Releases the connection pool; in-flight calls are closed. Idempotent. */
    @Override
    public void close() {
        dispose();
    }

    /** Same as {@link #close()}. */
    @Override
    public void dispose() {
        http.dispose();
    }

    /** @return whether {@link #close()} was called */
    @Override
    public boolean isDisposed() {
        return http.isDisposed();
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
        private final HttpTransport.Settings settings = new HttpTransport.Settings(null);
        private @Nullable String embeddingModel;

        private Builder() {
        }

        /**
         * @param baseUrl the base URL the provider documents, e.g. {@code https://api.openai.com/v1} or
         *                {@code http://localhost:11434/v1}; {@code /chat/completions} is appended
         * @return this builder
         */
        public Builder baseUrl(String baseUrl) {
            settings.baseUrl(baseUrl);
            return this;
        }

        /**
         * @param apiKey the key sent as {@code Authorization: Bearer}; null or blank for local servers
         * @return this
         */
        public Builder apiKey(@Nullable String apiKey) {
            settings.apiKey = apiKey;
            return this;
        }

        /**
         * @param model the default model (a request's {@link CallConfig#model()} overrides it)
         * @return this
         * @throws IllegalArgumentException when blank
         */
        public Builder model(String model) {
            settings.defaults = settings.defaults.withModel(model);
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
            settings.defaults = settings.defaults.withTemperature(temperature);
            return this;
        }

        /**
         * @param maxTokens default {@code max_tokens} ({@code >= 1})
         * @return this
         */
        public Builder maxTokens(@Nullable Integer maxTokens) {
            settings.defaults = settings.defaults.withMaxTokens(maxTokens);
            return this;
        }

        /**
         * @param name  a body parameter sent with every request unless the request sets it (e.g. {@code top_p})
         * @param value its JSON-serializable value (null removes it)
         * @return this
         */
        public Builder defaultParam(String name, @Nullable Object value) {
            settings.defaults = settings.defaults.withExtra(name, value);
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
            settings.defaults(defaults);
            return this;
        }

        /**
         * @param name header name
         * @param value header value (kept out of logs and {@link #id()})
         * @return this
         */
        public Builder header(String name, String value) {
            settings.header(name, value);
            return this;
        }

        /**
         * @param timeout time to establish a connection (default 10 s)
         * @return this
         */
        public Builder connectTimeout(Duration timeout) {
            settings.connectTimeout = HttpTransport.Settings.positive("connectTimeout", timeout);
            return this;
        }

        /**
         * @param timeout longest wait for the response's first byte and between two reads of its body
         *                (default 5 min: a long generation sends nothing until it is done)
         * @return this
         */
        public Builder responseTimeout(Duration timeout) {
            settings.responseTimeout = HttpTransport.Settings.positive("responseTimeout", timeout);
            return this;
        }

        /**
         * @param maxConnections the pool size (default 100)
         * @return this
         */
        public Builder maxConnections(int maxConnections) {
            settings.maxConnections(maxConnections);
            return this;
        }

        /**
         * @param timeout longest wait for a free pooled connection (default 60 s; kept by a timer shared by all
         *                instances that ticks every 10 ms, so it fires up to 10 ms late). A call that waits longer
         *                fails with a retryable {@link LmException.Connection}.
         * @return this
         */
        public Builder pendingAcquireTimeout(Duration timeout) {
            settings.pendingAcquireTimeout = HttpTransport.Settings.positive("pendingAcquireTimeout", timeout);
            return this;
        }

        /**
         * @param maxIdleTime how long an idle pooled connection is kept (default 4 s, below the 5 s idle timeout of
         *                    uvicorn-based servers such as vLLM)
         * @return this
         */
        public Builder maxIdleTime(Duration maxIdleTime) {
            settings.maxIdleTime = HttpTransport.Settings.positive("maxIdleTime", maxIdleTime);
            return this;
        }

        /**
         * @return the client, owning a new connection pool
         * @throws IllegalArgumentException when baseUrl or model is missing
         */
        public OpenAiCompatibleLm build() {
            if (settings.baseUrl == null) {
                throw new IllegalArgumentException("OpenAiCompatibleLm needs a baseUrl, e.g. http://localhost:11434/v1");
            }
            if (settings.defaults.model() == null) {
                throw new IllegalArgumentException("OpenAiCompatibleLm needs a model");
            }
            return new OpenAiCompatibleLm(this);
        }
    }
}

package io.dspex.lm;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * A {@link LanguageModel} for Google's Gemini API (the Generative Language API), native rather than through its
 * OpenAI-compatible endpoint, so that safety finish reasons, {@code usageMetadata} and Gemini's errors arrive whole.
 * Built like {@link OpenAiCompatibleLm} on Reactor Netty: one {@code HttpClient} and one bounded connection pool per
 * instance; every call is a lazy, independent exchange that holds no thread while it waits.
 *
 * <pre>{@code
 * try (GeminiLm lm = GeminiLm.builder()
 *         .apiKey(System.getenv("GEMINI_API_KEY"))
 *         .model("gemini-2.5-flash")
 *         .build()) {
 *     String answer = lm.call(LmRequest.of(List.of(Message.user("2+2?")))).map(LmResponse::text).block();
 * }
 * }</pre>
 *
 * <p>How a request is sent: {@code POST {baseUrl}/{apiVersion}/models/{model}:generateContent}, or
 * {@code :streamGenerateContent?alt=sse} for {@link #stream}; the key in the {@code x-goog-api-key} header (never in
 * the URL); leading system messages as the {@code systemInstruction} (a system message after the first turn is
 * rejected); user messages and tool results as {@code user} turns and assistant messages as {@code model} turns
 * (consecutive messages of one role merged into one turn); {@code generationConfig} with {@code temperature},
 * {@code maxOutputTokens}, {@code candidateCount} ({@code n}), {@code stopSequences} and {@code seed}; a
 * {@code json_object} response format as {@code responseMimeType: application/json} and a {@code json_schema} one
 * with its schema as {@code responseJsonSchema}. Tools (OpenAI's function format) become
 * {@code functionDeclarations} with {@code parametersJsonSchema}; a tool choice {@code auto}/{@code required}/
 * {@code none}/a function becomes the function-calling mode {@code AUTO}/{@code ANY}/{@code NONE}/{@code ANY} of that
 * function alone; {@link ToolCall}s become {@code functionCall} parts and a tool message a {@code functionResponse}
 * part named after the call it answers, its text as {@code {"output": text}}. Image parts become
 * {@code inlineData} (a base64 {@code data:} URI) or {@code fileData} (a URL). Extra parameters go into
 * {@code generationConfig} under Gemini's names ({@code topP}, {@code topK}, {@code thinkingConfig}, ...), except
 * the top-level fields {@code safetySettings}, {@code cachedContent}, {@code labels}, {@code tools},
 * {@code toolConfig}, {@code systemInstruction}.
 *
 * <p>Responses: one choice per candidate; {@code thought} parts are left out of the text; {@code functionCall}
 * parts are {@link LmResponse#toolCalls()}. Finish reasons are results, not errors, in the library's words:
 * {@code STOP} -> {@code stop} ({@code tool_calls} when the candidate calls a function), {@code MAX_TOKENS} ->
 * {@code length}, the safety filters ({@code SAFETY}, {@code RECITATION}, {@code BLOCKLIST},
 * {@code PROHIBITED_CONTENT}, {@code SPII}, {@code IMAGE_SAFETY}) -> {@code content_filter}, any other in lower case;
 * a prompt the filter blocked ({@code promptFeedback.blockReason}, no candidate) is one empty choice finished by
 * {@code content_filter}. {@link Usage} from {@code usageMetadata}: completion tokens include the thoughts, and
 * {@link Usage#cachedTokens()} is {@code cachedContentTokenCount}.
 *
 * <p>Errors come from the {@code google.rpc.Status} body and are typed by HTTP status as for every client, with the
 * status name in the message: {@code INVALID_ARGUMENT}/{@code FAILED_PRECONDITION} 400 (not retryable),
 * {@code PERMISSION_DENIED} 403, {@code NOT_FOUND} 404, {@code RESOURCE_EXHAUSTED} 429 (retryable, waiting for the
 * body's {@code RetryInfo.retryDelay} when no {@code Retry-After} is sent), {@code INTERNAL} 500, {@code UNAVAILABLE}
 * 503 and {@code DEADLINE_EXCEEDED} 504 (retryable). An error in the middle of a stream fails it with
 * {@link LmException.StreamError}; a stream that ends before every candidate has finished, with
 * {@link LmException.MalformedResponse}.
 *
 * <p>{@link #embed} uses {@code embedContent} for one text and {@code batchEmbedContents} for several. It never
 * retries, sleeps or caches; cancelling a subscription closes its connection; call {@link #close()} when done.
 */
public final class GeminiLm implements LanguageModel, AutoCloseable, Disposable {

    /** The base URL Google documents for the Gemini API. */
    public static final String DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";
    /** The API version path segment used unless the builder sets another. */
    public static final String DEFAULT_API_VERSION = "v1beta";

    /** A model name or resource: letters, digits, dots, dashes, underscores, and slashes between segments. */
    private static final Pattern MODEL = Pattern.compile("[A-Za-z0-9._\\-]+(/[A-Za-z0-9._\\-]+)*");
    /** Senders configured per endpoint are kept for this many endpoints (models times methods). */
    private static final int MAX_SENDERS = 64;

    private final HttpTransport http;
    private final String baseUrl;
    private final String apiVersion;
    private final CallConfig defaults;
    private final @Nullable String embeddingModel;
    private final String id;
    private final Map<String, HttpClient.RequestSender> senders = new ConcurrentHashMap<>();

    private GeminiLm(Builder b) {
        this.http = new HttpTransport(b.settings, "dspex-gemini", "a Gemini GenerateContentResponse",
                "x-goog-api-key", Map.of(), GeminiCodec::readError);
        this.baseUrl = http.baseUrl();
        this.apiVersion = b.apiVersion;
        this.defaults = b.settings.defaults;
        this.embeddingModel = b.embeddingModel;
        this.id = buildId(this.baseUrl, apiVersion, defaults, embeddingModel);
    }

    private static String buildId(String baseUrl, String version, CallConfig d, @Nullable String embeddingModel) {
        StringBuilder sb = new StringBuilder("gemini:").append(baseUrl).append('/').append(version).append('|')
                .append(d.model());
        Map<String, Object> sorted = new TreeMap<>(d.extra());
        if (d.temperature() != null) {
            sorted.put("temperature", d.temperature());
        }
        if (d.maxTokens() != null) {
            sorted.put("maxOutputTokens", d.maxTokens());
        }
        if (d.n() != null) {
            sorted.put("candidateCount", d.n());
        }
        if (d.stop() != null) {
            sorted.put("stopSequences", d.stop());
        }
        if (d.seed() != null) {
            sorted.put("seed", d.seed());
        }
        if (embeddingModel != null) {
            sorted.put("embedding_model", embeddingModel);
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
     * @return {@code gemini:<baseUrl>/<apiVersion>|<model>}, followed by the default parameters when any are set;
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

    /**
     * @param model a model name ({@code gemini-2.5-flash}) or resource ({@code models/..}, {@code tunedModels/..})
     * @return its resource name
     * @throws IllegalArgumentException when it holds characters no model name has (it becomes part of the URL)
     */
    private static String resource(String model) {
        if (!MODEL.matcher(model).matches() || model.contains("..")) {
            throw new IllegalArgumentException("Gemini model name '" + model + "' holds characters a model name "
                    + "cannot have (letters, digits, '.', '-', '_' and '/' between segments)");
        }
        return model.contains("/") ? model : "models/" + model;
    }

    private HttpClient.RequestSender sender(String modelResource, String method) {
        String uri = baseUrl + "/" + apiVersion + "/" + modelResource + ":" + method;
        HttpClient.RequestSender s = senders.get(uri);
        if (s == null) {
            s = http.post(URI.create(uri));
            if (senders.size() < MAX_SENDERS) {
                senders.put(uri, s);
            }
        }
        return s;
    }

    private String modelOf(LmRequest request) {
        String m = request.config().model();
        return resource(m != null ? m : defaults.model());
    }

    @Override
    public Mono<LmResponse> call(LmRequest request) {
        if (request == null) {
            return Mono.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        return Mono.defer(() -> http.exchange(sender(modelOf(request), "generateContent"),
                HttpTransport.body(() -> GeminiCodec.writeGenerate(request, defaults)), this::readResponse,
                "a Gemini GenerateContentResponse"));
    }

    /** The request body, as {@link #call} and {@link #stream} send it. */
    byte[] body(LmRequest request) {
        return GeminiCodec.writeGenerate(request, defaults);
    }

    private LmResponse readResponse(byte[] bytes, @Nullable String requestId) throws IOException {
        try {
            return GeminiCodec.readResponse(bytes, requestId);
        } catch (GeminiCodec.EmbeddedError e) {
            throw embeddedError(e.error, requestId);
        }
    }

    private LmException embeddedError(JsonNode error, @Nullable String requestId) {
        HttpTransport.ProviderError pe = GeminiCodec.error(error);
        int code = error.path("code").asInt(-1);
        String message = http.scrub(pe.message()) + (pe.code() == null ? "" : " [" + pe.code() + "]");
        if (code >= 400 && code <= 599) {
            return LmException.forStatus(code, message, pe.retryDelay(), requestId, null);
        }
        return new LmException.MalformedResponse("LM answered 200 with an error instead of candidates: "
                + LmException.truncate(message), null, requestId);
    }

    /**
     * Streams the answer over server-sent events ({@code streamGenerateContent?alt=sse}): the text deltas of every
     * candidate as they are generated, each candidate's function calls whole on its finishing chunk, and the usage
     * on a last chunk. An error in the stream fails it with {@link LmException.StreamError}; a stream that ends before
     * every candidate has a finish reason, with {@link LmException.MalformedResponse}. Cancelling closes the
     * connection.
     */
    @Override
    public Flux<LmChunk> stream(LmRequest request) {
        if (request == null) {
            return Flux.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        return Flux.defer(() -> http.stream(sender(modelOf(request), "streamGenerateContent?alt=sse"),
                HttpTransport.body(() -> GeminiCodec.writeGenerate(request, defaults)), this::readResponse,
                ContentStream::new));
    }

    /** Per-subscription decoding state of one Gemini stream: each event is a partial GenerateContentResponse. */
    private final class ContentStream extends SseStream {
        private final Map<Integer, Integer> callOffset = new HashMap<>();
        private final Map<Integer, List<ToolCall>> calls = new HashMap<>();
        private final TreeSet<Integer> seen = new TreeSet<>();
        private final TreeSet<Integer> finished = new TreeSet<>();
        private @Nullable Usage usage;

        ContentStream(@Nullable String requestId) {
            super(requestId);
        }

        @Override
        protected void decode(SseDecoder.Event e, List<LmChunk> out) {
            GeminiCodec.Piece piece;
            try {
                piece = GeminiCodec.readPiece(Json.MAPPER.readTree(e.data()), callOffset);
            } catch (IOException | RuntimeException ex) {
                throw new LmException.MalformedResponse("LM stream from " + baseUrl + " sent an event that is not a "
                        + "GenerateContentResponse (" + http.scrub(ex.getMessage()) + "): "
                        + http.scrub(LmException.truncate(e.data())) + requestIdSuffix(), null, requestId);
            }
            JsonNode error = piece.error();
            if (error != null) {
                HttpTransport.ProviderError pe = GeminiCodec.error(error);
                throw new LmException.StreamError("LM stream from " + baseUrl + " failed mid-stream: "
                        + http.scrub(LmException.truncate(pe.message())) + (pe.code() == null ? "" : " [" + pe.code()
                        + "]") + requestIdSuffix(), requestId, GeminiCodec.retryable(error));
            }
            if (piece.usage() != null) {
                usage = piece.usage();
            }
            if (piece.candidates().isEmpty() && piece.blockReason() != null) {
                seen.add(0);
                finished.add(0);
                out.add(new LmChunk("", 0, "content_filter", null));
                return;
            }
            for (GeminiCodec.CandidatePiece c : piece.candidates()) {
                seen.add(c.index());
                if (!c.calls().isEmpty()) {
                    calls.computeIfAbsent(c.index(), k -> new ArrayList<>(1)).addAll(c.calls());
                }
                if (c.finishReason() != null) {
                    finished.add(c.index());
                    List<ToolCall> all = calls.remove(c.index());
                    List<ToolCall> whole = all == null ? List.of() : all;
                    out.add(new LmChunk(c.text(), c.index(), GeminiCodec.withCalls(c.finishReason(), whole), null,
                            whole));
                } else if (!c.text().isEmpty()) {
                    out.add(new LmChunk(c.text(), c.index(), null, null));
                }
            }
        }

        /** Gemini marks no end of stream: a body that ends after every candidate finished is complete. */
        @Override
        protected List<LmChunk> atEnd(boolean partial) {
            if (partial || seen.isEmpty() || !finished.containsAll(seen)) {
                throw new LmException.MalformedResponse("LM stream from " + baseUrl + " ended before every candidate "
                        + "had a finish reason (truncated)" + requestIdSuffix(), null, requestId);
            }
            return List.of(LmChunk.ofUsage(usage == null ? Usage.ZERO : usage));
        }
    }

    /**
     * Embeds texts with the embedding model ({@link Builder#embeddingModel}, else the model): one text with
     * {@code embedContent}, several with one {@code batchEmbedContents}. Lazy like {@link #call}.
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
            String model = resource(embeddingModel != null ? embeddingModel : defaults.model());
            boolean one = inputs.size() == 1;
            return http.exchange(sender(model, one ? "embedContent" : "batchEmbedContents"),
                    HttpTransport.body(() -> one ? GeminiCodec.writeEmbed(model, inputs.get(0))
                            : GeminiCodec.writeBatchEmbed(model, inputs)),
                    (bytes, requestId) -> {
                        try {
                            return GeminiCodec.readEmbeddings(bytes, inputs.size());
                        } catch (GeminiCodec.EmbeddedError e) {
                            throw embeddedError(e.error, requestId);
                        }
                    }, "an embeddings response");
        });
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
        return "GeminiLm[" + id + "]";
    }

    /**
     * Configures a {@link GeminiLm}; {@link #model} is required, the base URL defaults to
     * {@value GeminiLm#DEFAULT_BASE_URL} and the API version to {@value GeminiLm#DEFAULT_API_VERSION}.
     *
     * <pre>{@code
     * GeminiLm lm = GeminiLm.builder()
     *     .apiKey(System.getenv("GEMINI_API_KEY")).model("gemini-2.5-flash")
     *     .embeddingModel("gemini-embedding-001").temperature(0.0)
     *     .defaultParam("thinkingConfig", Map.of("thinkingBudget", 0))
     *     .build();
     * }</pre>
     */
    public static final class Builder {
        private final HttpTransport.Settings settings = new HttpTransport.Settings(DEFAULT_BASE_URL);
        private String apiVersion = DEFAULT_API_VERSION;
        private @Nullable String embeddingModel;

        private Builder() {
        }

        /**
         * @param baseUrl the base URL (default {@value GeminiLm#DEFAULT_BASE_URL}), or a gateway's;
         *                {@code /{apiVersion}/models/{model}:generateContent} is appended
         * @return this
         * @throws IllegalArgumentException when it is not an http(s) URL, or holds credentials, a query or fragment
         */
        public Builder baseUrl(String baseUrl) {
            settings.baseUrl(baseUrl);
            return this;
        }

        /**
         * @param apiVersion the API version path segment (default {@value GeminiLm#DEFAULT_API_VERSION})
         * @return this
         * @throws IllegalArgumentException when blank or not a single path segment
         */
        public Builder apiVersion(String apiVersion) {
            if (apiVersion == null || !apiVersion.strip().matches("[A-Za-z0-9._\\-]+")) {
                throw new IllegalArgumentException("apiVersion must be one path segment such as v1beta or v1, got '"
                        + apiVersion + "'");
            }
            this.apiVersion = apiVersion.strip();
            return this;
        }

        /**
         * @param apiKey the key sent as {@code x-goog-api-key} (kept out of URLs, logs, errors, {@link #id()} and
         *               {@code toString()}); null or blank sends none
         * @return this
         */
        public Builder apiKey(@Nullable String apiKey) {
            settings.apiKey = apiKey;
            return this;
        }

        /**
         * @param model the default model, e.g. {@code gemini-2.5-flash} (a request's {@link CallConfig#model()}
         *              overrides it)
         * @return this
         * @throws IllegalArgumentException when blank or not a model name
         */
        public Builder model(String model) {
            settings.defaults = settings.defaults.withModel(model);
            resource(model);
            return this;
        }

        /**
         * @param model the model {@link #embed} uses, e.g. {@code gemini-embedding-001}; null: the {@link #model}
         * @return this
         * @throws IllegalArgumentException when blank or not a model name
         */
        public Builder embeddingModel(@Nullable String model) {
            if (model != null) {
                if (model.isBlank()) {
                    throw new IllegalArgumentException("embeddingModel must not be blank");
                }
                resource(model);
            }
            this.embeddingModel = model;
            return this;
        }

        /**
         * @param temperature default temperature ({@code >= 0}; Gemini accepts up to 2)
         * @return this
         */
        public Builder temperature(@Nullable Double temperature) {
            settings.defaults = settings.defaults.withTemperature(temperature);
            return this;
        }

        /**
         * @param maxTokens default {@code maxOutputTokens} ({@code >= 1}; null: the model's)
         * @return this
         */
        public Builder maxTokens(@Nullable Integer maxTokens) {
            settings.defaults = settings.defaults.withMaxTokens(maxTokens);
            return this;
        }

        /**
         * @param name  a {@code generationConfig} field under Gemini's name (e.g. {@code topP}), or a top-level field
         *              ({@code safetySettings}, {@code cachedContent}, {@code labels}), sent with every request
         *              unless the request sets it
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
         * @param defaults the parameters sent with every request unless the request sets them
         * @return this
         * @throws IllegalArgumentException when null or it sets a rollout id (a per-call tag)
         */
        public Builder defaults(CallConfig defaults) {
            settings.defaults(defaults);
            return this;
        }

        /**
         * @param name  header name
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
         * @param timeout longest wait for the response's first byte and between two reads of its body (default 5 min)
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
         * @param timeout longest wait for a free pooled connection (default 60 s); a call that waits longer fails
         *                with a retryable {@link LmException.Connection}
         * @return this
         */
        public Builder pendingAcquireTimeout(Duration timeout) {
            settings.pendingAcquireTimeout = HttpTransport.Settings.positive("pendingAcquireTimeout", timeout);
            return this;
        }

        /**
         * @param maxIdleTime how long an idle pooled connection is kept (default 4 s)
         * @return this
         */
        public Builder maxIdleTime(Duration maxIdleTime) {
            settings.maxIdleTime = HttpTransport.Settings.positive("maxIdleTime", maxIdleTime);
            return this;
        }

        /**
         * @return the client, owning a new connection pool
         * @throws IllegalArgumentException when the model is missing
         */
        public GeminiLm build() {
            String model = settings.defaults.model();
            if (model == null) {
                throw new IllegalArgumentException("GeminiLm needs a model, e.g. gemini-2.5-flash");
            }
            resource(model);
            return new GeminiLm(this);
        }
    }
}

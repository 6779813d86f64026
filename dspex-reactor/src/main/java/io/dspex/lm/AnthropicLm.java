package io.dspex.lm;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * A {@link LanguageModel} for Anthropic's Messages API ({@code POST {baseUrl}/v1/messages}), native rather than
 * through an OpenAI-compatible gateway, so that tools, prompt-cache usage and Anthropic's error model arrive whole.
 * Built like {@link OpenAiCompatibleLm} on Reactor Netty: one {@code HttpClient} and one bounded connection pool per
 * instance; every call is a lazy, independent exchange that holds no thread while it waits.
 *
 * <pre>{@code
 * try (AnthropicLm lm = AnthropicLm.builder()
 *         .apiKey(System.getenv("ANTHROPIC_API_KEY"))
 *         .model("claude-sonnet-4-5")
 *         .maxTokens(1024)
 *         .build()) {
 *     String answer = lm.call(LmRequest.of(List.of(Message.user("2+2?")))).map(LmResponse::text).block();
 * }
 * }</pre>
 *
 * <p>How a request is sent:
 * <ul>
 *   <li>the key goes in {@code x-api-key}, the API version in {@code anthropic-version} (default
 *       {@value #DEFAULT_ANTHROPIC_VERSION}); beta features are switched on with
 *       {@code header("anthropic-beta", ..)};</li>
 *   <li>leading system messages become the top-level {@code system} (a system message after the first user or
 *       assistant turn is rejected: Anthropic has no place for it);</li>
 *   <li>{@code max_tokens} is always sent: the request's, else the builder's (default {@value #DEFAULT_MAX_TOKENS});
 *       stop sequences as {@code stop_sequences}; a seed is rejected (Anthropic has none);</li>
 *   <li>{@code n > 1} is sent as {@code n} parallel requests (Anthropic has no {@code n}); their choices come back in
 *       request order and their usage is summed;</li>
 *   <li>tools (OpenAI's function format in {@link LmRequest#tools()}) become Anthropic tools with an
 *       {@code input_schema}; a tool choice {@code auto}/{@code required}/{@code none}/a function becomes
 *       {@code auto}/{@code any}/{@code none}/{@code tool}; an assistant message's {@link ToolCall}s become
 *       {@code tool_use} blocks and consecutive {@link Message#tool tool messages} one user turn of
 *       {@code tool_result} blocks; image parts become image blocks (base64 {@code data:} URI or URL);</li>
 *   <li>a {@code json_schema} response format becomes {@code output_config.format} (structured outputs); a
 *       {@code json_object} format has no Anthropic counterpart and is not sent;</li>
 *   <li>extra parameters ({@link CallConfig#extra()}, {@link Builder#defaultParam}) go at the top level under
 *       Anthropic's names ({@code top_k}, {@code metadata}, {@code thinking}, ...).</li>
 * </ul>
 *
 * <p>Responses: text blocks joined; {@code tool_use} blocks as {@link LmResponse#toolCalls()}; stop reasons in the
 * library's words ({@code end_turn}/{@code stop_sequence} -> {@code stop}, {@code max_tokens} -> {@code length},
 * {@code tool_use} -> {@code tool_calls}, {@code refusal} -> {@code content_filter}); {@link Usage} with the prompt
 * as uncached input plus cache reads ({@link Usage#cachedTokens()}) and writes ({@link Usage#cacheCreationTokens()});
 * the {@code request-id} header as {@link LmResponse#requestId()}.
 *
 * <p>Errors are typed by HTTP status as for every client ({@link LmException#forStatus}), with Anthropic's
 * {@code error.type} in the message: {@code invalid_request_error} 400, {@code authentication_error} 401,
 * {@code permission_error} 403, {@code not_found_error} 404, {@code request_too_large} 413 (not retryable),
 * {@code rate_limit_error} 429 with {@code retry-after}, {@code api_error} 500 and {@code overloaded_error} 529
 * (retryable). An {@code error} event in the middle of a stream fails it with {@link LmException.StreamError},
 * retryable for {@code overloaded_error}, {@code api_error}, {@code rate_limit_error} and {@code timeout_error}.
 *
 * <p><b>Embeddings are not offered</b>: Anthropic has no embeddings API (it points to Voyage AI); use an
 * {@link OpenAiCompatibleLm} or {@link GeminiLm} for {@code embed}.
 *
 * <p>It never retries, sleeps or caches: failures arrive as {@link LmException}s for the program layer to retry.
 * Cancelling a subscription closes its connection. Call {@link #close()} when done to release the pool.
 */
public final class AnthropicLm implements LanguageModel, AutoCloseable, Disposable {

    /** The base URL Anthropic documents. */
    public static final String DEFAULT_BASE_URL = "https://api.anthropic.com";
    /** The {@code anthropic-version} header sent unless the builder sets another. */
    public static final String DEFAULT_ANTHROPIC_VERSION = "2023-06-01";
    /** The {@code max_tokens} sent when neither the request nor the builder sets one (Anthropic requires it). */
    public static final int DEFAULT_MAX_TOKENS = 4096;

    private final HttpTransport http;
    private final String baseUrl;
    private final CallConfig defaults;
    private final String id;
    private final HttpClient.RequestSender messagesPost;

    private AnthropicLm(Builder b) {
        HttpTransport.Settings s = b.settings;
        this.http = new HttpTransport(s, "dspex-anthropic", "an Anthropic message", "x-api-key",
                Map.of("anthropic-version", b.anthropicVersion), ChatCodec::readError);
        this.baseUrl = http.baseUrl();
        this.defaults = s.defaults.maxTokens() == null ? s.defaults.withMaxTokens(DEFAULT_MAX_TOKENS) : s.defaults;
        this.id = buildId(baseUrl, defaults, b.anthropicVersion);
        this.messagesPost = http.post(URI.create(baseUrl + "/v1/messages"));
    }

    private static String buildId(String baseUrl, CallConfig d, String version) {
        StringBuilder sb = new StringBuilder("anthropic:").append(baseUrl).append('|').append(d.model());
        Map<String, Object> sorted = new TreeMap<>(d.extra());
        sorted.put("max_tokens", d.maxTokens());
        if (d.temperature() != null) {
            sorted.put("temperature", d.temperature());
        }
        if (d.n() != null) {
            sorted.put("n", d.n());
        }
        if (d.stop() != null) {
            sorted.put("stop_sequences", d.stop());
        }
        if (!version.equals(DEFAULT_ANTHROPIC_VERSION)) {
            sorted.put("anthropic_version", version);
        }
        return sb.append('|').append(sorted).toString();
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return {@code anthropic:<baseUrl>|<model>|{max_tokens=.., ...}}: the default parameters; never the API key or
     *         headers
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

    /** @return the default {@code max_tokens} */
    public int maxTokens() {
        return defaults.maxTokens();
    }

    @Override
    public Mono<LmResponse> call(LmRequest request) {
        if (request == null) {
            return Mono.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        int n = choices(request);
        if (n == 1) {
            return Mono.defer(() -> one(request));
        }
        LmRequest single = request.withConfig(request.config().withN(null));
        return Flux.range(0, n)
                .flatMap(i -> one(single).map(r -> Map.entry(i, r)), n)
                .collectList()
                .map(AnthropicLm::combine);
    }

    private Mono<LmResponse> one(LmRequest request) {
        return Mono.defer(() -> http.exchange(messagesPost, body(request, false), this::readMessage,
                "an Anthropic message"));
    }

    private int choices(LmRequest request) {
        Integer n = request.config().n() != null ? request.config().n() : defaults.n();
        return n == null ? 1 : n;
    }

    /** The responses of {@code n} parallel requests as one response: choices in request order, usage summed. */
    private static LmResponse combine(List<Map.Entry<Integer, LmResponse>> responses) {
        List<Map.Entry<Integer, LmResponse>> sorted = new ArrayList<>(responses);
        sorted.sort(Comparator.comparingInt(Map.Entry::getKey));
        List<LmResponse.Choice> choices = new ArrayList<>(sorted.size());
        Usage usage = Usage.ZERO;
        for (Map.Entry<Integer, LmResponse> e : sorted) {
            choices.add(e.getValue().choices().get(0));
            usage = usage.plus(e.getValue().usage());
        }
        LmResponse first = sorted.get(0).getValue();
        return new LmResponse(choices, usage, first.model(), first.requestId(), null);
    }

    /** The request body, written once (see {@link HttpTransport#body}). */
    Mono<ByteBuf> body(LmRequest request, boolean stream) {
        return HttpTransport.body(() -> AnthropicCodec.writeMessages(request, defaults, stream));
    }

    private LmResponse readMessage(byte[] bytes, @Nullable String requestId) throws IOException {
        try {
            return AnthropicCodec.readMessage(bytes, requestId);
        } catch (AnthropicCodec.EmbeddedError e) {
            int status = AnthropicCodec.status(e.type);
            throw LmException.forStatus(status, http.scrub(e.getMessage()) + " [" + e.type + "]", null, requestId,
                    null);
        }
    }

    /**
     * Streams the answer over server-sent events ({@code "stream": true}): the text deltas of every choice as they
     * are generated, each choice's tool calls whole on its finishing chunk, and the usage on the last chunk. With
     * {@code n > 1} the {@code n} streams run in parallel, their chunks interleaved and told apart by
     * {@link LmChunk#choiceIndex()}, and one last chunk carries their summed usage. An {@code error} event fails the
     * stream with {@link LmException.StreamError}; a stream that ends before {@code message_stop} with
     * {@link LmException.MalformedResponse}. Cancelling closes the connections.
     */
    @Override
    public Flux<LmChunk> stream(LmRequest request) {
        if (request == null) {
            return Flux.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        int n = choices(request);
        if (n == 1) {
            return Flux.defer(() -> oneStream(request, 0));
        }
        LmRequest single = request.withConfig(request.config().withN(null));
        return Flux.defer(() -> {
            AtomicReference<Usage> total = new AtomicReference<>(Usage.ZERO);
            return Flux.range(0, n)
                    .flatMap(i -> oneStream(single, i), n)
                    .<LmChunk>handle((c, sink) -> {
                        if (c.usage() == null) {
                            sink.next(c);
                            return;
                        }
                        total.accumulateAndGet(c.usage(), Usage::plus);
                        if (!c.text().isEmpty() || c.finishReason() != null || !c.toolCalls().isEmpty()) {
                            sink.next(new LmChunk(c.text(), c.choiceIndex(), c.finishReason(), null, c.toolCalls()));
                        }
                    })
                    .concatWith(Mono.fromSupplier(() -> LmChunk.ofUsage(total.get())));
        });
    }

    private Flux<LmChunk> oneStream(LmRequest request, int choice) {
        return http.stream(messagesPost, body(request, true), this::readMessage,
                requestId -> new MessageStream(requestId, choice));
    }

    /**
     * Per-subscription decoding state of one Messages stream: {@code message_start}, content blocks (text deltas,
     * tool input assembled from {@code input_json_delta} fragments), {@code message_delta} with the stop reason and
     * usage, {@code message_stop}; {@code ping} and unknown events are skipped, as Anthropic asks of clients.
     */
    private final class MessageStream extends SseStream {
        private final int choice;
        private Usage usage = Usage.ZERO;
        /** Tool-use blocks by content index: id, name, input so far. */
        private final Map<Integer, String[]> toolBlocks = new HashMap<>();
        private final Map<Integer, StringBuilder> toolInputs = new HashMap<>();
        private final List<ToolCall> calls = new ArrayList<>(0);

        MessageStream(@Nullable String requestId, int choice) {
            super(requestId);
            this.choice = choice;
        }

        @Override
        protected void decode(SseDecoder.Event e, List<LmChunk> out) {
            JsonNode data;
            try {
                data = Json.MAPPER.readTree(e.data());
            } catch (IOException notJson) {
                throw malformed("an event that is not JSON (" + http.scrub(notJson.getMessage()) + "): "
                        + http.scrub(LmException.truncate(e.data())));
            }
            if (data == null || !data.isObject()) {
                throw malformed("an event that is not a JSON object: " + http.scrub(LmException.truncate(e.data())));
            }
            String type = data.path("type").asText(e.event() == null ? "" : e.event());
            switch (type) {
                case "message_start":
                    usage = AnthropicCodec.usage(data.path("message").get("usage"), null);
                    break;
                case "content_block_start": {
                    JsonNode block = data.path("content_block");
                    int index = data.path("index").asInt(-1);
                    if ("tool_use".equals(block.path("type").asText())) {
                        String name = block.path("name").asText("");
                        if (name.isBlank()) {
                            throw malformed("a tool_use block without a name");
                        }
                        toolBlocks.put(index, new String[] {block.path("id").asText(""), name});
                        toolInputs.put(index, new StringBuilder());
                    } else if ("text".equals(block.path("type").asText()) && !block.path("text").asText("").isEmpty()) {
                        out.add(new LmChunk(block.path("text").asText(), choice, null, null));
                    }
                    break;
                }
                case "content_block_delta": {
                    JsonNode delta = data.path("delta");
                    String kind = delta.path("type").asText();
                    if (kind.equals("text_delta")) {
                        String text = delta.path("text").asText("");
                        if (!text.isEmpty()) {
                            out.add(new LmChunk(text, choice, null, null));
                        }
                    } else if (kind.equals("input_json_delta")) {
                        StringBuilder input = toolInputs.get(data.path("index").asInt(-1));
                        if (input == null) {
                            throw malformed("an input_json_delta for content block " + data.path("index")
                                    + ", which is not a tool_use block");
                        }
                        input.append(delta.path("partial_json").asText(""));
                    }
                    break;
                }
                case "content_block_stop": {
                    int index = data.path("index").asInt(-1);
                    String[] tool = toolBlocks.remove(index);
                    if (tool != null) {
                        String input = toolInputs.remove(index).toString();
                        calls.add(new ToolCall(tool[0].isBlank() ? "toolu_" + calls.size() : tool[0], tool[1],
                                input.isBlank() ? "{}" : input));
                    }
                    break;
                }
                case "message_delta": {
                    usage = AnthropicCodec.usage(data.get("usage"), usage);
                    String finish = AnthropicCodec.finishReason(
                            AnthropicCodec.textOrNull(data.path("delta").get("stop_reason")));
                    out.add(new LmChunk("", choice, finish, null, List.copyOf(calls)));
                    calls.clear();
                    break;
                }
                case "message_stop":
                    out.add(new LmChunk("", choice, null, usage));
                    end();
                    break;
                case "error": {
                    JsonNode error = data.path("error");
                    String errorType = error.path("type").asText("error");
                    throw new LmException.StreamError("LM stream from " + baseUrl + " failed mid-stream: "
                            + http.scrub(LmException.truncate(error.path("message").asText(error.toString())))
                            + " [" + errorType + "]" + requestIdSuffix(), requestId,
                            AnthropicCodec.retryable(errorType));
                }
                default:
                    break;
            }
        }

        @Override
        protected List<LmChunk> atEnd(boolean partial) {
            throw malformed("that ended before message_stop (truncated)");
        }

        private LmException malformed(String what) {
            return new LmException.MalformedResponse("LM stream from " + baseUrl + " sent " + what
                    + requestIdSuffix(), null, requestId);
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
        return "AnthropicLm[" + id + "]";
    }

    /**
     * Configures an {@link AnthropicLm}; {@link #model} is required, the base URL defaults to
     * {@value AnthropicLm#DEFAULT_BASE_URL}.
     *
     * <pre>{@code
     * AnthropicLm lm = AnthropicLm.builder()
     *     .apiKey(System.getenv("ANTHROPIC_API_KEY")).model("claude-haiku-4-5")
     *     .maxTokens(2048).temperature(0.0)
     *     .header("anthropic-beta", "interleaved-thinking-2025-05-14")
     *     .build();
     * }</pre>
     */
    public static final class Builder {
        private final HttpTransport.Settings settings = new HttpTransport.Settings(DEFAULT_BASE_URL);
        private String anthropicVersion = DEFAULT_ANTHROPIC_VERSION;

        private Builder() {
        }

        /**
         * @param baseUrl the base URL as Anthropic documents it (default {@value AnthropicLm#DEFAULT_BASE_URL}), or a
         *                gateway's; {@code /v1/messages} is appended
         * @return this
         * @throws IllegalArgumentException when it is not an http(s) URL, or holds credentials, a query or fragment
         */
        public Builder baseUrl(String baseUrl) {
            settings.baseUrl(baseUrl);
            return this;
        }

        /**
         * @param apiKey the key sent as {@code x-api-key} (kept out of logs, errors, {@link #id()} and
         *               {@code toString()}); null or blank sends none
         * @return this
         */
        public Builder apiKey(@Nullable String apiKey) {
            settings.apiKey = apiKey;
            return this;
        }

        /**
         * @param model the default model, e.g. {@code claude-sonnet-4-5} (a request's {@link CallConfig#model()}
         *              overrides it)
         * @return this
         * @throws IllegalArgumentException when blank
         */
        public Builder model(String model) {
            settings.defaults = settings.defaults.withModel(model);
            return this;
        }

        /**
         * @param maxTokens the default {@code max_tokens} ({@code >= 1}; default
         *                  {@value AnthropicLm#DEFAULT_MAX_TOKENS}), sent when a request sets none
         * @return this
         * @throws IllegalArgumentException when below 1
         */
        public Builder maxTokens(int maxTokens) {
            settings.defaults = settings.defaults.withMaxTokens(maxTokens);
            return this;
        }

        /**
         * @param version the {@code anthropic-version} header (default {@value AnthropicLm#DEFAULT_ANTHROPIC_VERSION})
         * @return this
         * @throws IllegalArgumentException when blank
         */
        public Builder anthropicVersion(String version) {
            if (version == null || version.isBlank()) {
                throw new IllegalArgumentException("anthropicVersion must not be blank, e.g. "
                        + DEFAULT_ANTHROPIC_VERSION);
            }
            this.anthropicVersion = version.strip();
            return this;
        }

        /**
         * @param temperature default temperature ({@code >= 0}; Anthropic accepts up to 1)
         * @return this
         */
        public Builder temperature(@Nullable Double temperature) {
            settings.defaults = settings.defaults.withTemperature(temperature);
            return this;
        }

        /**
         * @param name  a top-level body parameter sent with every request unless the request sets it (e.g.
         *              {@code top_k}, {@code thinking})
         * @param value its JSON-serializable value (null removes it)
         * @return this
         */
        public Builder defaultParam(String name, @Nullable Object value) {
            settings.defaults = settings.defaults.withExtra(name, value);
            return this;
        }

        /**
         * Every default call parameter at once, replacing those set so far; without a max tokens, the default
         * {@value AnthropicLm#DEFAULT_MAX_TOKENS} applies.
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
         * @param name  header name (e.g. {@code anthropic-beta})
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
        public AnthropicLm build() {
            if (settings.defaults.model() == null) {
                throw new IllegalArgumentException("AnthropicLm needs a model, e.g. claude-sonnet-4-5");
            }
            return new AnthropicLm(this);
        }
    }
}

package io.dspex.test;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.lm.LmResponse;
import io.dspex.lm.ToolCall;
import io.dspex.lm.Usage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A language-model server on 127.0.0.1 for tests and load runs, speaking one {@link Protocol wire protocol}:
 * OpenAI's chat completions (the default: {@code POST /v1/chat/completions}, JSON or server-sent events with
 * {@code "stream": true}, {@code n} choices, usage; {@code POST /v1/embeddings}), Anthropic's Messages API
 * ({@code POST /v1/messages}, a key and {@code anthropic-version} required, its stream events) or the
 * Gemini API ({@code POST /v1beta/models/{model}:generateContent}, {@code :streamGenerateContent?alt=sse},
 * {@code :embedContent}, {@code :batchEmbedContents}, {@code x-goog-api-key} required). Embeddings are deterministic
 * vectors ({@link #embeddingOf}). It answers from rules, adds latency, and injects faults (statuses with
 * {@code Retry-After}, resets, slow or truncated bodies, malformed JSON, stream errors) for chosen requests or at
 * random with a seed, each in the protocol's own error bodies and events. It records what it received and counts
 * connections.
 *
 * <pre>{@code
 * try (MockLmServer server = MockLmServer.create().reply(r -> "Paris").start()) {
 *     server.faultNext(1, Fault.status(429, "slow down").withRetryAfter(1));
 *     OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("m").build();
 *     ...
 *     assertThat(server.requestCount()).isEqualTo(2);
 * }
 * try (MockLmServer claude = MockLmServer.create(MockLmServer.Protocol.ANTHROPIC).reply("Paris").start()) {
 *     AnthropicLm lm = AnthropicLm.builder().baseUrl(claude.baseUrl()).apiKey("k").model("m").build();
 * }
 * }</pre>
 *
 * <p>Rules and fault plans may change while the server runs; they are checked in the order added, and the first
 * that matches wins: a matching fault first, then per choice the {@link #replies replies in sequence}, the
 * {@link #when rules} and the {@link #reply reply}. For {@code n > 1} each choice takes the next reply in sequence or
 * applies the rule again (an Anthropic client sends one request per choice, so there each request takes one).
 *
 * <p><b>Tool calls.</b> A reply may be a whole {@link LmResponse} instead of a text ({@link #reply(LmResponse)},
 * {@link #when(Predicate, LmResponse)}, {@link #replies(LmResponse...)}): its choices, with their text, finish reason
 * and {@link ToolCall}s, answer the request (its usage too, when not zero). Each protocol writes them in its own
 * format, whole and streamed: OpenAI's {@code message.tool_calls} (content null when there is no text), streamed as
 * deltas, a call's id and name first, then its arguments in fragments; Anthropic's {@code tool_use} blocks (stop
 * reason {@code tool_use}), streamed as a {@code content_block_start} with the block and {@code input_json_delta}
 * fragments; Gemini's {@code functionCall} parts (with the call's id; finish reason {@code STOP}), a stream's calls
 * whole on the candidate's last chunk. Anthropic and Gemini carry arguments as JSON objects, so a scripted call's
 * arguments must be one there (else the server answers 500 naming the call).
 *
 * <pre>{@code
 * server.replies(LmResponse.ofToolCalls("", List.of(new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}"))))
 *       .reply("[[ ## answer ## ]]\n3\n\n[[ ## completed ## ]]");
 * }</pre>
 *
 * <p>An {@code LmResponse} answers a whole request; when it comes up as a later choice of a request with
 * {@code n > 1}, its first choice is that choice. Anthropic's one answer per request is the first choice.
 *
 * <p>{@link ScriptedLm} speaks the same script with the same names ({@code reply}, {@code when}, {@code replies},
 * {@code faultNext}, {@code faultWhen}, {@code clearFaults}, {@code latency}, {@code requests}, {@code lastRequest},
 * {@code requestCount}), so a test moves between the two without relearning it, and the protocols share it all:
 * a test of one provider's client moves to another's by changing the protocol.
 */
public final class MockLmServer implements AutoCloseable {

    private static final byte[] EMPTY = new byte[0];

    /**
     * The wire protocol a server speaks: the paths it serves, the request fields it reads, and the bodies, streams
     * and error bodies it answers with. {@link LanguageModelContract#createServer()} picks one per provider.
     */
    public enum Protocol {
        /** OpenAI's chat completions and embeddings under {@code /v1}: the default. */
        OPENAI(new OpenAiWire()),
        /** Anthropic's Messages API, {@code /v1/messages}; no embeddings. */
        ANTHROPIC(new AnthropicWire()),
        /** The Gemini API, {@code /v1beta/models/{model}:generateContent} and its stream and embeddings methods. */
        GEMINI(new GeminiWire());

        private final Wire wire;

        Protocol(Wire wire) {
            this.wire = wire;
        }

        Wire wire() {
            return wire;
        }
    }

    private record Rule(Predicate<ParsedRequest> when, Function<ParsedRequest, ?> reply) {
    }

    private record Plan(BiPredicate<Long, ParsedRequest> when, Fault fault) {
    }

    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final List<Plan> plans = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Object> sequence = new ConcurrentLinkedQueue<>();
    private volatile Function<ParsedRequest, ?> fallback = r -> "mock reply";
    private volatile Duration minLatency = Duration.ZERO;
    private volatile Duration maxLatency = Duration.ZERO;
    private volatile long latencySeed;
    private volatile int dimensions = 16;
    private volatile boolean record = true;
    private volatile int maxRecorded = 100_000;
    private volatile @Nullable Duration chunkInterval;

    private final AtomicLong received = new AtomicLong();
    private final ConcurrentLinkedQueue<ParsedRequest> recorded = new ConcurrentLinkedQueue<>();
    private final AtomicInteger recordedSize = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong closed = new AtomicLong();
    private volatile @Nullable DisposableServer server;
    private final Protocol protocol;
    private final Wire wire;

    private MockLmServer(Protocol protocol) {
        this.protocol = protocol;
        this.wire = protocol.wire();
    }

    /** @return an OpenAI-compatible server, not yet started; configure it, then {@link #start()} */
    public static MockLmServer create() {
        return new MockLmServer(Protocol.OPENAI);
    }

    /**
     * @param protocol the wire protocol to speak
     * @return a server of that protocol, not yet started; configure it, then {@link #start()}
     * @throws IllegalArgumentException when the protocol is null
     */
    public static MockLmServer create(Protocol protocol) {
        requireNonNull(protocol, "protocol");
        return new MockLmServer(protocol);
    }

    /** @return the wire protocol this server speaks */
    public Protocol protocol() {
        return protocol;
    }

    /**
     * Binds 127.0.0.1 on a free port. Takes milliseconds.
     *
     * @return this server
     * @throws IllegalStateException when already started
     */
    public MockLmServer start() {
        return start(0);
    }

    /**
     * Binds 127.0.0.1 on the given port, for a server other processes find at a known address.
     *
     * @param port the port, or 0 for a free one
     * @return this server
     * @throws IllegalStateException    when already started
     * @throws IllegalArgumentException when the port is outside 0..65535
     */
    public synchronized MockLmServer start(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        if (server != null) {
            throw new IllegalStateException("MockLmServer already started on " + baseUrl());
        }
        server = HttpServer.create()
                .host("127.0.0.1")
                .port(port)
                .doOnChannelInit((observer, channel, address) -> {
                    open.incrementAndGet();
                    opened.incrementAndGet();
                    channel.closeFuture().addListener(f -> {
                        open.decrementAndGet();
                        closed.incrementAndGet();
                    });
                })
                .handle(this::handle)
                .bindNow(Duration.ofSeconds(10));
        return this;
    }

    /** Stops the server and closes its connections. Idempotent. */
    @Override
    public synchronized void close() {
        DisposableServer s = server;
        if (s != null) {
            s.disposeNow(Duration.ofSeconds(5));
        }
    }

    /** @return the port bound */
    public int port() {
        DisposableServer s = server;
        if (s == null) {
            throw new IllegalStateException("MockLmServer is not started: call start()");
        }
        return s.port();
    }

    /**
     * @return the base URL a client of the protocol is configured with: {@code http://127.0.0.1:PORT/v1} for OpenAI
     *         (as OpenAI documents {@code https://api.openai.com/v1}), {@code http://127.0.0.1:PORT} for Anthropic and
     *         Gemini (as their clients take {@code https://api.anthropic.com} and
     *         {@code https://generativelanguage.googleapis.com})
     */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + wire.basePath();
    }

    // ---------------------------------------------------------------- rules

    /**
     * @param text the reply to every chat request no other rule answers
     * @return this
     */
    public MockLmServer reply(String text) {
        requireNonNull(text, "reply text");
        return reply(r -> text);
    }

    /**
     * @param reply computes the reply to a chat request no other rule answers
     * @return this
     */
    public MockLmServer reply(Function<ParsedRequest, String> reply) {
        requireNonNull(reply, "reply function");
        this.fallback = reply;
        return this;
    }

    /**
     * @param when which requests
     * @param text the reply
     * @return this
     */
    public MockLmServer when(Predicate<ParsedRequest> when, String text) {
        requireNonNull(text, "reply text");
        return when(when, r -> text);
    }

    /**
     * @param when which requests
     * @param reply computes the reply
     * @return this
     */
    public MockLmServer when(Predicate<ParsedRequest> when, Function<ParsedRequest, String> reply) {
        requireNonNull(when, "predicate");
        requireNonNull(reply, "reply function");
        rules.add(new Rule(when, reply));
        return this;
    }

    /**
     * @param texts replies given in order, one per choice, before the rules and the fallback apply again
     * @return this
     */
    public MockLmServer replies(String... texts) {
        for (String t : texts) {
            requireNonNull(t, "reply text");
            sequence.add(t);
        }
        return this;
    }

    /**
     * @param response the whole answer (text, tool calls, finish reason of each choice; usage when not zero) to every
     *                 chat request no other rule answers
     * @return this
     */
    public MockLmServer reply(LmResponse response) {
        requireNonNull(response, "reply response");
        this.fallback = r -> response;
        return this;
    }

    /**
     * @param when     which requests
     * @param response the whole answer
     * @return this
     */
    public MockLmServer when(Predicate<ParsedRequest> when, LmResponse response) {
        requireNonNull(when, "predicate");
        requireNonNull(response, "reply response");
        rules.add(new Rule(when, r -> response));
        return this;
    }

    /**
     * @param responses whole answers given in order, one per request, in the same sequence as
     *                  {@link #replies(String...)}
     * @return this
     */
    public MockLmServer replies(LmResponse... responses) {
        for (LmResponse r : responses) {
            requireNonNull(r, "reply response");
            sequence.add(r);
        }
        return this;
    }

    /**
     * @param dimensions length of the embedding vectors (default 16)
     * @return this
     */
    public MockLmServer embeddingDimensions(int dimensions) {
        if (dimensions < 1) {
            throw new IllegalArgumentException("embedding dimensions must be >= 1, got " + dimensions);
        }
        this.dimensions = dimensions;
        return this;
    }

    /**
     * @param latency added before every answer
     * @return this
     */
    public MockLmServer latency(Duration latency) {
        return latency(latency, latency, 0);
    }

    /**
     * @param min  shortest added latency
     * @param max  longest added latency
     * @param seed seed of the per-request uniform choice (the same request number gets the same latency)
     * @return this
     */
    public MockLmServer latency(Duration min, Duration max, long seed) {
        if (min == null || max == null || min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("latency needs 0 <= min <= max, got " + min + ".." + max);
        }
        this.minLatency = min;
        this.maxLatency = max;
        this.latencySeed = seed;
        return this;
    }

    /**
     * Paces streamed replies: every server-sent event of a stream goes out as its own write and flush,
     * {@code interval} after the one before ({@link Duration#ZERO}: back to back). By default (and after
     * {@link #reset()}) a stream's events go out together in one write. A reply streams one event per word, so
     * a reply of 500 words streams 500 content chunks.
     *
     * <pre>{@code
     * server.reply("one two three").streamChunkInterval(Duration.ofMillis(2)); // 3 chunks, 2 ms apart
     * }</pre>
     *
     * @param interval the pause between two events, zero or positive
     * @return this
     * @throws IllegalArgumentException when null or negative
     */
    public MockLmServer streamChunkInterval(Duration interval) {
        if (interval == null || interval.isNegative()) {
            throw new IllegalArgumentException("stream chunk interval must be zero or positive, got " + interval);
        }
        this.chunkInterval = interval;
        return this;
    }

    /**
     * @param record whether to keep received requests for {@link #requests()} (default true)
     * @return this
     */
    public MockLmServer recordRequests(boolean record) {
        this.record = record;
        return this;
    }

    // ---------------------------------------------------------------- faults

    /**
     * @param fault applied to every request
     * @return this
     */
    public MockLmServer fault(Fault fault) {
        return addPlan((n, r) -> true, fault);
    }

    /**
     * @param nth the request number (from 1, counted since start or reset)
     * @param fault the fault
     * @return this
     */
    public MockLmServer faultOn(long nth, Fault fault) {
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be >= 1, got " + nth);
        }
        return addPlan((n, r) -> n == nth, fault);
    }

    /**
     * @param count how many of the next requests
     * @param fault the fault they get
     * @return this
     */
    public MockLmServer faultNext(int count, Fault fault) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        long base = received.get();
        return addPlan((n, r) -> n > base && n <= base + count, fault);
    }

    /**
     * @param when which requests
     * @param fault the fault they get
     * @return this
     */
    public MockLmServer faultWhen(Predicate<ParsedRequest> when, Fault fault) {
        requireNonNull(when, "predicate");
        return addPlan((n, r) -> when.test(r), fault);
    }

    /**
     * @param probability chance in [0, 1] that a request gets the fault
     * @param seed        seed of the per-request draw (request number n always draws the same)
     * @param fault       the fault
     * @return this
     */
    public MockLmServer faultRandomly(double probability, long seed, Fault fault) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability must be in [0, 1], got " + probability);
        }
        return addPlan((n, r) -> new SplittableRandom(seed * 0x9E3779B97F4A7C15L + n).nextDouble() < probability, fault);
    }

    private MockLmServer addPlan(BiPredicate<Long, ParsedRequest> when, Fault fault) {
        requireNonNull(fault, "fault");
        plans.add(new Plan(when, fault));
        return this;
    }

    /**
     * Removes every fault plan.
     * @return this
     */
    public MockLmServer clearFaults() {
        plans.clear();
        return this;
    }

    /**
     * Forgets rules, replies, faults, latency, stream pacing, recorded requests and the request count; connection
     * counters and the port stay.
     *
     * @return this
     */
    public MockLmServer reset() {
        rules.clear();
        plans.clear();
        sequence.clear();
        fallback = r -> "mock reply";
        minLatency = Duration.ZERO;
        maxLatency = Duration.ZERO;
        chunkInterval = null;
        recorded.clear();
        recordedSize.set(0);
        received.set(0);
        return this;
    }

    // ---------------------------------------------------------------- observation

    /** @return the requests received (oldest first; at most the last 100 000) */
    public List<ParsedRequest> requests() {
        return List.copyOf(recorded);
    }

    /** @return the last request received, or null when none was */
    public @Nullable ParsedRequest lastRequest() {
        List<ParsedRequest> all = requests();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** @return how many requests arrived since start or reset */
    public long requestCount() {
        return received.get();
    }

    /** @return connections currently open */
    public int openConnections() {
        return open.get();
    }

    /** @return connections accepted since start */
    public long connectionsOpened() {
        return opened.get();
    }

    /** @return connections closed since start (by either side) */
    public long connectionsClosed() {
        return closed.get();
    }

    /**
     * Waits on the calling (test) thread until at least {@code count} connections have closed.
     *
     * @param count   the number of closed connections to wait for
     * @param timeout the longest wait
     * @return whether the count was reached in time
     */
    public boolean awaitConnectionsClosed(long count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (closed.get() < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        return true;
    }

    // ---------------------------------------------------------------- serving

    private Publisher<Void> handle(HttpServerRequest req, HttpServerResponse res) {
        long arrived = System.nanoTime();
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        String query = q < 0 ? "" : uri.substring(q + 1);
        String method = req.method().name();
        Wire.Endpoint endpoint = wire.route(path);
        if (endpoint == null) {
            byte[] other = wire.other(method, path);
            return other != null ? sendJson(res, 200, other, Map.of())
                    : sendJson(res, 404, wire.errorBody(404, "unknown path " + path), Map.of());
        }
        if (!method.equals("POST")) {
            return sendJson(res, 405, wire.errorBody(405, "use POST for " + path), Map.of());
        }
        return req.receive().aggregate().asByteArray().defaultIfEmpty(EMPTY).flatMap(bytes -> {
            JsonNode json;
            try {
                json = ParsedRequest.MAPPER.readTree(bytes);
            } catch (IOException e) {
                json = null;
            }
            long number = received.incrementAndGet();
            if (json == null || !json.isObject()) {
                return sendJson(res, 400, wire.errorBody(400, "request body is not a JSON object"), Map.of());
            }
            Map<String, String> headers = new LinkedHashMap<>();
            req.requestHeaders().forEach(e -> headers.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
            ParsedRequest pr = new ParsedRequest(number, arrived, path, query, Collections.unmodifiableMap(headers),
                    bytes, json, protocol);
            if (record) {
                recorded.add(pr);
                if (recordedSize.incrementAndGet() > maxRecorded) {
                    recorded.poll();
                    recordedSize.decrementAndGet();
                }
            }
            Fault fault = null;
            for (Plan p : plans) {
                if (p.when().test(number, pr)) {
                    fault = p.fault();
                    break;
                }
            }
            Mono<Void> answer = answer(req, res, pr, fault);
            Duration latency = latencyFor(number);
            return latency.isZero() ? answer : Mono.delay(latency).then(answer);
        });
    }

    private Duration latencyFor(long number) {
        Duration min = minLatency;
        Duration max = maxLatency;
        if (max.isZero()) {
            return Duration.ZERO;
        }
        if (min.equals(max)) {
            return min;
        }
        long nanos = new SplittableRandom(latencySeed * 0x9E3779B97F4A7C15L + number)
                .nextLong(min.toNanos(), max.toNanos() + 1);
        return Duration.ofNanos(nanos);
    }

    private Mono<Void> answer(HttpServerRequest req, HttpServerResponse res, ParsedRequest pr,
                              @Nullable Fault fault) {
        if (fault != null) {
            switch (fault.kind()) {
                case STATUS: {
                    byte[] body = fault.rawBody() != null ? fault.rawBody().getBytes(StandardCharsets.UTF_8)
                            : wire.errorBody(fault.statusCode(), fault.message());
                    return sendJson(res, fault.statusCode(), body, fault.headers());
                }
                case RESET_BEFORE_HEADERS:
                    return Mono.fromRunnable(() -> req.withConnection(c -> reset(c.channel())));
                case DELAY:
                    return Mono.delay(fault.duration()).then(Mono.defer(() -> answer(req, res, pr, null)));
                case HANG:
                    return Mono.never();
                default:
                    break;
            }
            if (fault.kind() == Fault.Kind.STREAM_ERROR && !pr.stream()) {
                return sendJson(res, 500, wire.errorBody(500, fault.message()), fault.headers());
            }
        }
        List<byte[]> pieces;
        boolean sse = pr.isChat() && pr.stream();
        Fault.Kind kind = fault == null ? null : fault.kind();
        try {
            wire.check(pr);
            if (pr.isEmbeddings()) {
                pieces = List.of(wire.embeddingsBody(pr, dimensions));
            } else {
                Wire.Answer answer = answerOf(pr);
                if (sse) {
                    pieces = wire.sseEvents(pr, answer, kind);
                } else {
                    pieces = List.of(kind == Fault.Kind.MALFORMED_JSON ? wire.malformedBody()
                            : wire.chatBody(pr, answer));
                }
            }
        } catch (Wire.Rejected e) {
            return sendJson(res, e.status, wire.errorBody(e.status, e.getMessage()), Map.of());
        }
        res.status(200);
        String idHeader = wire.requestIdHeader();
        if (idHeader != null) {
            res.header(idHeader, "req_mock_" + pr.number());
        }
        if (fault != null) {
            fault.headers().forEach(res::header);
        }
        res.header(HttpHeaderNames.CONTENT_TYPE, sse ? "text/event-stream" : "application/json");
        if (sse) {
            res.header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        }
        if (kind == null || kind == Fault.Kind.MALFORMED_JSON || kind == Fault.Kind.STREAM_ERROR) {
            if (pieces.size() == 1) {
                byte[] b = pieces.get(0);
                res.header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(b.length));
                return res.sendObject(Unpooled.wrappedBuffer(b)).then();
            }
            Duration interval = chunkInterval;
            if (sse && interval != null) {
                Flux<byte[]> events = Flux.fromIterable(pieces);
                if (!interval.isZero()) {
                    events = events.delayElements(interval, reactor.core.scheduler.Schedulers.parallel());
                }
                return res.send(events.map(Unpooled::wrappedBuffer), b -> true).then();
            }
            return res.sendObject(Unpooled.wrappedBuffer(pieces.toArray(new byte[0][]))).then();
        }
        switch (kind) {
            case SLOW_BODY: {
                List<byte[]> parts = pieces.size() > 1 ? pieces : split(pieces.get(0), 8);
                return res.send(Flux.fromIterable(parts).delayElements(fault.duration(), reactor.core.scheduler.Schedulers.parallel())
                        .map(Unpooled::wrappedBuffer), b -> true).then();
            }
            case TRUNCATED: {
                if (sse) {
                    List<byte[]> kept = pieces.subList(0, Math.max(1, pieces.size() / 2));
                    return res.sendObject(Unpooled.wrappedBuffer(kept.toArray(new byte[0][]))).then();
                }
                byte[] b = pieces.get(0);
                return res.sendObject(Unpooled.wrappedBuffer(b, 0, b.length / 2)).then();
            }
            case RESET_MID_BODY: {
                byte[] all = concat(pieces);
                if (!sse) {
                    res.header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(all.length));
                }
                Channel[] channel = new Channel[1];
                req.withConnection(c -> channel[0] = c.channel());
                ByteBuf half = Unpooled.wrappedBuffer(all, 0, Math.max(1, all.length / 2));
                return res.send(Mono.just(half), b -> true).then()
                        .then(Mono.fromRunnable(() -> reset(channel[0])));
            }
            default:
                throw new IllegalStateException("unhandled fault " + fault);
        }
    }

    private static void reset(Channel channel) {
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
    }

    private static Mono<Void> sendJson(HttpServerResponse res, int status, byte[] body, Map<String, String> headers) {
        res.status(HttpResponseStatus.valueOf(status));
        res.header(HttpHeaderNames.CONTENT_TYPE, "application/json");
        res.header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
        headers.forEach(res::header);
        return res.sendObject(Unpooled.wrappedBuffer(body)).then();
    }

    /** The answer to a chat request: per choice the next reply; a whole response answers the request. */
    private Wire.Answer answerOf(ParsedRequest pr) {
        int n = pr.n();
        int prompt = promptTokens(pr);
        List<LmResponse.Choice> choices = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Object reply = replyFor(pr);
            if (reply instanceof LmResponse r) {
                if (i == 0) {
                    return new Wire.Answer(r.choices(), r.usage().equals(Usage.ZERO) ? null : r.usage(), prompt);
                }
                choices.add(r.choices().get(0));
            } else {
                choices.add(new LmResponse.Choice(String.valueOf(reply), "stop"));
            }
        }
        return new Wire.Answer(choices, null, prompt);
    }

    private Object replyFor(ParsedRequest pr) {
        Object next = sequence.poll();
        if (next != null) {
            return next;
        }
        for (Rule r : rules) {
            if (r.when().test(pr)) {
                return r.reply().apply(pr);
            }
        }
        return fallback.apply(pr);
    }

    /** The prompt's token count the server reports: the words of every message plus 3 per message. */
    private static int promptTokens(ParsedRequest pr) {
        int t = 0;
        for (io.dspex.lm.Message m : pr.messages()) {
            t += Wire.words(m.content()) + 3;
        }
        return t;
    }

    /** Splits a reply into word-sized deltas, spaces kept with the word that follows them. */
    static List<String> deltas(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < text.length(); i++) {
            if (Character.isWhitespace(text.charAt(i)) && !Character.isWhitespace(text.charAt(i - 1))) {
                out.add(text.substring(start, i));
                start = i;
            }
        }
        if (start < text.length()) {
            out.add(text.substring(start));
        }
        return out;
    }

    /** A tool call's arguments in pieces of at most 7 characters, as a stream delivers them. */
    static List<String> fragments(String arguments) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < arguments.length(); i += 7) {
            out.add(arguments.substring(i, Math.min(arguments.length(), i + 7)));
        }
        return out;
    }

    /**
     * The deterministic unit vector the server answers for a text: the same text always gives the same vector.
     *
     * @param text       the input
     * @param dimensions the vector length
     * @return the vector
     */
    public static float[] embeddingOf(String text, int dimensions) {
        SplittableRandom random = new SplittableRandom(text.hashCode() * 0x9E3779B97F4A7C15L + text.length());
        float[] v = new float[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
            norm += v[i] * v[i];
        }
        float scale = (float) (1 / Math.sqrt(norm == 0 ? 1 : norm));
        for (int i = 0; i < dimensions; i++) {
            v[i] *= scale;
        }
        return v;
    }

    private static List<byte[]> split(byte[] b, int parts) {
        List<byte[]> out = new ArrayList<>(parts);
        int size = Math.max(1, (b.length + parts - 1) / parts);
        for (int i = 0; i < b.length; i += size) {
            out.add(java.util.Arrays.copyOfRange(b, i, Math.min(b.length, i + size)));
        }
        return out;
    }

    private static byte[] concat(List<byte[]> pieces) {
        int n = 0;
        for (byte[] p : pieces) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] p : pieces) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }

    private static void requireNonNull(@Nullable Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }

    @Override
    public String toString() {
        DisposableServer s = server;
        return "MockLmServer[" + (s == null ? "not started" : baseUrl()) + ", requests=" + received.get() + "]";
    }
}

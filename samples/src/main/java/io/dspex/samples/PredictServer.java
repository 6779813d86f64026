package io.dspex.samples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.StreamEvent;
import io.dspex.lm.LmException;
import io.dspex.observe.LmMeterObservationHandler;
import io.dspex.predict.Settings;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.util.context.Context;

/**
 * The {@code server} sample: a Reactor Netty HTTP server that serves a program.
 *
 * <ul>
 *   <li>{@code POST /predict} — a JSON object of input fields in; the prediction's fields plus {@code usage} out.</li>
 *   <li>{@code POST /stream} — the same input; server-sent events out: {@code event: chunk} with
 *       {@code {"field": ..., "text": ...}} as the model produces each output field, then {@code event: done} with
 *       the whole prediction (or {@code event: error}).</li>
 *   <li>{@code GET /health} — {@code {"status": "ok", "in_flight": n}}.</li>
 *   <li>{@code GET /metrics} — with {@link Builder#metrics}: the registry in Prometheus' text format, holding the
 *       gen_ai meters of the program's LM calls ({@code gen_ai_client_token_usage_tokens} by token type,
 *       {@code gen_ai_client_operation_duration_seconds}), a timer per module and per request to the model, and Reactor
 *       Netty's own server meters ({@code reactor_netty_http_server_*}).</li>
 * </ul>
 *
 * <p>Protections: a request body over {@link Builder#maxRequestBytes} gets 413; more than
 * {@link Builder#maxConcurrency} requests in flight get 429 with {@code Retry-After: 1} (nothing queues, nothing
 * blocks); a prediction that takes longer than {@link Builder#timeout} is cancelled (with its LM call) and gets 504
 * (on {@code /stream}, an {@code error} event). Malformed JSON or wrong input fields get 400, a failing LM 502.
 * {@link #close()} stops accepting connections and lets requests in flight finish for up to
 * {@link Builder#drainTimeout} (graceful shutdown; the sample's main does this on SIGTERM or Ctrl-C).
 *
 * <pre>{@code
 * PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * try (PredictServer server = PredictServer.builder(program).port(8080).metrics(prometheus).build().start()) {
 *     server.onDispose().block();
 * }
 * }</pre>
 *
 * <p>Metrics: every prediction runs with an {@code ObservationRegistry} whose handlers write meters into the given
 * registry ({@code Settings.withObservationRegistry}, per request in the Reactor Context), and Reactor Netty, which
 * records its server meters in Micrometer's global registry, gets the given registry added to that one while the
 * server runs. URIs are tagged by route (anything else as {@code /other}), so a scan of random paths cannot grow the
 * meters.
 */
public final class PredictServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PredictServer.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Program program;
    private final String host;
    private final int port;
    private final int maxRequestBytes;
    private final int maxConcurrency;
    private final Duration timeout;
    private final Duration drainTimeout;
    private final PrometheusMeterRegistry metrics;
    /** Feeds the meters of {@link #metrics}; null without metrics. */
    private final ObservationRegistry observations;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile DisposableServer server;

    private PredictServer(Builder b) {
        this.program = b.program;
        this.host = b.host;
        this.port = b.port;
        this.maxRequestBytes = b.maxRequestBytes;
        this.maxConcurrency = b.maxConcurrency;
        this.timeout = b.timeout;
        this.drainTimeout = b.drainTimeout;
        this.metrics = b.metrics;
        if (b.metrics != null) {
            ObservationRegistry o = ObservationRegistry.create();
            o.observationConfig()
                    .observationHandler(new DefaultMeterObservationHandler(b.metrics))
                    .observationHandler(new LmMeterObservationHandler(b.metrics));
            this.observations = o;
        } else {
            this.observations = null;
        }
    }

    /**
     * @param program the program to serve (with its LM configured)
     * @return a builder with the defaults: 127.0.0.1, port 8080, 16 KiB bodies, 64 in flight, 30 s timeout, 10 s
     *         drain
     * @throws IllegalArgumentException when the program is null
     */
    public static Builder builder(Program program) {
        if (program == null) {
            throw new IllegalArgumentException("program must not be null");
        }
        return new Builder(program);
    }

    /**
     * Binds the port.
     *
     * @return this server
     * @throws IllegalStateException when already started
     */
    public synchronized PredictServer start() {
        if (server != null) {
            throw new IllegalStateException("already started on port " + port());
        }
        PrometheusMeterRegistry m = metrics;
        HttpServer http = HttpServer.create()
                .host(host)
                .port(port)
                .idleTimeout(Duration.ofSeconds(60))
                // Reactor Netty drains (close waits for requests in flight) only for connections in a group.
                .channelGroup(new DefaultChannelGroup(GlobalEventExecutor.INSTANCE))
                .route(r -> {
                    r.post("/predict", (req, res) -> limited(res, () -> predict(req, res)))
                            .post("/stream", (req, res) -> limited(res, () -> stream(req, res)))
                            .get("/health", (req, res) -> json(res, HttpResponseStatus.OK,
                                    Map.of("status", "ok", "in_flight", inFlight.get())));
                    if (m != null) {
                        r.get("/metrics", (req, res) -> res.status(HttpResponseStatus.OK)
                                .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                                .sendString(Mono.fromCallable(m::scrape), StandardCharsets.UTF_8));
                    }
                });
        if (m != null) {
            // Reactor Netty records its server meters in Micrometer's global registry: add ours to it meanwhile.
            Metrics.globalRegistry.add(m);
            http = http.metrics(true, PredictServer::route);
        }
        try {
            server = http.bindNow(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            if (m != null) {
                Metrics.globalRegistry.remove(m);
            }
            throw e;
        }
        return this;
    }

    /** The URI tag of Reactor Netty's server meters: the route, so that unknown paths share one tag value. */
    private static String route(String uri) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        return switch (path) {
            case "/predict", "/stream", "/health", "/metrics" -> path;
            default -> "/other";
        };
    }

    /** The per-request settings that observe the program, when metrics are on. */
    private Function<Context, Context> observed() {
        ObservationRegistry o = observations;
        return o == null ? Function.identity() : Settings.empty().withObservationRegistry(o).asContext();
    }

    /** @return the bound port */
    public int port() {
        DisposableServer s = server;
        if (s == null) {
            throw new IllegalStateException("not started: call start()");
        }
        return s.port();
    }

    /** @return {@code http://HOST:PORT} */
    public String url() {
        return "http://" + host + ":" + port();
    }

    /** @return requests being answered right now */
    public int inFlight() {
        return inFlight.get();
    }

    /** @return completes when the server has been disposed */
    public Mono<Void> onDispose() {
        DisposableServer s = server;
        return s == null ? Mono.empty() : s.onDispose();
    }

    /**
     * Graceful shutdown: stops accepting, lets requests in flight finish for up to the drain timeout, then closes
     * what is left. Idempotent.
     */
    @Override
    public synchronized void close() {
        DisposableServer s = server;
        if (s != null && !s.isDisposed()) {
            try {
                s.disposeNow(drainTimeout);
            } catch (IllegalStateException drainTimedOut) {
                LOG.warn("requests still in flight after the {} drain timeout were cut off", drainTimeout);
            } finally {
                if (metrics != null) {
                    Metrics.globalRegistry.remove(metrics);
                }
            }
        }
    }

    // ------------------------------------------------------------------ handlers

    /** Admits the request when fewer than maxConcurrency are in flight, else answers 429 at once. */
    private Publisher<Void> limited(HttpServerResponse res, java.util.function.Supplier<Publisher<Void>> handler) {
        if (inFlight.incrementAndGet() > maxConcurrency) {
            inFlight.decrementAndGet();
            res.header(HttpHeaderNames.RETRY_AFTER, "1");
            return json(res, HttpResponseStatus.TOO_MANY_REQUESTS,
                    Map.of("error", "too many requests in flight (limit " + maxConcurrency + "); retry shortly"));
        }
        return Mono.defer(() -> Mono.from(handler.get())).doFinally(s -> inFlight.decrementAndGet());
    }

    private Mono<Void> predict(HttpServerRequest req, HttpServerResponse res) {
        return inputs(req)
                .flatMap(in -> program.forward(in).timeout(timeout).contextWrite(observed()))
                .flatMap(p -> json(res, HttpResponseStatus.OK, output(p)))
                .onErrorResume(e -> error(res, e));
    }

    private Mono<Void> stream(HttpServerRequest req, HttpServerResponse res) {
        return inputs(req).flatMap(in -> {
            AtomicBoolean finished = new AtomicBoolean();
            Flux<String> events = program.stream(in).contextWrite(observed())
                    .map(e -> {
                        if (e instanceof StreamEvent.Chunk c) {
                            return sse("chunk", Map.of("field", c.field(), "text", c.text()));
                        }
                        finished.set(true);
                        return sse("done", output(((StreamEvent.Done) e).prediction()));
                    })
                    // The deadline covers the whole stream; reaching it cancels the run and its LM call.
                    .takeUntilOther(Mono.delay(timeout))
                    .concatWith(Mono.fromSupplier(() -> finished.get() ? "" : sse("error", Map.of(
                            "error", "timed out after " + timeout, "status", 504))).filter(s -> !s.isEmpty()))
                    .onErrorResume(e -> Mono.just(sse("error", Map.of("error", message(e), "status",
                            status(e).code()))));
            return res.status(HttpResponseStatus.OK)
                    .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                    .sendString(events, StandardCharsets.UTF_8)
                    .then();
        }).onErrorResume(e -> error(res, e));
    }

    /** Reads the body (at most maxRequestBytes) as a JSON object of input fields. */
    private Mono<Map<String, Object>> inputs(HttpServerRequest req) {
        String length = req.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > maxRequestBytes) {
                    return Mono.error(new TooLarge(maxRequestBytes));
                }
            } catch (NumberFormatException e) {
                return Mono.error(new BadRequest("Content-Length is not a number: " + length));
            }
        }
        return req.receive().asByteArray()
                .collect(ByteArrayOutputStream::new, (acc, bytes) -> {
                    if (acc.size() + bytes.length > maxRequestBytes) {
                        throw new TooLarge(maxRequestBytes);
                    }
                    acc.writeBytes(bytes);
                })
                .map(acc -> {
                    JsonNode node;
                    try {
                        node = MAPPER.readTree(acc.toByteArray());
                    } catch (java.io.IOException e) {
                        throw new BadRequest("the body is not valid JSON: " + e.getMessage());
                    }
                    if (node == null || !node.isObject()) {
                        throw new BadRequest("the body must be a JSON object of input fields, e.g. "
                                + "{\"question\": \"What is 2 plus 2?\"}");
                    }
                    Map<String, Object> in = MAPPER.convertValue(node, MAP);
                    return in;
                });
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>> MAP =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };

    private static Map<String, Object> output(Prediction p) {
        Map<String, Object> out = new LinkedHashMap<>(p.toMap());
        out.put("usage", Map.of("prompt_tokens", p.usage().promptTokens(), "completion_tokens",
                p.usage().completionTokens(), "total_tokens", p.usage().totalTokens()));
        return out;
    }

    private Mono<Void> error(HttpServerResponse res, Throwable e) {
        HttpResponseStatus status = status(e);
        if (status.code() >= 500 && status.code() != 504) {
            LOG.warn("request failed with {}", status, e);
        }
        if (e instanceof TooLarge) {
            // The rest of the body is not read: close the connection after answering.
            res.keepAlive(false);
        }
        return json(res, status, Map.of("error", message(e)));
    }

    private static HttpResponseStatus status(Throwable e) {
        if (e instanceof TooLarge) {
            return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
        }
        if (e instanceof BadRequest || e instanceof IllegalArgumentException) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        if (e instanceof TimeoutException) {
            return HttpResponseStatus.GATEWAY_TIMEOUT;
        }
        if (e instanceof LmException || e.getCause() instanceof LmException) {
            return HttpResponseStatus.BAD_GATEWAY;
        }
        return HttpResponseStatus.INTERNAL_SERVER_ERROR;
    }

    private static String message(Throwable e) {
        if (e instanceof TimeoutException) {
            return "the prediction did not finish within the timeout";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static Mono<Void> json(HttpServerResponse res, HttpResponseStatus status, Object body) {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return Mono.error(e);
        }
        return res.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(bytes.length))
                .sendByteArray(Mono.just(bytes))
                .then();
    }

    private static String sse(String event, Object data) {
        try {
            return "event: " + event + "\ndata: " + MAPPER.writeValueAsString(data) + "\n\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode an SSE event", e);
        }
    }

    /**
     * The sample's entry point: serves the program saved at {@code saved} (or, if there is none, the unoptimized
     * program) until SIGTERM or Ctrl-C, then shuts down gracefully.
     *
     * @param lm    the model
     * @param saved the saved program to load
     * @param port  the port (0 for any free one)
     * @param out   where to print
     */
    public static void main(io.dspex.lm.LanguageModel lm, java.nio.file.Path saved, int port, PrintStream out) {
        PredictServer server = serve(lm, saved, port, out);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "predict-server-shutdown"));
        server.onDispose().block();
    }

    /**
     * What {@link #main} does before it waits: loads the program, starts the server with the defaults and prints
     * how to call it.
     *
     * @param lm    the model
     * @param saved the saved program to load
     * @param port  the port (0 for any free one)
     * @param out   where to print
     * @return the started server; {@link #close()} it to stop
     */
    public static PredictServer serve(io.dspex.lm.LanguageModel lm, java.nio.file.Path saved, int port,
            PrintStream out) {
        Program program = Tasks.loadOrFresh(saved, lm, out);
        PredictServer server = builder(program).port(port)
                .metrics(new PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT))
                .build().start();
        out.println("Serving on " + server.url() + " - try:");
        out.println("  curl -s " + server.url() + "/predict -H 'content-type: application/json' "
                + "-d '{\"question\": \"What is 6 times 7?\"}'");
        out.println("  curl -sN " + server.url() + "/stream -H 'content-type: application/json' "
                + "-d '{\"question\": \"What is 3 plus 4?\"}'");
        out.println("  curl -s " + server.url() + "/metrics");
        out.println("Stop with Ctrl-C (SIGTERM): requests in flight get up to 10 s to finish.");
        return server;
    }

    /** Bad input: 400. */
    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    /** A body over the limit: 413. */
    private static final class TooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLarge(int limit) {
            super("the request body is larger than " + limit + " bytes", null, false, false);
        }
    }

    /** Configures a {@link PredictServer}. */
    public static final class Builder {
        private final Program program;
        private String host = "127.0.0.1";
        private int port = 8080;
        private int maxRequestBytes = 16 * 1024;
        private int maxConcurrency = 64;
        private Duration timeout = Duration.ofSeconds(30);
        private Duration drainTimeout = Duration.ofSeconds(10);
        private PrometheusMeterRegistry metrics;

        private Builder(Program program) {
            this.program = program;
        }

        /**
         * @param host the address to bind (default 127.0.0.1; 0.0.0.0 for all)
         * @return this
         */
        public Builder host(String host) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            this.host = host;
            return this;
        }

        /**
         * @param port the port, 0 for any free one (default 8080)
         * @return this
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * @param bytes the largest request body accepted; larger gets 413 (default 16 KiB)
         * @return this
         */
        public Builder maxRequestBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxRequestBytes must be >= 1, got " + bytes);
            }
            this.maxRequestBytes = bytes;
            return this;
        }

        /**
         * @param n the most requests in flight; more get 429 (default 64)
         * @return this
         */
        public Builder maxConcurrency(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConcurrency must be >= 1, got " + n);
            }
            this.maxConcurrency = n;
            return this;
        }

        /**
         * @param timeout the longest a prediction may take; longer gets 504 (default 30 s)
         * @return this
         */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * @param drain how long {@link #close()} lets requests in flight finish (default 10 s)
         * @return this
         */
        public Builder drainTimeout(Duration drain) {
            if (drain == null || drain.isNegative()) {
                throw new IllegalArgumentException("drainTimeout must be >= 0, got " + drain);
            }
            this.drainTimeout = drain;
            return this;
        }

        /**
         * @param registry where the server's and the program's meters go, served on {@code GET /metrics} (default:
         *                 none, and no {@code /metrics})
         * @return this
         */
        public Builder metrics(PrometheusMeterRegistry registry) {
            this.metrics = registry;
            return this;
        }

        /** @return the server, not yet started */
        public PredictServer build() {
            return new PredictServer(this);
        }
    }
}

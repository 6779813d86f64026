package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Program;
import io.dspex.lm.LanguageModel;
import io.dspex.test.MockLmServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

class PredictServerTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    record Reply(int status, String retryAfter, String body) {
        JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ConnectionProvider pool = ConnectionProvider.newConnection();
    private final HttpClient client = HttpClient.create(pool).responseTimeout(Duration.ofSeconds(60));
    private GatedLm gate;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        pool.dispose();
    }

    private PredictServer start(UnaryOperator<PredictServer.Builder> config) {
        return start(lm -> lm, config);
    }

    /** Starts a server whose program calls {@code lm.apply(simulated model)}, e.g. a {@link GatedLm}. */
    private PredictServer start(UnaryOperator<LanguageModel> lm, UnaryOperator<PredictServer.Builder> config) {
        Provider provider = Provider.simulated(MockLmServer.create());
        toClose.add(provider);
        Program program = Tasks.program().withLm(lm.apply(provider.lm()));
        PredictServer server = config.apply(PredictServer.builder(program).port(0)).build().start();
        toClose.add(server);
        return server;
    }

    private Mono<Reply> post(PredictServer server, String path, Flux<String> body) {
        return client.post().uri(server.url() + path)
                .send(ByteBufFlux.fromString(body))
                .responseSingle((res, content) -> content.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .map(s -> new Reply(res.status().code(), res.responseHeaders().get(HttpHeaderNames.RETRY_AFTER), s)));
    }

    private Reply post(PredictServer server, String path, String body) {
        return post(server, path, Flux.just(body)).block(Duration.ofSeconds(60));
    }

    @Test
    void predictAnswersJsonWithTheFieldsAndUsage() {
        PredictServer server = start(b -> b);
        Reply r = post(server, "/predict", "{\"question\": \"What is 6 times 7?\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("answer").asText()).isEqualTo("42");
        assertThat(r.json().get("reasoning").asText()).isEqualTo("6 times 7 is 42.");
        assertThat(r.json().get("usage").get("total_tokens").asInt()).isPositive();
    }

    private Reply get(PredictServer server, String path) {
        return client.get().uri(server.url() + path)
                .responseSingle((res, content) -> content.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .map(s -> new Reply(res.status().code(), res.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE),
                                s)))
                .block(Duration.ofSeconds(15));
    }

    /** The value of the first Prometheus sample of {@code metric} whose labels contain {@code label}, or -1. */
    private static double sample(String scrape, String metric, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "\\{([^}]*)\\} (\\S+)$").matcher(scrape);
        while (m.find()) {
            if (m.group(1).contains(label)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }

    @Test
    void metricsAnswerInPrometheusFormatWithTheGenAiAndServerMeters() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PredictServer server = start(b -> b.metrics(prometheus));
        Reply r = post(server, "/predict", "{\"question\": \"What is 6 times 7?\"}");
        assertThat(r.status()).isEqualTo(200);
        long promptTokens = r.json().get("usage").get("prompt_tokens").asLong();
        long completionTokens = r.json().get("usage").get("completion_tokens").asLong();
        assertThat(get(server, "/no-such-path").status()).isEqualTo(404);

        Reply metrics = get(server, "/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.retryAfter()).as("content type").startsWith("text/plain; version=0.0.4");
        String text = metrics.body();
        assertThat(text).contains("# TYPE gen_ai_client_token_usage_tokens summary",
                "gen_ai_client_operation_duration_seconds_count{", "gen_ai_provider_name=\"openai\"",
                "gen_ai_request_model=", "dspex_module_seconds_count{", "gen_ai_client_operation_seconds_count{");
        assertThat(sample(text, "gen_ai_client_token_usage_tokens_sum", "gen_ai_token_type=\"input\""))
                .isEqualTo((double) promptTokens);
        assertThat(sample(text, "gen_ai_client_token_usage_tokens_sum", "gen_ai_token_type=\"output\""))
                .isEqualTo((double) completionTokens);
        assertThat(text).as("no prompt, no reply").doesNotContain("6 times 7");

        // Reactor Netty records its server meters as each exchange completes: the next scrape has them.
        String later = text;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!later.contains("reactor_netty_http_server_data_sent_bytes_count{") && System.nanoTime() < deadline) {
            later = get(server, "/metrics").body();
        }
        assertThat(later).contains("reactor_netty_http_server_data_sent_bytes_count{",
                "uri=\"/predict\"", "uri=\"/other\"").doesNotContain("uri=\"/no-such-path\"");
    }

    @Test
    void withoutMetricsThereIsNoMetricsRoute() {
        PredictServer server = start(b -> b);
        assertThat(get(server, "/metrics").status()).isEqualTo(404);
    }

    @Test
    void badInputGets400NamingTheProblem() {
        PredictServer server = start(b -> b);
        Reply notJson = post(server, "/predict", "{not json");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().get("error").asText()).contains("not valid JSON");
        Reply wrongField = post(server, "/predict", "{\"query\": \"What is 1 plus 1?\"}");
        assertThat(wrongField.status()).isEqualTo(400);
        assertThat(wrongField.json().get("error").asText()).contains("question").contains("query");
        Reply array = post(server, "/predict", "[1, 2]");
        assertThat(array.status()).isEqualTo(400);
    }

    @Test
    void aBodyOverTheLimitGets413WithOrWithoutContentLength() {
        PredictServer server = start(b -> b.maxRequestBytes(1024));
        String big = "{\"question\": \"" + "x".repeat(2000) + "\"}";
        Reply declared = post(server, "/predict", big);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.json().get("error").asText()).contains("1024 bytes");
        // Chunked: no Content-Length, so the limit is enforced while reading.
        Reply chunked = post(server, "/predict", Flux.just(big.substring(0, 900), big.substring(900))).block();
        assertThat(chunked.status()).isEqualTo(413);
        // A body under the limit still works.
        assertThat(post(server, "/predict", "{\"question\": \"What is 1 plus 1?\"}").status()).isEqualTo(200);
    }

    @Test
    void saturatedGets429WithRetryAfterWhileAdmittedRequestsFinish() throws Exception {
        // The admitted requests wait at the gate until the test opens it, so both are in flight for the third.
        PredictServer server = start(this::gated, b -> b.maxConcurrency(2));
        var first = post(server, "/predict", Flux.just("{\"question\": \"What is 1 plus 1?\"}")).toFuture();
        var second = post(server, "/predict", Flux.just("{\"question\": \"What is 2 plus 2?\"}")).toFuture();
        awaitHeld(2);
        assertThat(server.inFlight()).isEqualTo(2);
        Reply third = post(server, "/predict", "{\"question\": \"What is 3 plus 3?\"}");
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.retryAfter()).isEqualTo("1");
        assertThat(first.isDone() || second.isDone()).as("the admitted requests are still held").isFalse();
        gate.open();
        assertThat(first.get(30, TimeUnit.SECONDS).json().get("answer").asText()).isEqualTo("2");
        assertThat(second.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
        awaitIdle(server);
        assertThat(post(server, "/predict", "{\"question\": \"What is 3 plus 3?\"}").status()).isEqualTo(200);
    }

    @Test
    void aPredictionOverTheTimeoutGets504() throws InterruptedException {
        // The gate is never opened: the prediction cannot finish before the timeout.
        PredictServer server = start(this::gated, b -> b.timeout(Duration.ofMillis(200)));
        Reply r = post(server, "/predict", "{\"question\": \"What is 1 plus 1?\"}");
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.json().get("error").asText()).contains("timeout");
        awaitIdle(server);
    }

    @Test
    void streamSendsFieldChunksThenTheWholePredictionAsServerSentEventsToCurl() throws Exception {
        Assumptions.assumeTrue(curlAvailable(), "curl is not installed");
        PredictServer server = start(b -> b);
        Process curl = new ProcessBuilder("curl", "-sS", "-N", "--max-time", "20", "-X", "POST",
                server.url() + "/stream", "-H", "content-type: application/json",
                "-d", "{\"question\": \"What is 12 times 3?\"}")
                .redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as(out).isZero();

        StringBuilder reasoning = new StringBuilder();
        StringBuilder answer = new StringBuilder();
        JsonNode done = null;
        String event = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("event: ")) {
                event = line.substring(7);
            } else if (line.startsWith("data: ")) {
                JsonNode data = MAPPER.readTree(line.substring(6));
                if ("chunk".equals(event)) {
                    assertThat(done).as("no chunk after done").isNull();
                    (data.get("field").asText().equals("answer") ? answer : reasoning).append(data.get("text").asText());
                } else if ("done".equals(event)) {
                    done = data;
                }
            }
        }
        assertThat(out).contains("event: chunk").doesNotContain("event: error");
        assertThat(reasoning.toString().strip()).isEqualTo("12 times 3 is 36.");
        assertThat(answer.toString().strip()).isEqualTo("36");
        assertThat(done).isNotNull();
        assertThat(done.get("answer").asText()).isEqualTo("36");
        assertThat(done.get("usage").get("completion_tokens").asInt()).isPositive();
    }

    @Test
    void streamOverTheTimeoutEndsWithAnErrorEvent() {
        // The gate is never opened: the prediction cannot finish before the timeout.
        PredictServer server = start(this::gated, b -> b.timeout(Duration.ofMillis(200)));
        Reply r = post(server, "/stream", "{\"question\": \"What is 1 plus 1?\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("event: error").contains("\"status\":504").doesNotContain("event: done");
    }

    @Test
    void closeLetsARequestInFlightFinishThenRefusesConnections() throws Exception {
        PredictServer server = start(this::gated, b -> b.drainTimeout(Duration.ofSeconds(30)));
        var inFlight = post(server, "/predict", Flux.just("{\"question\": \"What is 20 plus 22?\"}")).toFuture();
        awaitHeld(1);
        String url = server.url();
        int port = URI.create(url).getPort();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(server::close);
        // The server stops accepting while the request is still held; only then may the request finish.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (accepts(port) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(accepts(port)).as("new connections refused while draining").isFalse();
        assertThat(inFlight.isDone()).as("the request in flight is still held").isFalse();
        assertThat(closed.isDone()).as("close waits for the request in flight").isFalse();
        gate.open();
        Reply r = inFlight.get(30, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("answer").asText()).isEqualTo("42");
        closed.get(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> client.post().uri(url + "/predict").send(ByteBufFlux.fromString(Mono.just("{}")))
                .response().block(Duration.ofSeconds(5))).isInstanceOf(Exception.class);
    }

    @Test
    void healthAndUnknownPaths() {
        PredictServer server = start(b -> b);
        String health = client.get().uri(server.url() + "/health").responseContent().aggregate().asString().block();
        assertThat(health).contains("\"status\":\"ok\"");
        Integer status = client.get().uri(server.url() + "/nope").response().map(res -> res.status().code()).block();
        assertThat(status).isEqualTo(404);
    }

    @Test
    void theSampleEntryPointServesWhatItPrints() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Provider provider = Provider.simulated();
        toClose.add(provider);
        PredictServer server = PredictServer.serve(provider.lm(), java.nio.file.Path.of("no-such-program.json"), 0,
                new java.io.PrintStream(bytes, true, StandardCharsets.UTF_8));
        toClose.add(server);
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("serving the unoptimized program").contains("Serving on " + server.url());
        // Run the curl command the sample prints, as a user would.
        Assumptions.assumeTrue(curlAvailable(), "curl is not installed");
        String command = printed.lines().filter(l -> l.strip().startsWith("curl -s ")).findFirst().orElseThrow().strip();
        Process curl = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(MAPPER.readTree(out).get("answer").asText()).isEqualTo("42");
    }

    /** Wraps the program's model in a {@link GatedLm} that holds every call until {@code gate.open()}. */
    private LanguageModel gated(LanguageModel lm) {
        gate = new GatedLm(lm, 0);
        return gate;
    }

    /** Waits until {@code n} calls are held at the gate. */
    private void awaitHeld(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (gate.held() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(gate.held()).as("calls held at the gate").isEqualTo(n);
    }

    /** @return whether something accepts TCP connections on the port of 127.0.0.1 */
    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The server releases its slot once the response is written, which the client may see a moment earlier. */
    private static void awaitIdle(PredictServer server) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.inFlight() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(server.inFlight()).isZero();
    }

    private static boolean curlAvailable() {
        try {
            Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}

package io.dspex.lm;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A loopback HTTP server that answers every request with one scripted status, content type, headers and body
 * (server-sent events included, byte for byte), and records what it received: the wire tests' server where the test
 * kit's MockLmServer (a module above this one) cannot be used.
 */
final class RawServer implements AutoCloseable {

    /** One request received: its path (with query), headers (lower-case names) and body. */
    record Received(String uri, Map<String, String> headers, String body) {
    }

    private final DisposableServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String contentType = "application/json";
    private volatile String body = "{}";
    private volatile Map<String, String> headers = Map.of();

    RawServer() {
        this.server = HttpServer.create().host("127.0.0.1").port(0)
                .handle((req, res) -> req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .flatMap(b -> {
                            Map<String, String> h = new java.util.LinkedHashMap<>();
                            req.requestHeaders().forEach(e -> h.put(e.getKey().toLowerCase(java.util.Locale.ROOT),
                                    e.getValue()));
                            received.add(new Received(req.uri(), h, b));
                            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                            res.status(status).header("content-type", contentType)
                                    .header("content-length", Integer.toString(bytes.length));
                            headers.forEach(res::header);
                            return res.sendObject(Unpooled.wrappedBuffer(bytes)).then();
                        }))
                .bindNow(Duration.ofSeconds(10));
    }

    /** Answers with this status and JSON body. */
    RawServer json(int status, String json) {
        return answer(status, "application/json", json);
    }

    /** Answers 200 with these server-sent events. */
    RawServer sse(String events) {
        return answer(200, "text/event-stream", events);
    }

    RawServer answer(int status, String contentType, String body) {
        this.status = status;
        this.contentType = contentType;
        this.body = body;
        return this;
    }

    RawServer headers(Map<String, String> headers) {
        this.headers = Map.copyOf(headers);
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    List<Received> received() {
        return received;
    }

    Received last() {
        return received.get(received.size() - 1);
    }

    /** @return one server-sent event: an {@code event:} line when named, its data, a blank line */
    static String event(String name, String data) {
        return (name == null ? "" : "event: " + name + "\n") + "data: " + data + "\n\n";
    }

    static <T> T block(Mono<T> mono) {
        return mono.block(Duration.ofSeconds(20));
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
    }
}

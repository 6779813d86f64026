package io.dspex.benchmarks;

import io.dspex.test.MockLmServer;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * Runs {@link MockLmServer} in a JVM of its own for the benchmarks, so that client and server share no heap.
 * It answers every chat request with a parseable ChatAdapter reply (a 500-word one when streaming), after a fixed
 * latency, and records nothing. It prints {@code PORT <n>} once listening and stops when its standard input
 * closes.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dspex.benchmarks.MockServerMain --latency-ms 1000 --port 0
 * }</pre>
 */
public final class MockServerMain {

    private MockServerMain() {
    }

    /**
     * @param args {@code --latency-ms N} (default 0), {@code --port N} (default 0: any free port),
     *             {@code --stream-interval-ms N} (pause between streamed events; default: one write per stream)
     * @throws IOException when standard input fails
     */
    public static void main(String[] args) throws IOException {
        Args a = Args.parse(args);
        MockLmServer server = start(a.longValue("latency-ms", 0), (int) a.longValue("port", 0),
                a.has("stream-interval-ms") ? Duration.ofMillis(a.longValue("stream-interval-ms", 0)) : null);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mock-server-stop"));
        System.out.println("PORT " + server.port());
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) {
            // wait for the harness to close our standard input
        }
        server.close();
    }

    /**
     * @param latencyMs      fixed latency before every answer
     * @param port           the port, 0 for any
     * @param streamInterval pause between streamed events, or null for one write per stream
     * @return the started server
     */
    static MockLmServer start(long latencyMs, int port, Duration streamInterval) {
        MockLmServer server = MockLmServer.create()
                .recordRequests(false)
                .reply(r -> r.stream() ? Workload.STREAM_REPLY : Workload.REPLY)
                .latency(Duration.ofMillis(latencyMs));
        if (streamInterval != null) {
            server.streamChunkInterval(streamInterval);
        }
        return port == 0 ? server.start() : server.start(port);
    }
}

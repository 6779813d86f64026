package io.dspex.benchmarks;

import io.dspex.test.MockLmServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Runs {@link MockLmServer} in a JVM of its own for the benchmarks, so that client and server share no heap.
 * It answers every chat request with a parseable ChatAdapter reply (a 500-word one when streaming), after a fixed
 * latency, and records nothing. It prints {@code PORT <n>} once listening; for each line {@code connections} on its
 * standard input it prints {@code CONNECTIONS <n>}, the connections opened so far (the harness asks before and
 * after each client fork); it stops when its standard input closes. With {@code --agents} it also scripts the
 * react-tools agents' steps ({@link Agents#script}).
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
     *             {@code --stream-interval-ms N} (pause between streamed events; default: one write per stream),
     *             {@code --agents} (script the react-tools agents)
     * @throws IOException when standard input fails
     */
    public static void main(String[] args) throws IOException {
        Args a = Args.parse(args);
        MockLmServer server = start(a.longValue("latency-ms", 0), (int) a.longValue("port", 0),
                a.has("stream-interval-ms") ? Duration.ofMillis(a.longValue("stream-interval-ms", 0)) : null,
                a.has("agents"));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mock-server-stop"));
        System.out.println("PORT " + server.port());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.strip().equals("connections")) {
                System.out.println("CONNECTIONS " + server.connectionsOpened());
                System.out.flush();
            }
        }
        server.close();
    }

    /**
     * @param latencyMs      fixed latency before every answer
     * @param port           the port, 0 for any
     * @param streamInterval pause between streamed events, or null for one write per stream
     * @param agents         whether to script the react-tools agents too
     * @return the started server
     */
    static MockLmServer start(long latencyMs, int port, Duration streamInterval, boolean agents) {
        MockLmServer server = MockLmServer.create()
                .recordRequests(false)
                .reply(r -> r.stream() ? Workload.STREAM_REPLY : Workload.REPLY)
                .latency(Duration.ofMillis(latencyMs));
        if (agents) {
            Agents.script(server);
        }
        if (streamInterval != null) {
            server.streamChunkInterval(streamInterval);
        }
        return port == 0 ? server.start() : server.start(port);
    }
}

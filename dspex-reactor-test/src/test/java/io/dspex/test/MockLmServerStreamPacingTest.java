package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.lm.LmChunk;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The stream pacing knob: one event per write, spaced by the interval, the reply unchanged. */
class MockLmServerStreamPacingTest {

    private static final LmRequest REQUEST = LmRequest.of(List.of(Message.user("go")));

    private static String words(int n) {
        return IntStream.range(0, n).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
    }

    private static List<Long> streamArrivals(MockLmServer server, StringBuilder text) {
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("m").build()) {
            StepVerifier.create(lm.stream(REQUEST)
                            .filter(c -> c.text() != null && !c.text().isEmpty())
                            .doOnNext(c -> {
                                arrivals.add(System.nanoTime());
                                text.append(c.text());
                            })
                            .map(LmChunk::text))
                    .thenConsumeWhile(t -> true)
                    .expectComplete()
                    .verify(Duration.ofSeconds(20));
        }
        return arrivals;
    }

    @Test
    void pacedStreamSendsEveryWordAsAChunkSpacedByTheInterval() {
        try (MockLmServer server = MockLmServer.create().reply(words(6))
                .streamChunkInterval(Duration.ofMillis(40)).start()) {
            StringBuilder text = new StringBuilder();
            List<Long> arrivals = streamArrivals(server, text);
            assertThat(text.toString()).isEqualTo(words(6));
            assertThat(arrivals).hasSize(6);
            // Events are scheduled 40 ms apart, so the first and last content chunk arrive about 5 intervals apart.
            // A lower bound only, and a loose one: the scheduler may run the first event a little late and the
            // rest on time (seen: 197.8 ms under load), while an unpaced stream takes well under 10 ms.
            assertThat(Duration.ofNanos(arrivals.get(5) - arrivals.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(120));
        }
    }

    @Test
    void zeroIntervalStreamsBackToBackWithTheSameReply() {
        try (MockLmServer server = MockLmServer.create().reply(words(500))
                .streamChunkInterval(Duration.ZERO).start()) {
            StringBuilder text = new StringBuilder();
            assertThat(streamArrivals(server, text)).hasSize(500);
            assertThat(text.toString()).isEqualTo(words(500));
        }
    }

    @Test
    void resetRestoresSingleWriteStreamsAndBadIntervalsAreRejected() {
        try (MockLmServer server = MockLmServer.create().streamChunkInterval(Duration.ofSeconds(30)).start()) {
            server.reset().reply(words(3));
            StringBuilder text = new StringBuilder();
            assertThat(streamArrivals(server, text)).hasSize(3); // would take 90+ s if pacing survived reset
            assertThat(text.toString()).isEqualTo(words(3));
            assertThatThrownBy(() -> server.streamChunkInterval(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-0.001S");
            assertThatThrownBy(() -> server.streamChunkInterval(null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
        }
    }

    @Test
    void startsOnAGivenPort() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (MockLmServer server = MockLmServer.create().start(port)) {
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + port + "/v1");
        }
        assertThatThrownBy(() -> MockLmServer.create().start(70_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("70000");
    }
}

package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.BatchResult;
import io.dspex.StreamEvent;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.Predict;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;

/**
 * Cancellation reaches the wire: disposing a batch closes every in-flight HTTP exchange (the server sees the
 * connections close) and schedules no further attempt; a caller's {@code timeout} on {@code forward} or a
 * cancelled stream cancels its exchange. The pool holds no acquired connection afterwards.
 */
@ExtendWith(NettyLeakWatcher.class)
@Timeout(30)
class CancellationTest {

    MockLmServer server;
    OpenAiCompatibleLm lm;

    @BeforeEach
    void start() {
        server = Rel.echoServer();
        lm = Rel.lm(server, Duration.ofSeconds(60));
    }

    @AfterEach
    void stop() {
        Rel.assertNoAcquiredConnection(lm);
        lm.close();
        server.close();
    }

    private static List<Map<String, String>> inputs(int n) {
        List<Map<String, String>> in = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            in.add(Map.of("question", "q-" + i));
        }
        return in;
    }

    private static void pause(long millis) {
        LockSupport.parkNanos(millis * 1_000_000);
    }

    @Test
    void disposingABatchClosesEveryInFlightExchange() {
        server.latency(Duration.ofSeconds(30));
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);
        ConcurrentLinkedQueue<BatchResult> results = new ConcurrentLinkedQueue<>();

        Disposable run = qa.batch(inputs(200), 16).subscribe(results::add);
        assertThat(Rel.await(() -> server.requestCount() == 16, Duration.ofSeconds(10))).isTrue();
        assertThat(server.openConnections()).isEqualTo(16);
        long closedBefore = server.connectionsClosed();
        run.dispose();

        assertThat(Rel.await(() -> server.connectionsClosed() - closedBefore == 16, Duration.ofSeconds(10)))
                .as("the server saw all 16 in-flight exchanges closed, saw %d",
                        server.connectionsClosed() - closedBefore).isTrue();
        assertThat(Rel.await(() -> server.openConnections() == 0, Duration.ofSeconds(5))).isTrue();
        pause(300);
        assertThat(server.requestCount()).as("no input started after the dispose").isEqualTo(16);
        assertThat(results).isEmpty();
    }

    @Test
    void disposingABatchDuringBackoffSchedulesNoFurtherRetry() {
        // Every first attempt gets a 503 asking for a 1 s wait: all 10 runs sit in their backoff.
        server.fault(Fault.status(503, "overloaded").withRetryAfter(1));
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST.withMaxAttempts(5));

        Disposable run = qa.batch(inputs(50), 10).subscribe();
        assertThat(Rel.await(() -> server.requestCount() == 10, Duration.ofSeconds(10))).isTrue();
        run.dispose();

        pause(1_500);
        assertThat(server.requestCount()).as("no retry after the dispose").isEqualTo(10);
    }

    @Test
    void aCallersTimeoutOnForwardCancelsItsExchange() {
        server.latency(Duration.ofSeconds(30));
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);
        long closedBefore = server.connectionsClosed();

        assertThatThrownBy(() -> qa.forward(Map.of("question", "q-1")).timeout(Duration.ofMillis(300))
                .block(Duration.ofSeconds(10)))
                .hasCauseInstanceOf(TimeoutException.class);

        assertThat(Rel.await(() -> server.connectionsClosed() > closedBefore, Duration.ofSeconds(5)))
                .as("the timed-out exchange's connection was closed").isTrue();
        assertThat(Rel.await(() -> server.openConnections() == 0, Duration.ofSeconds(5))).isTrue();
        pause(200);
        assertThat(server.requestCount()).as("a cancelled call is not retried").isEqualTo(1);
    }

    @Test
    void cancellingAStreamClosesItsExchange() {
        server.reply(r -> Rel.chatAnswer("a long answer ".repeat(50)))
                .fault(Fault.slowBody(Duration.ofMillis(200)));
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);
        long closedBefore = server.connectionsClosed();

        StreamEvent first = qa.stream(Map.of("question", "q-2")).ofType(StreamEvent.Chunk.class).cast(StreamEvent.class)
                .next().block(Duration.ofSeconds(10));

        assertThat(first).isNotNull();
        assertThat(Rel.await(() -> server.connectionsClosed() > closedBefore, Duration.ofSeconds(5)))
                .as("the cancelled stream's connection was closed").isTrue();
        assertThat(server.requestCount()).isEqualTo(1);
    }
}

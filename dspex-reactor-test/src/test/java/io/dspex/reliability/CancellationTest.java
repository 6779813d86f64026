package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Cancellation reaches the wire: disposing a batch closes every in-flight HTTP exchange (the server sees the
 * connections close) and schedules no further attempt; a caller's {@code timeout} on {@code forward} or a
 * cancelled stream cancels its exchange. The pool holds no acquired connection afterwards.
 *
 * <p>No test waits a fixed time to see whether something happens: attempts are counted where they start
 * ({@link Rel.CountingLm}), so a count read after the dispose is final, and backoffs run on virtual time, so a
 * retry that was not cancelled fires when the test advances the clock, however slow the machine.
 */
@ExtendWith(NettyLeakWatcher.class)
@Timeout(120)
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

    @Test
    void disposingABatchClosesEveryInFlightExchange() {
        server.latency(Duration.ofSeconds(30));
        Rel.CountingLm counting = new Rel.CountingLm(lm);
        Predict qa = Predict.of("question -> answer").withLm(counting).withRetry(Rel.FAST);
        ConcurrentLinkedQueue<BatchResult> results = new ConcurrentLinkedQueue<>();

        Disposable run = qa.batch(inputs(200), 16).subscribe(results::add);
        assertThat(Rel.await(() -> server.requestCount() == 16, Duration.ofSeconds(30))).isTrue();
        assertThat(server.openConnections()).isEqualTo(16);
        long closedBefore = server.connectionsClosed();
        run.dispose();
        // Nothing answers for 30 s, so no run can end and make room: 16 started, and no input starts after this.
        assertThat(counting.started()).as("no input started after the dispose").isEqualTo(16);

        assertThat(Rel.await(() -> server.connectionsClosed() - closedBefore == 16, Duration.ofSeconds(30)))
                .as("the server saw all 16 in-flight exchanges closed, saw %d",
                        server.connectionsClosed() - closedBefore).isTrue();
        assertThat(Rel.await(() -> server.openConnections() == 0, Duration.ofSeconds(30))).isTrue();
        assertThat(counting.started()).as("no input started after the dispose").isEqualTo(16);
        assertThat(server.requestCount()).isEqualTo(16);
        assertThat(results).isEmpty();
    }

    @Test
    void disposingABatchDuringBackoffSchedulesNoFurtherRetry() {
        // Every first attempt gets a 503 asking for a 1 s wait: all 10 runs sit in their backoff. The backoffs run
        // on virtual time, so they last until the test advances the clock, and the dispose surely lands in them.
        VirtualTimeScheduler clock = virtualClock();
        long scheduledBefore = clock.getScheduledTaskCount();
        try {
            server.fault(Fault.status(503, "overloaded").withRetryAfter(1));
            Rel.CountingLm counting = new Rel.CountingLm(lm);
            Predict qa = Predict.of("question -> answer").withLm(counting)
                    .withRetry(Rel.FAST.withMaxAttempts(5));

            Disposable run = qa.batch(inputs(50), 10).subscribe();
            assertThat(Rel.await(() -> counting.failed() == 10
                    && clock.getScheduledTaskCount() - scheduledBefore >= 10, Duration.ofSeconds(30)))
                    .as("10 first attempts failed (%d) and their retries were scheduled (%d)",
                            counting.failed(), clock.getScheduledTaskCount() - scheduledBefore).isTrue();
            assertThat(counting.started()).isEqualTo(10);
            run.dispose();

            // Past every Retry-After: a retry that was not cancelled would start now, on this thread.
            clock.advanceTimeBy(Duration.ofSeconds(10));
            assertThat(counting.started()).as("no retry after the dispose").isEqualTo(10);
            assertThat(server.requestCount()).isEqualTo(10);
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void aCallersTimeoutOnForwardCancelsItsExchange() {
        // The caller's timeout and any backoff run on virtual time: the timeout fires once the request is on the
        // server, and a retry, were one scheduled, would start when the clock is advanced past it.
        // (The server hangs rather than answering late: its own delays would run on the virtual clock too.)
        VirtualTimeScheduler clock = virtualClock();
        long scheduledBefore = clock.getScheduledTaskCount();
        try {
            server.fault(Fault.hang());
            Rel.CountingLm counting = new Rel.CountingLm(lm);
            Predict qa = Predict.of("question -> answer").withLm(counting).withRetry(Rel.FAST);
            long closedBefore = server.connectionsClosed();

            StepVerifier.create(qa.forward(Map.of("question", "q-1")).timeout(Duration.ofSeconds(5)))
                    .expectSubscription()
                    .then(() -> assertThat(Rel.await(() -> server.requestCount() == 1, Duration.ofSeconds(30)))
                            .isTrue())
                    .then(() -> clock.advanceTimeBy(Duration.ofSeconds(5)))
                    .expectError(TimeoutException.class)
                    .verify(Duration.ofSeconds(60));

            assertThat(Rel.await(() -> server.connectionsClosed() > closedBefore, Duration.ofSeconds(30)))
                    .as("the timed-out exchange's connection was closed").isTrue();
            assertThat(Rel.await(() -> server.openConnections() == 0, Duration.ofSeconds(30))).isTrue();
            clock.advanceTimeBy(Duration.ofMinutes(1));
            assertThat(counting.started()).as("a cancelled call is not retried").isEqualTo(1);
            assertThat(server.requestCount()).isEqualTo(1);
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void cancellingAStreamClosesItsExchange() {
        server.reply(r -> Rel.chatAnswer("a long answer ".repeat(50)))
                .fault(Fault.slowBody(Duration.ofMillis(200)));
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);
        long closedBefore = server.connectionsClosed();

        StreamEvent first = qa.stream(Map.of("question", "q-2")).ofType(StreamEvent.Chunk.class).cast(StreamEvent.class)
                .next().block(Duration.ofSeconds(30));

        assertThat(first).isNotNull();
        assertThat(Rel.await(() -> server.connectionsClosed() > closedBefore, Duration.ofSeconds(30)))
                .as("the cancelled stream's connection was closed").isTrue();
        assertThat(server.requestCount()).isEqualTo(1);
    }

    /**
     * The virtual clock, checked to be what {@code Schedulers.parallel()} hands out (where the retry's backoff
     * waits). Installing it replaces Reactor's scheduler factory, and a thread that asks for the parallel scheduler
     * meanwhile (work an earlier test left running) can cache a real one: then the backoffs ran in real time and
     * this test failed once in CI. Installed again until the check passes.
     */
    private static VirtualTimeScheduler virtualClock() {
        for (int attempt = 0; attempt < 10; attempt++) {
            VirtualTimeScheduler clock = VirtualTimeScheduler.getOrSet();
            long before = clock.getScheduledTaskCount();
            Schedulers.parallel().schedule(() -> { }, 1, TimeUnit.DAYS).dispose();
            if (clock.getScheduledTaskCount() > before) {
                return clock;
            }
            VirtualTimeScheduler.reset();
        }
        throw new AssertionError("Schedulers.parallel() never handed out the virtual clock");
    }
}

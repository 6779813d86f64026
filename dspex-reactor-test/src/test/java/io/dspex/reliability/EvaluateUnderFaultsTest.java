package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationException;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.EvaluationRow;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmException;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.Predict;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * {@link Evaluate} against {@link MockLmServer} with injected faults: no row lost, rows in dev-set order whatever
 * order they finish in, errors recorded as their rows, and a fast-fail after {@code maxErrors} that closes the
 * in-flight HTTP exchanges.
 */
@ExtendWith(NettyLeakWatcher.class)
@Timeout(60)
class EvaluateUnderFaultsTest {

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

    private static List<Example> devset(int n) {
        List<Example> dev = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            dev.add(Example.of(Map.of("question", "q-" + i, "answer", "A-" + i)).withInputs("question"));
        }
        return dev;
    }

    @Test
    void noRowLostRowsInOrderErrorsRecorded() {
        int n = 500;
        Rel.Attempts attempts = new Rel.Attempts();
        // Seeded random latency scrambles completion order; every 10th input fails for good (400), every 10th
        // (offset 5) fails once (500) and is retried, every 10th (offset 7) exhausts its retries (503).
        server.latency(Duration.ZERO, Duration.ofMillis(15), 7L)
                .faultWhen(r -> {
                    attempts.attempt(r);
                    return false;
                }, Fault.hang())
                .faultWhen(r -> Rel.idOf(r) % 10 == 3, Fault.status(400, "bad request"))
                .faultWhen(r -> Rel.idOf(r) % 10 == 5 && attempts.attempt(r) == 1, Fault.status(500, "boom"))
                .faultWhen(r -> Rel.idOf(r) % 10 == 7, Fault.status(503, "overloaded"));
        List<Example> dev = devset(n);
        Evaluate evaluate = Evaluate.builder().devset(dev).metric(Metrics.exactMatch("answer")).concurrency(32)
                .maxErrors(Evaluate.UNLIMITED_ERRORS).build();

        EvaluationResult result = evaluate.run(Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST))
                .block(Duration.ofSeconds(50));

        assertThat(result.rows()).hasSize(n);
        for (int i = 0; i < n; i++) {
            EvaluationRow row = result.rows().get(i);
            assertThat(row.index()).isEqualTo(i);
            assertThat(row.example()).isSameAs(dev.get(i));
            if (i % 10 == 3) {
                assertThat(row.error()).get().isInstanceOf(LmException.BadRequest.class);
                assertThat(row.score()).isZero();
            } else if (i % 10 == 7) {
                assertThat(row.error()).get().isInstanceOf(LmException.InternalServer.class);
            } else {
                assertThat(row.error()).as("row %d", i).isEmpty();
                assertThat(row.prediction().get().get("answer")).isEqualTo("A-" + i);
                assertThat(row.score()).isEqualTo(1.0);
            }
        }
        assertThat(result.errorCount()).isEqualTo(100);
        assertThat(result.score()).isEqualTo(80.0);
        // 500 first attempts, 50 retries of the 500s, 2 x 50 retries of the exhausted 503s.
        assertThat(server.requestCount()).isEqualTo(650);
    }

    @Test
    void fastFailAfterMaxErrorsClosesInFlightExchanges() {
        AtomicInteger slowReceived = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        Sinks.Empty<Void> firstSixteenReceived = Sinks.empty();
        // Inputs 0..4 fail; every other input is slow, so it is in flight when the run stops. A request is counted
        // as received only once it is classified (a slow one is counted as slow first), so when the 16th arrival
        // releases the failures, every count the test reads below already includes it.
        Runnable arrived = () -> {
            if (received.incrementAndGet() == 16) {
                firstSixteenReceived.tryEmitEmpty();
            }
        };
        server.faultWhen(r -> {
                    if (Rel.idOf(r) >= 5) {
                        return false;
                    }
                    arrived.run();
                    return true;
                }, Fault.status(400, "bad request"))
                .faultWhen(r -> {
                    slowReceived.incrementAndGet();
                    arrived.run();
                    return true;
                }, Fault.delay(Duration.ofSeconds(30)));
        Evaluate evaluate = Evaluate.builder().devset(devset(200)).metric(Metrics.exactMatch("answer"))
                .concurrency(16).maxErrors(3).build();
        Rel.CountingLm counting = new Rel.CountingLm(lm);
        // The program sees a failure only once the 16 first examples' requests have all reached the server, so
        // they are in flight when the run stops (on a cold pool under load they could otherwise still be
        // connecting then, and never be seen at all).
        LanguageModel failuresAfterSixteen = request -> counting.call(request)
                .onErrorResume(e -> firstSixteenReceived.asMono().then(Mono.error(e)));
        long closedBefore = server.connectionsClosed();

        assertThatThrownBy(() -> evaluate.run(Predict.of("question -> answer").withLm(failuresAfterSixteen)
                .withRetry(Rel.FAST))
                .block(Duration.ofSeconds(30)))
                .isInstanceOf(EvaluationException.class)
                .hasMessageContaining("maxErrors=3")
                .satisfies(e -> assertThat(((EvaluationException) e).errorCount()).isGreaterThanOrEqualTo(3));

        // Every slow exchange that had reached the server (the 11 first ones, 5..15, at least) was closed by the
        // client when the run stopped.
        assertThat(slowReceived.get()).isGreaterThanOrEqualTo(11);
        assertThat(Rel.await(() -> server.connectionsClosed() - closedBefore >= slowReceived.get(),
                Duration.ofSeconds(30)))
                .as("closed %d of %d in-flight exchanges", server.connectionsClosed() - closedBefore,
                        slowReceived.get()).isTrue();
        // Nothing new starts: at most the 16 first examples plus one refill per early failure were ever started,
        // out of 200. Counted where calls start, so no request still on the wire can be missed: the server sees
        // at most what was started.
        assertThat(counting.started()).as("nothing started after the stop").isLessThanOrEqualTo(16 + 5);
        assertThat(server.requestCount()).isLessThanOrEqualTo(counting.started());
    }
}

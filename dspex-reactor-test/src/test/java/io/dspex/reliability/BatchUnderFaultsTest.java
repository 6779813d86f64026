package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.BatchResult;
import io.dspex.lm.LmException;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.Predict;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 10,000-input batches through {@code Program.batch} against {@link MockLmServer} under deterministic fault
 * plans: nothing is lost, every result sits at its input's index, every retryable fault is retried away (or
 * exhausts exactly the policy's attempts), every non-retryable one is recorded as its typed error, and the server
 * saw exactly the requests the policy implies. Netty's leak detector runs at PARANOID throughout. (Timeout faults
 * are exercised one by one in {@link FaultInjectionTest}: under a loaded CI machine a tight timeout would also
 * cut healthy calls and make the count inexact.)
 */
@ExtendWith(NettyLeakWatcher.class)
@Timeout(120)
class BatchUnderFaultsTest {

    static final int N = 10_000;

    MockLmServer server;
    OpenAiCompatibleLm lm;

    @BeforeEach
    void start() {
        server = Rel.echoServer();
        lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("mock-model").apiKey("sk-test-0000")
                .responseTimeout(Duration.ofSeconds(30)).maxConnections(64)
                .pendingAcquireTimeout(Duration.ofSeconds(30)).build();
    }

    @AfterEach
    void stop() {
        Rel.assertNoAcquiredConnection(lm);
        lm.close();
        server.close();
    }

    private static List<Map<String, String>> inputs() {
        List<Map<String, String>> in = new ArrayList<>(N);
        for (int i = 0; i < N; i++) {
            in.add(Map.of("question", "q-" + i));
        }
        return in;
    }

    @Test
    void twentyPercentRetryableAndFivePercentNonRetryableFaults() {
        MixedFaultPlan plan = new MixedFaultPlan(3)
                .add(0, 5, Fault.status(500, "boom"), 1, true, null)
                .add(5, 10, Fault.status(429, "slow down").withRetryAfter(0), 2, true, null)
                .add(10, 15, Fault.status(503, "overloaded"), 1, true, null)
                .add(15, 20, Fault.resetBeforeHeaders(), 1, true, null)
                .add(20, 25, Fault.status(400, "bad request"), MixedFaultPlan.ALWAYS, false,
                        LmException.BadRequest.class);
        Rel.Attempts attempts = new Rel.Attempts();
        plan.install(server, attempts);
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);

        List<BatchResult> results = qa.batch(inputs(), 64).collectList().block(Duration.ofSeconds(100));

        plan.verify(results, N, attempts);
        assertThat(results.stream().filter(BatchResult::isSuccess).count()).isEqualTo(9_500);
        assertThat(results.stream().filter(r -> r.error() instanceof LmException.BadRequest).count()).isEqualTo(500);
        // 10,000 first attempts + 500 + 2 x 500 + 500 + 500 retries.
        assertThat(plan.expectedRequests(N)).isEqualTo(12_500);
        assertThat(server.requestCount()).isEqualTo(12_500);
    }

    @Test
    void thirtyPercentMixedFaultsLoseNothing() {
        MixedFaultPlan plan = new MixedFaultPlan(3)
                .add(0, 4, Fault.status(500, "boom"), 1, true, null)
                .add(4, 7, Fault.status(429, "slow down").withRetryAfter(0), 2, true, null)
                .add(7, 9, Fault.status(502, "bad gateway"), 1, true, null)
                .add(9, 11, Fault.status(503, "overloaded"), MixedFaultPlan.ALWAYS, true,
                        LmException.InternalServer.class)
                .add(11, 14, Fault.resetBeforeHeaders(), 1, true, null)
                .add(14, 17, Fault.resetMidBody(), 2, true, null)
                .add(17, 20, Fault.malformedJson(), 1, true, null)
                .add(20, 22, Fault.truncated(), 1, true, null)
                .add(22, 24, Fault.resetBeforeHeaders(), MixedFaultPlan.ALWAYS, true, LmException.Connection.class)
                .add(24, 26, Fault.status(400, "bad request"), MixedFaultPlan.ALWAYS, false,
                        LmException.BadRequest.class)
                .add(26, 27, Fault.status(401, "invalid key"), MixedFaultPlan.ALWAYS, false,
                        LmException.Authentication.class)
                .add(27, 28, Fault.status(422, "bad value"), MixedFaultPlan.ALWAYS, false,
                        LmException.UnprocessableEntity.class)
                .add(28, 29, Fault.status(504, "gateway timeout"), 1, true, null)
                .add(29, 30, Fault.statusWithBody(200, "{\"error\":{\"message\":\"upstream\",\"code\":503}}"), 1,
                        true, null);
        assertThat(plan.faultedFraction()).isEqualTo(0.30);
        Rel.Attempts attempts = new Rel.Attempts();
        plan.install(server, attempts);
        MixedFaultPlan.ClientAttempts client = new MixedFaultPlan.ClientAttempts();
        Predict qa = Predict.of("question -> answer").withLm(client.wrap(lm)).withRetry(Rel.FAST);

        List<BatchResult> results = qa.batch(inputs(), 64).collectList().block(Duration.ofSeconds(100));

        plan.verify(results, N, attempts, client);
        long expected = plan.expectedRequests(N);
        assertThat(server.requestCount()).isEqualTo(expected);
        assertThat(expected).isEqualTo(13_600);
        assertThat(results.stream().filter(BatchResult::isSuccess).count()).isEqualTo(9_200);
    }
}

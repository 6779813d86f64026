package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Prediction;
import io.dspex.StreamEvent;
import io.dspex.lm.LmCache;
import io.dspex.lm.LmException;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.lm.Usage;
import io.dspex.predict.Predict;
import io.dspex.predict.PredictException;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;





/** Streaming under faults (truncated SSE, error events) and the LM cache over real HTTP. */
@ExtendWith(NettyLeakWatcher.class)
@Timeout(30)
class StreamAndCacheOverHttpTest {

    MockLmServer server;
    OpenAiCompatibleLm lm;
    Rel.Attempts attempts;

    @BeforeEach
    void start() {
        server = Rel.echoServer();
        lm = Rel.lm(server);
        attempts = new Rel.Attempts();
    }

    @AfterEach
    void stop() {
        Rel.assertNoAcquiredConnection(lm);
        lm.close();
        server.close();
    }

    private static Throwable rootOf(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r;
    }

    @Test
    void truncatedStreamFailsTypedAndIsNotRetriedOnceOutputWasStreamed() {
        server.reply(r -> Rel.chatAnswer("one two three four five six seven eight nine ten"))
                .fault(Fault.truncated());
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);

        List<StreamEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        assertThatThrownBy(() -> qa.stream(Map.of("question", "q-1")).doOnNext(seen::add).blockLast(Duration.ofSeconds(10)))
                .satisfies(e -> {
                    // Output already reached the subscriber, so a retry would duplicate it: a typed PredictException
                    // whose cause is the LM's MalformedResponse naming the truncation.
                    assertThat(e).isInstanceOf(PredictException.class);
                    assertThat(e.getCause()).isInstanceOf(LmException.MalformedResponse.class)
                            .hasMessageContaining("truncated");
                });
        assertThat(seen).isNotEmpty().allMatch(ev -> ev instanceof StreamEvent.Chunk);
        assertThat(server.requestCount()).isEqualTo(1);
    }

    @Test
    void truncatedStreamBeforeAnyOutputIsRetried() {
        // The first attempt's stream ends before the answer field opened: nothing was streamed, so it is retried.
        server.reply(r -> Rel.chatAnswer("A-" + Rel.idOf(r)))
                .faultWhen(r -> attempts.attempt(r) == 1, Fault.streamError("overloaded"));
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);

        List<StreamEvent> events = qa.stream(Map.of("question", "q-4")).collectList().block(Duration.ofSeconds(10));

        assertThat(events.get(events.size() - 1)).isInstanceOf(StreamEvent.Done.class);
        assertThat(((StreamEvent.Done) events.get(events.size() - 1)).prediction().get("answer")).isEqualTo("A-4");
        assertThat(server.requestCount()).isEqualTo(2);
    }

    @Test
    void malformedStreamEventFailsTyped() {
        server.fault(Fault.malformedJson());
        Predict qa = Predict.of("question -> answer").withLm(lm).withRetry(Rel.FAST);

        assertThatThrownBy(() -> qa.stream(Map.of("question", "q-1")).blockLast(Duration.ofSeconds(10)))
                .satisfies(e -> assertThat(e instanceof LmException.MalformedResponse
                        || e.getCause() instanceof LmException.MalformedResponse).as("%s", e).isTrue());
    }

    @Test
    void fiftyConcurrentIdenticalCallsMakeOneHttpRequest() {
        server.latency(Duration.ofMillis(300));
        LmCache cache = LmCache.inMemory(1_000);
        Predict qa = Predict.of("question -> answer").withLm(cache.wrap(lm)).withRetry(Rel.FAST);

        List<Prediction> all = Flux.range(0, 50)
                .flatMap(i -> qa.forward(Map.of("question", "q-9")), 50)
                .collectList().block(Duration.ofSeconds(10));

        assertThat(all).hasSize(50).allMatch(p -> p.get("answer").equals("A-9"));
        assertThat(server.requestCount()).isEqualTo(1);
        assertThat(all.stream().filter(p -> !p.usage().equals(Usage.ZERO)).count())
                .as("only the call that went to the server reports usage").isEqualTo(1);
        // A later identical call is a plain hit.
        assertThat(qa.forward(Map.of("question", "q-9"))
                .map(p -> p.get("answer")).block(Duration.ofSeconds(5))).isEqualTo("A-9");
        assertThat(server.requestCount()).isEqualTo(1);
    }

    @Test
    void aFailedCallIsNotCached() {
        server.faultWhen(r -> attempts.attempt(r) == 1, Fault.status(400, "bad"));
        LmCache cache = LmCache.inMemory(100);
        Predict qa = Predict.of("question -> answer").withLm(cache.wrap(lm)).withRetry(Rel.FAST);
        Mono<Prediction> call = qa.forward(Map.of("question", "q-2"));

        assertThatThrownBy(() -> call.block(Duration.ofSeconds(5))).isInstanceOf(LmException.BadRequest.class);
        assertThat(call.block(Duration.ofSeconds(5)).get("answer")).isEqualTo("A-2");
        assertThat(server.requestCount()).isEqualTo(2);
    }
}

package io.dspex.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.StreamEvent;
import io.dspex.Trace;
import io.dspex.adapter.AdapterParseException;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmCache;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmException;
import io.dspex.lm.LmHistory;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;




class PredictTest {

    private static final String ANSWER = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]";

    /** An LM that answers from a list of outcomes in sequence (the last repeats) and records requests. */
    static final class SeqLm implements LanguageModel {
        final List<Object> outcomes;
        final List<LmRequest> requests = Collections.synchronizedList(new ArrayList<>());

        SeqLm(Object... outcomes) {
            this.outcomes = List.of(outcomes);
        }

        @Override
        public Mono<LmResponse> call(LmRequest request) {
            return Mono.defer(() -> {
                int i;
                synchronized (requests) {
                    requests.add(request);
                    i = requests.size() - 1;
                }
                Object o = outcomes.get(Math.min(i, outcomes.size() - 1));
                if (o instanceof RuntimeException e) {
                    return Mono.error(e);
                }
                if (o instanceof LmResponse r) {
                    return Mono.just(r);
                }
                return Mono.just(LmResponse.of(List.of((String) o), Usage.of(10, 5)));
            });
        }
    }

    private static RetryPolicy fixed(int attempts) {
        return RetryPolicy.defaults().withMaxAttempts(attempts).withBackoff(Duration.ofSeconds(1),
                Duration.ofSeconds(10)).withJitter(0);
    }

    @AfterEach
    void resetGlobal() {
        Settings.configure(Settings.empty());
    }

    @Test
    void formatsCallsAndParses() {
        SeqLm lm = new SeqLm(ANSWER);
        Prediction p = Predict.of("question -> answer").withLm(lm)
                .forward(Map.of("question", "Capital of France?")).block();
        assertThat(p.get("answer")).isEqualTo("Paris");
        assertThat(p.usage()).isEqualTo(Usage.of(10, 5));
        assertThat(lm.requests.get(0).messages()).hasSize(2);
        assertThat(lm.requests.get(0).messages().get(1).content()).startsWith("[[ ## question ## ]]\nCapital of France?");
    }

    @Test
    void backoffScheduleIsExponentialInVirtualTime() {
        LmException e503 = LmException.forStatus(503, "overloaded", null, null, null);
        SeqLm lm = new SeqLm(e503, e503, e503, ANSWER);
        StepVerifier.withVirtualTime(() -> Predict.of("question -> answer").withLm(lm).withRetry(fixed(4))
                        .forward(Map.of("question", "q")))
                .expectSubscription()
                .then(() -> assertThat(lm.requests).hasSize(1))
                .thenAwait(Duration.ofMillis(999))
                .then(() -> assertThat(lm.requests).hasSize(1))
                .thenAwait(Duration.ofMillis(1))
                .then(() -> assertThat(lm.requests).hasSize(2))
                .thenAwait(Duration.ofMillis(1999))
                .then(() -> assertThat(lm.requests).hasSize(2))
                .thenAwait(Duration.ofMillis(1))
                .then(() -> assertThat(lm.requests).hasSize(3))
                .thenAwait(Duration.ofMillis(4000))
                .assertNext(p -> assertThat(p.get("answer")).isEqualTo("Paris"))
                .verifyComplete();
        assertThat(lm.requests).hasSize(4);
    }

    @Test
    void backoffIsCappedAndJittered() {
        RetryPolicy p = RetryPolicy.defaults().withBackoff(Duration.ofMillis(100), Duration.ofMillis(1000))
                .withJitter(0.5);
        for (int retry = 0; retry < 10; retry++) {
            long base = Math.min(100L << retry, 1000);
            for (int k = 0; k < 50; k++) {
                long d = p.delayBefore(retry, new LmException.Connection("reset", null)).toMillis();
                assertThat(d).isBetween(base / 2, Math.min(1000, base * 3 / 2));
            }
        }
    }

    @Test
    void theProgramLayerRetriesWithRetryWhenOfThePolicysSpec() {
        List<String> downstream = new ArrayList<>();
        LanguageModel lm = request -> new Mono<LmResponse>() {
            @Override
            public void subscribe(reactor.core.CoreSubscriber<? super LmResponse> actual) {
                // The operators between the LM call and the subscriber, nearest first, as assembled by forward.
                reactor.core.Scannable subscriber = reactor.core.Scannable.from(actual);
                downstream.add(subscriber.stepName());
                subscriber.actuals().map(reactor.core.Scannable::stepName).forEach(downstream::add);
                actual.onSubscribe(reactor.core.publisher.Operators.scalarSubscription(actual,
                        LmResponse.of(List.of(ANSWER), Usage.of(1, 1))));
            }
        };
        RetryPolicy policy = RetryPolicy.defaults();
        assertThat(policy.toRetry()).as("one spec per policy").isSameAs(policy.toRetry());
        StepVerifier.create(Predict.of("question -> answer").withLm(lm).withRetry(policy)
                        .forward(Map.of("question", "q")))
                .expectNextMatches(p -> p.get("answer").equals("Paris"))
                .verifyComplete();
        assertThat(downstream).as("%s", downstream).first().isEqualTo("retryWhen");
    }

    @Test
    void toRetryMakesTheSameDecisionsForOtherPublishers() {
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> flaky = Mono.defer(() -> subscriptions.incrementAndGet() < 3
                ? Mono.error(new LmException.Connection("reset", null)) : Mono.just("ok"));
        StepVerifier.withVirtualTime(() -> flaky.retryWhen(fixed(4).toRetry()))
                .thenAwait(Duration.ofSeconds(3))
                .expectNext("ok")
                .verifyComplete();
        assertThat(subscriptions.get()).isEqualTo(3);
        StepVerifier.withVirtualTime(() -> Mono.error(new IllegalStateException("not an LM error"))
                        .retryWhen(fixed(4).toRetry()))
                .expectError(IllegalStateException.class)
                .verify();
    }

    @Test
    void retryAfterReplacesTheBackoff() {
        SeqLm lm = new SeqLm(new LmException.RateLimit("slow down", Duration.ofSeconds(7)), ANSWER);
        StepVerifier.withVirtualTime(() -> Predict.of("question -> answer").withLm(lm).withRetry(fixed(3))
                        .forward(Map.of("question", "q")))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(6999))
                .then(() -> assertThat(lm.requests).hasSize(1))
                .thenAwait(Duration.ofMillis(1))
                .expectNextCount(1)
                .verifyComplete();
    }

    @Test
    void retryAfterIsCappedByThePolicy() {
        RetryPolicy p = fixed(3).withMaxRetryAfter(Duration.ofSeconds(5));
        assertThat(p.delayBefore(0, new LmException.RateLimit("x", Duration.ofHours(1))))
                .isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void exhaustionSurfacesTheLastErrorWithTheAttemptCount() {
        SeqLm lm = new SeqLm(LmException.forStatus(500, "boom", null, "req_9", null));
        StepVerifier.withVirtualTime(() -> Predict.of("question -> answer").withLm(lm).withRetry(fixed(4))
                        .forward(Map.of("question", "q")))
                .thenAwait(Duration.ofMinutes(1))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(LmException.InternalServer.class).hasMessageContaining("500");
                    assertThat(RetryPolicy.attemptsOf(e)).isEqualTo(4);
                    assertThat(e.getSuppressed()[0]).hasMessageContaining("gave up after 4 attempts");
                })
                .verify();
        assertThat(lm.requests).hasSize(4);
    }

    @Test
    void nonRetryableErrorsAreNotRetried() {
        for (int status : new int[] {400, 401, 403, 404, 422}) {
            SeqLm lm = new SeqLm(LmException.forStatus(status, "no", null, null, null));
            StepVerifier.withVirtualTime(() -> Predict.of("question -> answer").withLm(lm).withRetry(fixed(4))
                            .forward(Map.of("question", "q")))
                    .expectErrorSatisfies(e -> assertThat(((LmException) e).statusCode()).hasValue(status))
                    .verify(Duration.ofSeconds(5));
            assertThat(lm.requests).as("status %d", status).hasSize(1);
        }
    }

    @Test
    void cancellingDuringBackoffMakesNoFurtherAttempt() {
        SeqLm lm = new SeqLm(LmException.forStatus(503, "x", null, null, null), ANSWER);
        StepVerifier.withVirtualTime(() -> Predict.of("question -> answer").withLm(lm).withRetry(fixed(4))
                        .forward(Map.of("question", "q")))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(500))
                .thenCancel()
                .verify();
        // time passes after cancellation: the retry timer was cancelled with the subscription
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofMinutes(1))).thenAwait(Duration.ofMinutes(1))
                .expectNextCount(1).verifyComplete();
        assertThat(lm.requests).hasSize(1);
    }

    @Test
    void attemptTimeoutIsRetryableAndDeadlineBoundsTheWhole() {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger cancels = new AtomicInteger();
        LanguageModel hangs = req -> Mono.<LmResponse>never().doOnSubscribe(s -> calls.incrementAndGet())
                .doOnCancel(cancels::incrementAndGet);
        RetryPolicy p = fixed(10).withAttemptTimeout(Duration.ofSeconds(2)).withDeadline(Duration.ofSeconds(6));
        StepVerifier.withVirtualTime(() -> Predict.of("question -> answer").withLm(hangs).withRetry(p)
                        .forward(Map.of("question", "q")))
                .thenAwait(Duration.ofSeconds(6))
                .expectError(RetryPolicy.DeadlineExceededException.class)
                .verify();
        // attempts at 0 s, 3 s (2 s timeout + 1 s backoff); the deadline at 6 s cancels the second
        assertThat(calls.get()).isEqualTo(2);
        assertThat(cancels.get()).isEqualTo(2);
    }

    @Test
    void fallsBackToJsonAdapterOnceWhenChatRepliesCannotBeParsed() {
        SeqLm lm = new SeqLm("I think it is Paris.", "{\"answer\": \"Paris\"}");
        Prediction p = Predict.of("question -> answer").withLm(lm).forward(Map.of("question", "q")).block();
        assertThat(p.get("answer")).isEqualTo("Paris");
        assertThat(lm.requests).hasSize(2);
        assertThat(lm.requests.get(0).responseFormat()).isNull();
        assertThat(lm.requests.get(1).responseFormat()).isNotNull();
        assertThat(p.usage()).isEqualTo(Usage.of(20, 10));
    }

    @Test
    void parseFailureOfBothAdaptersIsSignalled() {
        SeqLm lm = new SeqLm("no structure at all");
        StepVerifier.create(Predict.of("question -> answer").withLm(lm).forward(Map.of("question", "q")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(AdapterParseException.class)
                        .hasMessageContaining("Adapter JSONAdapter failed to parse the LM response."))
                .verify();
        assertThat(lm.requests).hasSize(2);
    }

    @Test
    void nGreaterThanOneFillsCompletions() {
        SeqLm lm = new SeqLm(LmResponse.of(List.of("[[ ## answer ## ]]\nA", "[[ ## answer ## ]]\nB",
                "[[ ## answer ## ]]\nC"), Usage.of(3, 3)));
        Prediction p = Predict.of("question -> answer").withLm(lm).withConfig(CallConfig.empty().withN(3))
                .forward(Map.of("question", "q")).block();
        assertThat(p.completions("answer")).containsExactly("A", "B", "C");
        assertThat(p.get("answer")).isEqualTo("A");
        assertThat(lm.requests.get(0).config().n()).isEqualTo(3);
    }

    @Test
    void mismatchedNIsATypedError() {
        SeqLm lm = new SeqLm(ANSWER);
        StepVerifier.create(Predict.of("question -> answer").withLm(lm).withConfig(CallConfig.empty().withN(3))
                        .forward(Map.of("question", "q")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(PredictException.class)
                        .hasMessageContaining("1 choice(s) for n=3"))
                .verify();
    }

    @Test
    void chainOfThoughtPromptEqualsDspys() {
        SeqLm lm = new SeqLm("[[ ## reasoning ## ]]\nFrance's capital.\n\n[[ ## answer ## ]]\nParis\n\n"
                + "[[ ## completed ## ]]");
        ChainOfThought cot = ChainOfThought.of("question -> answer").withLm(lm);
        Prediction p = cot.forward(Map.of("question", "Capital of France?")).block();
        assertThat(p.get("reasoning")).isEqualTo("France's capital.");
        assertThat(p.get("answer")).isEqualTo("Paris");
        assertThat(lm.requests.get(0).messages().get(0)).isEqualTo(Message.system(
                "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `reasoning` (str): \n"
                        + "2. `answer` (str):\nAll interactions will be structured in the following way, with the "
                        + "appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## reasoning ## ]]\n"
                        + "{reasoning}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\nIn adhering to this "
                        + "structure, your objective is: \n        Given the fields `question`, produce the fields "
                        + "`answer`."));
        assertThat(cot.namedPredictors()).containsOnlyKeys("predict");
        assertThat(cot.predict().signature().outputFields().get(0).prefix()).isEqualTo("Reasoning:");
    }

    @Test
    void contextSettingsWinAndNeverCrossBetweenConcurrentRuns() {
        LanguageModel a = req -> Mono.delay(Duration.ofMillis(5)).thenReturn(LmResponse.of("[[ ## answer ## ]]\nA"));
        LanguageModel b = req -> Mono.delay(Duration.ofMillis(3)).thenReturn(LmResponse.of("[[ ## answer ## ]]\nB"));
        LanguageModel program = req -> Mono.just(LmResponse.of("[[ ## answer ## ]]\nP"));
        Predict qa = Predict.of("question -> answer").withLm(program);
        List<String> got = Flux.range(0, 100)
                .flatMap(i -> qa.forward(Map.of("question", "q" + i))
                        .contextWrite(Settings.empty().withLm(i % 2 == 0 ? a : b).asContext())
                        .map(p -> i + "=" + p.get("answer")), 100)
                .collectList().block();
        assertThat(got).hasSize(100).allSatisfy(s -> {
            int i = Integer.parseInt(s.substring(0, s.indexOf('=')));
            assertThat(s).endsWith(i % 2 == 0 ? "=A" : "=B");
        });
        assertThat(qa.forward(Map.of("question", "q")).block().get("answer")).isEqualTo("P");
    }

    @Test
    void programSettingsBeatGlobalOnes() {
        Settings.configure(Settings.empty().withLm(req -> Mono.just(LmResponse.of("[[ ## answer ## ]]\nG"))));
        assertThat(Predict.of("question -> answer").forward(Map.of("question", "q")).block().get("answer"))
                .isEqualTo("G");
        assertThat(Predict.of("question -> answer").withLm(req -> Mono.just(LmResponse.of("[[ ## answer ## ]]\nP")))
                .forward(Map.of("question", "q")).block().get("answer")).isEqualTo("P");
    }

    @Test
    void contextConfigLayersOverTheProgramsConfig() {
        SeqLm lm = new SeqLm(ANSWER);
        Predict qa = Predict.of("question -> answer").withLm(lm)
                .withConfig(CallConfig.empty().withTemperature(0.0).withMaxTokens(50));
        qa.forward(Map.of("question", "q"))
                .contextWrite(Settings.empty().withConfig(CallConfig.empty().withTemperature(1.0)
                        .withRolloutId("r1")).asContext())
                .block();
        LmRequest r = lm.requests.get(0);
        assertThat(r.config().temperature()).isEqualTo(1.0);
        assertThat(r.config().maxTokens()).isEqualTo(50);
        assertThat(r.config().rolloutId()).isEqualTo("r1");
    }

    @Test
    void noLmConfiguredIsAClearError() {
        StepVerifier.create(Predict.of("question -> answer").forward(Map.of("question", "q")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("no language model configured"))
                .verify();
    }

    @Test
    void inputMismatchesNameTheFields() {
        Predict qa = Predict.of("question, context -> answer").withLm(new SeqLm(ANSWER));
        StepVerifier.create(qa.forward(Map.of("question", "q", "extra", 1)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("missing input field(s) [context]")
                        .hasMessageContaining("unknown field(s) [extra]"))
                .verify();
        // labels (output fields) are ignored, and marked inputs pass other keys along
        assertThat(qa.forward(Map.of("question", "q", "context", "c", "answer", "gold")).block()).isNotNull();
        Example ex = Example.of(Map.of("question", "q", "context", "c", "id", 7)).withInputs("question", "context");
        assertThat(qa.forward(ex).block().get("answer")).isEqualTo("Paris");
    }

    @Test
    void traceRecordsEachPredictorCall() {
        Predict qa = Predict.of("question -> answer").withLm(new SeqLm(ANSWER));
        Trace trace = new Trace();
        qa.forward(Map.of("question", "q")).contextWrite(trace::attach).block();
        assertThat(trace.entries()).singleElement().satisfies(e -> {
            assertThat(e.predictor()).isSameAs(qa);
            assertThat(e.inputs()).containsEntry("question", "q");
            assertThat(e.prediction().get("answer")).isEqualTo("Paris");
        });
        qa.forward(Map.of("question", "q")).block();
        assertThat(trace.entries()).hasSize(1);
    }

    @Test
    void cacheHitReportsZeroUsageAndSkipsTheLm() {
        SeqLm lm = new SeqLm(ANSWER);
        Predict qa = Predict.of("question -> answer").withLm(LmCache.inMemory(100).wrap(lm));
        Prediction first = qa.forward(Map.of("question", "q")).block();
        Prediction second = qa.forward(Map.of("question", "q")).block();
        assertThat(first.usage().totalTokens()).isEqualTo(15);
        assertThat(second.usage()).isEqualTo(Usage.ZERO);
        assertThat(second.get("answer")).isEqualTo("Paris");
        assertThat(lm.requests).hasSize(1);
    }

    @Test
    void historyShowsTheLastCallLikeInspectHistory() {
        LmHistory.global().clear();
        Predict.of("question -> answer").withLm(new SeqLm(ANSWER)).forward(Map.of("question", "q")).block();
        String shown = LmHistory.global().inspect(1);
        assertThat(shown).contains("System message:\n\nYour input fields are:")
                .contains("User message:\n\n[[ ## question ## ]]\nq")
                .contains("Response:\n\n[[ ## answer ## ]]\nParis");
    }

    @Test
    void streamEmitsFieldChunksThenThePrediction() {
        String reply = "[[ ## reasoning ## ]]\nIt is in France.\n\n[[ ## answer ## ]]\nParis, France\n\n"
                + "[[ ## completed ## ]]\n";
        for (int size : new int[] {1, 2, 3, 5, 7, 64}) {
            List<String> pieces = IntStream.range(0, (reply.length() + size - 1) / size)
                    .mapToObj(i -> reply.substring(i * size, Math.min(reply.length(), (i + 1) * size)))
                    .collect(Collectors.toList());
            LanguageModel lm = new LanguageModel() {
                @Override
                public Mono<LmResponse> call(LmRequest request) {
                    return Mono.error(new AssertionError("stream expected"));
                }

                @Override
                public Flux<LmChunk> stream(LmRequest request) {
                    return Flux.fromIterable(pieces).map(LmChunk::of)
                            .concatWith(Mono.just(LmChunk.ofUsage(Usage.of(7, 9))));
                }
            };
            List<StreamEvent> events = ChainOfThought.of("question -> answer").withLm(lm)
                    .stream(Map.of("question", "q")).collectList().block();
            StringBuilder reasoning = new StringBuilder();
            StringBuilder answer = new StringBuilder();
            for (StreamEvent e : events.subList(0, events.size() - 1)) {
                StreamEvent.Chunk c = (StreamEvent.Chunk) e;
                (c.field().equals("reasoning") ? reasoning : answer).append(c.text());
            }
            assertThat(reasoning.toString()).as("chunk size %d", size).isEqualTo("It is in France.");
            assertThat(answer.toString()).as("chunk size %d", size).isEqualTo("Paris, France");
            Prediction p = ((StreamEvent.Done) events.get(events.size() - 1)).prediction();
            assertThat(p.get("answer")).isEqualTo("Paris, France");
            assertThat(p.usage()).isEqualTo(Usage.of(7, 9));
        }
    }

    @Test
    void aStreamThatFailsBeforeOutputIsRetried() {
        AtomicInteger calls = new AtomicInteger();
        LanguageModel lm = new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                return Mono.error(new AssertionError());
            }

            @Override
            public Flux<LmChunk> stream(LmRequest request) {
                return Flux.defer(() -> calls.incrementAndGet() == 1
                        ? Flux.error(new LmException.Connection("reset", null))
                        : Flux.just(LmChunk.of(ANSWER)));
            }
        };
        Predict qa = Predict.of("question -> answer").withLm(lm)
                .withRetry(RetryPolicy.defaults().withBackoff(Duration.ZERO, Duration.ZERO));
        List<StreamEvent> events = qa.stream(Map.of("question", "q")).collectList().block();
        assertThat(events).last().isInstanceOf(StreamEvent.Done.class);
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void forwardsRunOffTheCallersThread() {
        LanguageModel lm = req -> Mono.just(LmResponse.of(ANSWER)).publishOn(Schedulers.parallel());
        StepVerifier.create(Predict.of("question -> answer").withLm(lm).forward(Map.of("question", "q")))
                .expectNextCount(1).verifyComplete();
    }

    @Test
    void immutableEditsReturnCopies() {
        Predict a = Predict.of("question -> answer");
        Predict b = a.withDemos(List.of(Example.of(Map.of("question", "1+1?", "answer", "2"))));
        assertThat(a.demos()).isEmpty();
        assertThat(b.demos()).hasSize(1);
        assertThat(b.reset().demos()).isEmpty();
        assertThat(a.namedPredictors()).containsOnlyKeys("self");
        assertThatThrownBy(() -> a.withDemos(java.util.Arrays.asList((Example) null))).hasMessageContaining("demo 0");
        assertThatThrownBy(() -> a.withNamedPredictors(Map.of("nope", b))).hasMessageContaining("[nope]");
    }
}

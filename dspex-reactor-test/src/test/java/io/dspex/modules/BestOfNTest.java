package io.dspex.modules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Prediction;
import io.dspex.Trace;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmCache;
import io.dspex.lm.LmException;
import io.dspex.lm.Usage;
import io.dspex.predict.BestOfN;
import io.dspex.predict.Predict;
import io.dspex.predict.PredictException;
import io.dspex.predict.Reward;
import io.dspex.predict.Settings;
import io.dspex.test.ScriptedLm;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** BestOfN's attempts, rollout ids, temperatures, stopping and failure budget, with a scripted LM. */
class BestOfNTest {

    static final Predict QA = Predict.of("question -> answer");
    static final Map<String, Object> IN = Map.of("question", "What is the capital of Belgium?");

    static String answer(String text) {
        return "[[ ## answer ## ]]\n" + text + "\n\n[[ ## completed ## ]]";
    }

    /** 1 for a one-word answer, else 1 / words. */
    static final Reward ONE_WORD = Reward.of((in, p) -> 1.0 / ((String) p.get("answer")).split(" ").length)
            .withRange(0, 1);

    static Mono<Prediction> run(BestOfN best, LanguageModel lm) {
        return best.forward(IN).contextWrite(Settings.empty().withLm(lm).asContext());
    }

    @Test
    void stopsAtTheFirstAttemptThatReachesTheThreshold() {
        ScriptedLm lm = ScriptedLm.create().replies(answer("The city of Brussels"), answer("Brussels"),
                answer("never asked"));
        Prediction p = run(BestOfN.of(QA, 3, ONE_WORD, 1.0), lm).block();
        assertThat(p.get("answer")).isEqualTo("Brussels");
        assertThat(lm.requestCount()).isEqualTo(2);
        assertThat(lm.requests()).extracting(r -> r.config().rolloutId()).containsExactly("0", "1");
        assertThat(lm.requests()).extracting(r -> r.config().temperature()).containsExactly(1.0, 1.0);
    }

    @Test
    void returnsTheBestAttemptWhenNoneReachesTheThreshold() {
        ScriptedLm lm = ScriptedLm.create().replies(answer("a b c d"), answer("a b"), answer("a b c"));
        Prediction p = run(BestOfN.of(QA, 3, ONE_WORD, 1.0), lm).block();
        assertThat(p.get("answer")).isEqualTo("a b");
        assertThat(lm.requests()).extracting(r -> r.config().rolloutId()).containsExactly("0", "1", "2");
    }

    @Test
    void rolloutIdsCountUpFromTheSettingsRolloutIdAndTheContextTemperatureWinsOverThePredictors() {
        ScriptedLm lm = ScriptedLm.create().reply(answer("a b"));
        BestOfN best = BestOfN.of(QA.withConfig(CallConfig.empty().withTemperature(0.0)), 3, ONE_WORD, 1.0);
        best.forward(IN).contextWrite(Settings.empty().withLm(lm)
                .withConfig(CallConfig.empty().withRolloutId("5").withMaxTokens(64)).asContext()).block();
        assertThat(lm.requests()).extracting(r -> r.config().rolloutId()).containsExactly("5", "6", "7");
        assertThat(lm.requests()).extracting(r -> r.config().temperature()).containsOnly(1.0);
        assertThat(lm.requests()).extracting(r -> r.config().maxTokens()).as("other settings stay").containsOnly(64);

        ScriptedLm named = ScriptedLm.create().reply(answer("a b"));
        best.forward(IN).contextWrite(Settings.empty().withLm(named)
                .withConfig(CallConfig.empty().withRolloutId("run")).asContext()).block();
        assertThat(named.requests()).extracting(r -> r.config().rolloutId()).containsExactly("run-0", "run-1",
                "run-2");
    }

    @Test
    void aCachedLmAnswersEachAttemptAfreshAndTheWholeRunAgainFromTheCache() {
        ScriptedLm lm = ScriptedLm.create().reply(answer("a b")).usage(r -> Usage.of(10, 2));
        LanguageModel cached = LmCache.inMemory(100).wrap(lm);
        BestOfN best = BestOfN.of(QA, 3, ONE_WORD, 1.0);
        Prediction first = run(best, cached).block();
        assertThat(lm.requestCount()).as("three rollouts, three distinct cache keys").isEqualTo(3);
        assertThat(first.usage()).as("every attempt counts").isEqualTo(Usage.of(30, 6));
        assertThat(first.usageByModel()).containsOnlyKeys("scripted");

        Prediction again = run(best, cached).block();
        assertThat(lm.requestCount()).isEqualTo(3);
        assertThat(again.usage()).as("cache hits count zero").isEqualTo(Usage.ZERO);
    }

    @Test
    void attemptsRunOneAfterAnotherLazilyAndEachSubscriptionRunsAgain() {
        ScriptedLm lm = ScriptedLm.create().reply(answer("a b")).latency(java.time.Duration.ofMillis(5));
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        // In flight from subscription until the answer arrives (the next attempt may start inside its signal).
        LanguageModel counting = request -> Mono.defer(() -> {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            return lm.call(request);
        }).doOnEach(signal -> {
            if (signal.isOnNext() || signal.isOnError()) {
                inFlight.decrementAndGet();
            }
        });
        Mono<Prediction> once = run(BestOfN.of(QA, 3, ONE_WORD, 1.0), counting);
        assertThat(lm.requestCount()).isZero();
        once.block();
        once.block();
        assertThat(lm.requestCount()).isEqualTo(6);
        assertThat(maxInFlight.get()).isEqualTo(1);
    }

    @Test
    void failuresCountAgainstTheBudgetAndTheFailureThatUsesItUpIsSignalled() {
        // Every attempt fails: the last failure is signalled as it is, after n attempts.
        ScriptedLm failing = ScriptedLm.create().faultWhen(r -> true, () -> new LmException.BadRequest("no"));
        assertThatThrownBy(() -> run(BestOfN.of(QA, 3, ONE_WORD, 1.0), failing).block())
                .isInstanceOf(LmException.BadRequest.class);
        assertThat(failing.requestCount()).isEqualTo(3);

        // failCount 1: the first failure ends the run.
        ScriptedLm once = ScriptedLm.create().faultNext(1, () -> new LmException.BadRequest("first"))
                .reply(answer("Brussels"));
        assertThatThrownBy(() -> run(BestOfN.of(QA, 3, ONE_WORD, 1.0).withFailCount(1), once).block())
                .isInstanceOf(LmException.BadRequest.class).hasMessageContaining("first");
        assertThat(once.requestCount()).isEqualTo(1);

        // A failure within the budget is skipped over.
        ScriptedLm flaky = ScriptedLm.create().faultNext(1, () -> new LmException.BadRequest("first"))
                .reply(answer("Brussels"));
        assertThat(run(BestOfN.of(QA, 3, ONE_WORD, 1.0), flaky).block().get("answer")).isEqualTo("Brussels");
        assertThat(flaky.requestCount()).isEqualTo(2);
    }

    @Test
    void aRewardThatFailsOrScoresNanOrOutOfRangeFailsItsAttemptWithATypedError() {
        ScriptedLm lm = ScriptedLm.create().reply(answer("Brussels"));
        Reward throwing = Reward.of((in, p) -> {
            throw new IllegalStateException("reward bug");
        });
        assertThatThrownBy(() -> run(BestOfN.of(QA, 2, throwing, 1.0), lm).block())
                .isInstanceOf(PredictException.class)
                .hasMessageContaining("BestOfN: the reward on attempt 2 of 2 (rollout id 1) failed")
                .hasRootCauseMessage("reward bug");
        assertThat(lm.requestCount()).isEqualTo(2);

        Reward nan = (in, p) -> Mono.just(Double.NaN);
        assertThatThrownBy(() -> run(BestOfN.of(QA, 1, nan, 1.0), lm).block())
                .isInstanceOf(PredictException.class).hasMessageContaining("returned NaN");
        Reward empty = (in, p) -> Mono.empty();
        assertThatThrownBy(() -> run(BestOfN.of(QA, 1, empty, 1.0), lm).block())
                .isInstanceOf(PredictException.class).hasMessageContaining("returned no score");
        Reward tooHigh = Reward.of((in, p) -> 2.0).withRange(0, 1);
        assertThatThrownBy(() -> run(BestOfN.of(QA, 1, tooHigh, 1.0), lm).block())
                .isInstanceOf(PredictException.class).hasMessageContaining("returned 2.0, outside its range [0.0, 1.0]");

        // Within the budget, a reward failure is one failed attempt among others.
        AtomicInteger calls = new AtomicInteger();
        Reward firstFails = Reward.of((in, p) -> {
            if (calls.getAndIncrement() == 0) {
                throw new IllegalStateException("flaky reward");
            }
            return 1.0;
        });
        assertThat(run(BestOfN.of(QA, 3, firstFails, 1.0), lm).block().get("answer")).isEqualTo("Brussels");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> BestOfN.of(QA, 0, ONE_WORD, 1.0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n >= 1").hasMessageContaining("0");
        assertThatThrownBy(() -> BestOfN.of(QA, 3, ONE_WORD, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> BestOfN.of(QA, 3, ONE_WORD, 1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threshold 1.5 is outside the reward's range [0.0, 1.0]");
        assertThatThrownBy(() -> BestOfN.of(null, 3, ONE_WORD, 1.0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("module");
        assertThatThrownBy(() -> BestOfN.of(QA, 3, null, 1.0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reward");
        assertThatThrownBy(() -> BestOfN.of(QA, 3, ONE_WORD, 1.0).withFailCount(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failCount");
        assertThatThrownBy(() -> ONE_WORD.withRange(1, 0)).isInstanceOf(IllegalArgumentException.class);
        // Without a declared range any threshold is allowed; +infinity always runs all n attempts.
        ScriptedLm lm = ScriptedLm.create().reply(answer("Brussels"));
        Reward unbounded = Reward.of((in, p) -> 1.0);
        run(BestOfN.of(QA, 3, unbounded, Double.POSITIVE_INFINITY), lm).block();
        assertThat(lm.requestCount()).isEqualTo(3);
    }

    @Test
    void anOptimizersTraceGetsOnlyTheReturnedAttempt() {
        ScriptedLm lm = ScriptedLm.create().replies(answer("a b c"), answer("a"));
        Trace trace = new Trace();
        Prediction p = BestOfN.of(QA, 3, ONE_WORD, 1.0).forward(IN)
                .contextWrite(trace::attach).contextWrite(Settings.empty().withLm(lm).asContext()).block();
        assertThat(trace.entries()).hasSize(1);
        assertThat(trace.entries().get(0).predictor()).isSameAs(QA);
        assertThat(trace.entries().get(0).prediction().get("answer")).isEqualTo("a");
        assertThat(p.get("answer")).isEqualTo("a");
    }

    @Test
    void namesItsPartModuleAsDspyDoes() {
        BestOfN best = BestOfN.of(QA, 3, ONE_WORD, 1.0);
        assertThat(best.namedPredictors()).containsOnlyKeys("module");
        assertThat(BestOfN.of(io.dspex.predict.ChainOfThought.of("q -> a"), 2, ONE_WORD, 1.0).namedPredictors())
                .containsOnlyKeys("module.predict");
        BestOfN copy = best.copy();
        assertThat(copy.n()).isEqualTo(3);
        assertThat(copy.threshold()).isEqualTo(1.0);
        assertThat(copy.failCount()).isEqualTo(3);
    }
}

package io.dspex.modules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Trace;
import io.dspex.adapter.JsonAdapter;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Usage;
import io.dspex.predict.Predict;
import io.dspex.predict.Refine;
import io.dspex.predict.Reward;
import io.dspex.predict.Settings;
import io.dspex.test.ScriptedLm;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** Refine beyond the DSPy fixture: advice failures, several predictors, adapters, usage and the LM it asks. */
class RefineTest {

    static final Reward ONE_WORD = BestOfNTest.ONE_WORD;

    static final Predicate<LmRequest> ADVICE = r -> r.messages().get(0).content().contains("`advice`");

    static String advice(String json) {
        return "[[ ## discussion ## ]]\nToo long.\n\n[[ ## advice ## ]]\n" + json + "\n\n[[ ## completed ## ]]";
    }

    static String userMessage(LmRequest r) {
        return ScriptedLm.lastUserMessage(r);
    }

    /** Two predictors: a rewrite, then an answer. */
    static final class TwoStep extends Module {
        TwoStep(Predict rewrite, Predict answer) {
            register("rewrite", rewrite);
            register("answer", answer);
        }

        TwoStep() {
            this(Predict.of("question -> query"), Predict.of("query -> answer"));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("rewrite").forward(Map.of("question", in.get("question")))
                    .flatMap(q -> child("answer").forward(Map.of("query", q.get("query"))));
        }
    }

    @Test
    void eachPredictorGetsItsOwnAdviceAndNaWithoutAndUsageCountsTheAdviceCalls() {
        AtomicInteger answers = new AtomicInteger();
        ScriptedLm lm = ScriptedLm.create()
                .when(ADVICE, advice("{\"answer\": \"One word only.\"}"))
                .when(r -> r.messages().get(0).content().contains("Your output fields are:\n1. `query`"),
                        "[[ ## query ## ]]\ncapital belgium\n\n[[ ## completed ## ]]")
                .reply(r -> BestOfNTest.answer(answers.getAndIncrement() == 0 ? "The city of Brussels" : "Brussels"))
                .usage(r -> Usage.of(100, 10));
        Prediction p = Refine.of(new TwoStep(), 3, ONE_WORD, 1.0).forward(BestOfNTest.IN)
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();

        assertThat(p.get("answer")).isEqualTo("Brussels");
        // rewrite, answer, advice, rewrite (hinted), answer (hinted)
        assertThat(lm.requestCount()).isEqualTo(5);
        LmRequest hintedRewrite = lm.requests().get(3);
        LmRequest hintedAnswer = lm.requests().get(4);
        assertThat(userMessage(hintedRewrite)).contains("[[ ## hint_ ## ]]\nN/A");
        assertThat(userMessage(hintedAnswer)).contains("[[ ## hint_ ## ]]\nOne word only.");
        assertThat(userMessage(lm.requests().get(2))).contains("[[ ## module_names ## ]]\n[\n  \"rewrite\",\n  "
                + "\"answer\"\n]");
        assertThat(p.usage()).as("all five calls, the advice call included").isEqualTo(Usage.of(500, 50));
        assertThat(p.usageByModel()).containsOnlyKeys("scripted");
    }

    @Test
    void aFailedAdviceCallFailsItsAttemptAndTheNextAttemptGoesOnWithoutHints() {
        ScriptedLm lm = ScriptedLm.create()
                .faultWhen(ADVICE, () -> new LmException.BadRequest("advice refused"))
                .replies(BestOfNTest.answer("a b"), BestOfNTest.answer("a"));
        Prediction p = Refine.of(BestOfNTest.QA, 3, ONE_WORD, 1.0).forward(BestOfNTest.IN)
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();
        assertThat(p.get("answer")).isEqualTo("a");
        assertThat(lm.requestCount()).isEqualTo(3);
        assertThat(userMessage(lm.requests().get(2))).doesNotContain("hint_");

        // With a budget of one failure, the failed advice call is signalled.
        ScriptedLm strict = ScriptedLm.create()
                .faultWhen(ADVICE, () -> new LmException.BadRequest("advice refused"))
                .reply(BestOfNTest.answer("a b"));
        assertThatThrownBy(() -> Refine.of(BestOfNTest.QA, 3, ONE_WORD, 1.0).withFailCount(1)
                .forward(BestOfNTest.IN).contextWrite(Settings.empty().withLm(strict).asContext()).block())
                .isInstanceOf(LmException.BadRequest.class).hasMessageContaining("advice refused");
    }

    @Test
    void hintsGoThroughTheAdapterThePredictorWouldUse() {
        ScriptedLm lm = ScriptedLm.create()
                .when(ADVICE, "{\"discussion\": \"long\", \"advice\": {\"self\": \"Be brief.\"}}")
                .replies("{\"answer\": \"a b\"}")
                .reply("{\"answer\": \"a\"}");
        Prediction p = Refine.of(BestOfNTest.QA, 2, ONE_WORD, 1.0).forward(BestOfNTest.IN)
                .contextWrite(Settings.empty().withLm(lm).withAdapter(new JsonAdapter()).asContext()).block();
        assertThat(p.get("answer")).isEqualTo("a");
        LmRequest hinted = lm.requests().get(2);
        assertThat(hinted.messages().get(0).content()).contains("2. `hint_` (str): A hint to the module from an "
                + "earlier run");
        assertThat(userMessage(hinted)).contains("[[ ## hint_ ## ]]\nBe brief.");
        assertThat(hinted.responseFormat()).as("the JSON adapter's own response format").isNotNull();
    }

    @Test
    void theAdviceCallUsesThePredictorsOwnLmWhenTheSettingsHaveNone() {
        ScriptedLm own = ScriptedLm.create()
                .when(ADVICE, advice("{\"self\": \"Be brief.\"}"))
                .replies(BestOfNTest.answer("a b"))
                .reply(BestOfNTest.answer("a"));
        Prediction p = Refine.of(BestOfNTest.QA.withLm(own), 2, ONE_WORD, 1.0).forward(BestOfNTest.IN).block();
        assertThat(p.get("answer")).isEqualTo("a");
        assertThat(own.requestCount()).isEqualTo(3);
        assertThat(userMessage(own.requests().get(2))).contains("Be brief.");
    }

    @Test
    void theCallersTraceGetsTheReturnedAttemptWithoutTheHint() {
        ScriptedLm lm = ScriptedLm.create()
                .when(ADVICE, advice("{\"self\": \"Be brief.\"}"))
                .replies(BestOfNTest.answer("a b"))
                .reply(BestOfNTest.answer("a"));
        Trace trace = new Trace();
        Refine.of(BestOfNTest.QA, 2, ONE_WORD, 1.0).forward(BestOfNTest.IN).contextWrite(trace::attach)
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();
        assertThat(trace.entries()).hasSize(1);
        assertThat(trace.entries().get(0).inputs()).containsOnlyKeys("question");
        assertThat(trace.entries().get(0).prediction().get("answer")).isEqualTo("a");
    }

    @Test
    void badArgumentsAreNamedAndTheDescriptionsCanBeGiven() {
        assertThatThrownBy(() -> Refine.of(BestOfNTest.QA, -1, ONE_WORD, 1.0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Refine needs n >= 1");
        assertThatThrownBy(() -> Refine.of(BestOfNTest.QA, 2, ONE_WORD, -0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the reward's range");
        ScriptedLm lm = ScriptedLm.create()
                .when(ADVICE, advice("{\"self\": \"Be brief.\"}"))
                .replies(BestOfNTest.answer("a b"))
                .reply(BestOfNTest.answer("a"));
        Refine.of(BestOfNTest.QA, 2, ONE_WORD, 1.0).withProgramCode("class Qa { }")
                .withRewardCode("(in, p) -> words(p) == 1").forward(BestOfNTest.IN)
                .contextWrite(Settings.empty().withLm(lm).asContext()).block();
        String prompt = userMessage(lm.requests().get(1));
        assertThat(prompt).contains("[[ ## program_code ## ]]\nclass Qa { }").contains(
                "[[ ## reward_code ## ]]\n(in, p) -> words(p) == 1").contains("[[ ## reward_value ## ]]\n0.5");
    }
}

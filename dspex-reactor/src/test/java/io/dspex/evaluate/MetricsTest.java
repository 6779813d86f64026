package io.dspex.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Trace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsTest {

    private static Example qa(Object answer) {
        return Example.of(Map.of("question", "What is 1+1?", "answer", answer)).withInputs("question");
    }

    private static Prediction answer(Object answer) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("answer", answer);
        return Prediction.of(m);
    }

    // The docstring examples of dspy/evaluate/metrics.py.

    @Test
    void normalizeTextAsDspy() {
        assertThat(Metrics.normalizeText("The,  Eiffel  Tower!")).isEqualTo("eiffel tower");
        assertThat(Metrics.normalizeText("An apple a day")).isEqualTo("apple day");
        assertThat(Metrics.normalizeText("THE ANSWER: 42.")).isEqualTo("answer 42");
        assertThat(Metrics.normalizeText("the_the")).isEqualTo("thethe");
        // Python's \b does not treat combining marks as word characters: after NFD, "á" is "a" + U+0301 and the
        // "a" is removed as an article. DSPy does exactly this, so we do too.
        assertThat(Metrics.normalizeText("\u00e1 la carte")).isEqualTo("\u0301 la carte");
        // Python's str.split() splits on no-break and em spaces as well.
        assertThat(Metrics.normalizeText("Caf\u00e9\u00a0the\u2003end")).isEqualTo("cafe\u0301 end");
        assertThat(Metrics.normalizeText("x\u00b2a")).isEqualTo("x\u00b2a");
    }

    @Test
    void exactMatchScoreAsDspyEm() {
        assertThat(Metrics.exactMatchScore("The Eiffel Tower", List.of("Eiffel Tower", "Louvre"))).isTrue();
        assertThat(Metrics.exactMatchScore("paris", List.of("Paris"))).isTrue();
        assertThat(Metrics.exactMatchScore("Paris", List.of("paris"))).isTrue();
        assertThat(Metrics.exactMatchScore("Lyon", List.of("Paris"))).isFalse();
        assertThatThrownBy(() -> Metrics.exactMatchScore("x", List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one gold answer");
    }

    @Test
    void f1ScoreAsDspyF1() {
        assertThat(Metrics.f1Score("Eiffel Tower is in Paris", List.of("Paris"))).isCloseTo(0.33, within(0.005));
        assertThat(Metrics.f1Score("the Eiffel Tower", List.of("Eiffel Tower"))).isEqualTo(1.0);
        assertThat(Metrics.f1Score("x b c", List.of("y", "b c d"))).isCloseTo(2.0 / 3, within(1e-12));
        // "a" is an article, so "a b c" is "b c": precision 1, recall 2/3.
        assertThat(Metrics.f1Score("a b c", List.of("b c d"))).isCloseTo(0.8, within(1e-12));
        // Repeated tokens count as a multiset intersection (collections.Counter &).
        assertThat(Metrics.f1Score("paris paris", List.of("paris"))).isCloseTo(2 * 0.5 * 1 / 1.5, within(1e-12));
        // Both sides empty after normalisation: DSPy returns 0.
        assertThat(Metrics.f1Score("the", List.of("a"))).isEqualTo(0.0);
    }

    @Test
    void answerExactMatchOnDspysTests() {
        Metric em = Metrics.exactMatch("answer");
        assertThat(em.score(qa("2"), answer("2"))).isEqualTo(1.0);
        assertThat(em.score(qa(List.of("2", "two")), answer("2"))).isEqualTo(1.0);
        assertThat(em.score(qa("2"), answer("3"))).isEqualTo(0.0);
        // The docstring: frac=1.0 is EM, frac=0.5 is an F1 threshold.
        Example ex = qa(List.of("Eiffel Tower", "Louvre"));
        assertThat(Metrics.exactMatch("answer", 1.0).score(ex, answer("The Eiffel Tower"))).isEqualTo(1.0);
        assertThat(Metrics.exactMatch("answer", 0.5).score(ex, answer("The Eiffel Tower"))).isEqualTo(1.0);
        assertThat(Metrics.exactMatch("answer", 0.5).score(ex, answer("Tower of London today"))).isEqualTo(0.0);
        assertThat(em.name()).isEqualTo("exact_match");
    }

    @Test
    void badAnswerTypesAreNamed() {
        Metric em = Metrics.exactMatch("answer");
        assertThatThrownBy(() -> em.score(qa(42), answer("42")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid answer type").hasMessageContaining("'answer'")
                .hasMessageContaining("Integer");
        assertThatThrownBy(() -> em.score(qa("42"), answer(42)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prediction field 'answer' must be a string, got Integer");
        assertThatThrownBy(() -> em.score(qa("42"), answer(null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got null");
        assertThatThrownBy(() -> em.score(qa(List.of("a", 3)), answer("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 1");
        assertThatThrownBy(() -> Metrics.f1("answer").score(qa("x"), Prediction.of(Map.of("other", "x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no field 'answer'");
        assertThatThrownBy(() -> Metrics.exactMatch(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void passageMatchAsDspy() {
        Metric pm = Metrics.passageMatch();
        Example ex = qa("Eiffel Tower");
        Prediction hit = Prediction.of(Map.of("context", List.of("The Eiffel Tower is in Paris.", "...")));
        Prediction miss = Prediction.of(Map.of("context", List.of("The Louvre is in Paris.")));
        assertThat(pm.score(ex, hit)).isEqualTo(1.0);
        assertThat(pm.score(ex, miss)).isEqualTo(0.0);
        // Whole tokens only: "tower" does not match inside "towers".
        assertThat(Metrics.passageMatchScore(List.of("eiffel towers"), List.of("Eiffel Tower"))).isFalse();
        // Any of several answers; punctuation is dropped before DPR tokenisation.
        assertThat(Metrics.passageMatchScore(List.of("It opened in 1889!"), List.of("1890", "1889"))).isTrue();
        // One string is one passage.
        assertThat(pm.score(ex, Prediction.of(Map.of("context", "near the Eiffel Tower")))).isEqualTo(1.0);
        assertThatThrownBy(() -> pm.score(ex, Prediction.of(Map.of("context", 7))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'context'");
    }

    @Test
    void ofMapsBooleansToOneAndZero() {
        Metric m = Metric.of((ex, p) -> ex.get("answer").equals(p.get("answer")));
        assertThat(m.score(qa("4"), answer("4"))).isEqualTo(1.0);
        assertThat(m.score(qa("4"), answer("5"))).isEqualTo(0.0);
    }

    @Test
    void tracedMetricSeesNullDuringEvaluationAndTheTraceWhenGiven() {
        List<Object> seen = new ArrayList<>();
        Metric m = Metric.traced((ex, p, trace) -> {
            seen.add(trace);
            return trace == null ? 0.5 : trace.size();
        });
        Trace.Entry entry = new Trace.Entry("predictor", Map.of("q", "x"), answer("y"));
        assertThat(m.score(qa("a"), answer("a"))).isEqualTo(0.5);
        assertThat(m.score(qa("a"), answer("a"), List.of(entry, entry))).isEqualTo(2.0);
        assertThat(seen).containsExactly(null, List.of(entry, entry));
        // A plain metric ignores the trace.
        Metric plain = (ex, p) -> 0.25;
        assertThat(plain.score(qa("a"), answer("a"), List.of(entry))).isEqualTo(0.25);
    }

    @Test
    void combinators() {
        Metric one = ((Metric) (e, p) -> 1.0).named("one");
        Metric zero = ((Metric) (e, p) -> 0.0).named("zero");
        Metric half = ((Metric) (e, p) -> 0.5).named("half");
        Example ex = qa("a");
        Prediction p = answer("a");
        assertThat(one.and(zero).score(ex, p)).isEqualTo(0.0);
        assertThat(one.and(half).score(ex, p)).isEqualTo(0.5);
        assertThat(one.or(zero).score(ex, p)).isEqualTo(1.0);
        assertThat(zero.or(half).score(ex, p)).isEqualTo(0.5);
        assertThat(one.and(zero).name()).isEqualTo("and(one, zero)");
        assertThat(Metric.average(one, zero, half).score(ex, p)).isEqualTo(0.5);
        Map<Metric, Double> w = new LinkedHashMap<>();
        w.put(one, 3.0);
        w.put(zero, 1.0);
        assertThat(Metric.weighted(w).score(ex, p)).isEqualTo(0.75);
        assertThat(Metric.weighted(w).name()).isEqualTo("weighted(one, zero)");
        assertThatThrownBy(() -> Metric.weighted(Map.of(one, -1.0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight of metric 'one'");
        assertThatThrownBy(() -> Metric.weighted(Map.of(one, 0.0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("above zero");
        assertThatThrownBy(Metric::average).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> one.and(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void combinatorsPassTheTraceToTracedParts() {
        Metric strictWhenTraced = Metric.traced((e, p, trace) -> trace == null ? 1.0 : 0.0);
        Metric both = strictWhenTraced.and((e, p) -> 1.0);
        Trace.Entry entry = new Trace.Entry("predictor", Map.of(), answer("y"));
        assertThat(both.score(qa("a"), answer("a"))).isEqualTo(1.0);
        assertThat(both.score(qa("a"), answer("a"), List.of(entry))).isEqualTo(0.0);
    }
}

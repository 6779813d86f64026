package io.dspex.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Trace;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class FeedbackMetricTest {

    private static final Example GOLD = Example.of(Map.of("question", "1+1?", "answer", "2")).withInputs("question");
    private static final Prediction RIGHT = Prediction.of(Map.of("answer", "2"));
    private static final Prediction WRONG = Prediction.of(Map.of("answer", "3"));

    @Test
    void theDefaultFeedbackIsDspysWithThePythonFloat() {
        assertThat(ScoreWithFeedback.of(1).feedbackOrDefault()).isEqualTo("This trajectory got a score of 1.0.");
        assertThat(ScoreWithFeedback.of(0.5).feedbackOrDefault()).isEqualTo("This trajectory got a score of 0.5.");
        assertThat(ScoreWithFeedback.of(1.0 / 3).feedbackOrDefault())
                .isEqualTo("This trajectory got a score of 0.3333333333333333.");
        assertThat(new ScoreWithFeedback(0, "Wrong.").feedbackOrDefault()).isEqualTo("Wrong.");
    }

    @Test
    void aScoreMustBeFinite() {
        assertThatThrownBy(() -> new ScoreWithFeedback(Double.NaN, "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("finite number, got NaN");
        assertThatThrownBy(() -> ScoreWithFeedback.of(Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aPlainMetricBecomesAFeedbackMetricWithoutFeedbackAndSeesTheTrace() {
        List<List<Trace.Entry>> seen = new ArrayList<>();
        Metric traced = Metric.traced((e, p, trace) -> {
            seen.add(trace);
            return e.get("answer").equals(p.get("answer")) ? 1 : 0;
        });
        FeedbackMetric m = FeedbackMetric.of(traced);
        assertThat(m.score(GOLD, RIGHT)).isEqualTo(new ScoreWithFeedback(1, null));
        List<Trace.Entry> trace = List.of(new Trace.Entry("p", Map.of("question", "1+1?"), RIGHT));
        assertThat(m.score(GOLD, WRONG, trace, "p", trace).score()).isZero();
        assertThat(seen).containsExactly(null, trace);
        assertThatThrownBy(() -> FeedbackMetric.of(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tracedFeedbackMetricsReceiveThePredictorAskedAbout() {
        FeedbackMetric m = FeedbackMetric.traced((e, p, trace, name, predictorTrace) ->
                new ScoreWithFeedback(1, name == null ? "program" : "about " + name));
        assertThat(m.score(GOLD, RIGHT).feedback()).isEqualTo("program");
        assertThat(m.score(GOLD, RIGHT, List.of(), "generate.predict", List.of()).feedback())
                .isEqualTo("about generate.predict");
    }

    @Test
    void asMetricDropsTheFeedbackAndRejectsANullResult() {
        FeedbackMetric m = (e, p) -> new ScoreWithFeedback(e.get("answer").equals(p.get("answer")) ? 1 : 0, "why");
        assertThat(m.asMetric().score(GOLD, RIGHT)).isEqualTo(1.0);
        assertThat(m.asMetric().score(GOLD, WRONG, List.of())).isEqualTo(0.0);
        FeedbackMetric broken = (e, p) -> null;
        assertThatThrownBy(() -> broken.asMetric().score(GOLD, RIGHT)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("returned null instead of a ScoreWithFeedback");
    }

    @Test
    void evaluateRunsAFeedbackMetricThroughAsMetric() {
        FeedbackMetric m = (e, p) -> new ScoreWithFeedback(e.get("answer").equals(p.get("answer")) ? 1 : 0, "why");
        EvaluationResult r = Evaluate.builder().devset(List.of(GOLD)).metric(m.asMetric()).build()
                .run(inputs -> Mono.just(RIGHT)).block();
        assertThat(r.score()).isEqualTo(100.0);
    }
}

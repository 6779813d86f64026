package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Trace;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** SIMBA's strategies and helpers against DSPy's ({@code simba-rule.json}) and NumPy's percentiles. */
class SimbaStrategiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void percentilesAreNumpys() {
        assertThat(Simba.percentile(new double[] {0, 1, 0, 1, 1, 0, 0.5, 1, 0, 0, 1, 1}, 10)).isEqualTo(0.0);
        assertThat(Simba.percentile(new double[] {0, 1, 0, 1, 1, 0, 0.5, 1, 0, 0, 1, 1}, 90)).isEqualTo(1.0);
        assertThat(Simba.percentile(new double[] {1.0}, 10)).isEqualTo(1.0);
        double[] spread = {0.3, 0.1, 0.7, 0.2, 0.9, 0.4, 0.6, 0.8, 0.5, 0.05, 0.15, 0.25, 0.35, 0.45, 0.55};
        assertThat(Simba.percentile(spread, 10)).isEqualTo(0.12000000000000001);
        assertThat(Simba.percentile(spread, 90)).isEqualTo(0.76);
        assertThat(Simba.percentile(new double[] {0.5, 1.0}, 10)).isEqualTo(0.55);
        assertThat(Simba.percentile(new double[] {0.5, 1.0}, 90)).isEqualTo(0.95);
    }

    private static SimbaStrategies.Outcome outcome(Example example, String answer, List<Trace.Entry> trace,
                                                   double score, @Nullable String feedback) {
        Rollouts.Rollout r = new Rollouts.Rollout(example, Prediction.of(Map.of("answer", answer)), trace, score,
                new ScoreWithFeedback(score, feedback), null);
        Map<String, @Nullable Object> info = new LinkedHashMap<>();
        info.put("feedback", feedback);
        return new SimbaStrategies.Outcome(r, info);
    }

    @Test
    void appendARuleSendsDspysOfferFeedbackRequestAndAppendsTheAdvice() throws IOException {
        JsonNode fixture;
        try (InputStream in = SimbaStrategiesTest.class.getResourceAsStream("simba-rule.json")) {
            fixture = JSON.readTree(in);
        }
        for (JsonNode c : fixture.get("cases")) {
            SimbaConformanceTest.Solve system = new SimbaConformanceTest.Solve();
            Map<String, Predictor> predictors = system.namedPredictors();
            Map<Object, String> names = new IdentityHashMap<>();
            predictors.forEach((n, p) -> names.put(p, n));
            Map<String, Object> labels = new LinkedHashMap<>();
            labels.put("question", "n=2 — deux ✓");
            labels.put("answer", "even");
            Map<String, Object> note = new LinkedHashMap<>();
            note.put("hint", "pair");
            note.put("k", 2);
            labels.put("note", note);
            Example example = Example.of(labels).withInputs("question");
            List<SimbaStrategies.Outcome> bucket = List.of(
                    outcome(example, "even", trajectory(predictors, "even"), c.get("good_score").asDouble(),
                            "Right ✓"),
                    outcome(example, "odd", trajectory(predictors, "odd"), c.get("bad_score").asDouble(), null));
            List<List<Message>> requests = new CopyOnWriteArrayList<>();
            LanguageModel promptLm = request -> Mono.fromCallable(() -> {
                requests.add(request.messages());
                return LmResponse.of(SimbaConformanceTest.adviceReply(request));
            });
            Map<String, Predictor> changed = SimbaStrategies.appendARule(bucket, system, predictors, names,
                    c.get("p10").asDouble(), c.get("p90").asDouble(), promptLm).block();
            List<List<Map<String, String>>> expected = JSON.convertValue(c.get("requests"), new TypeReference<>() { });
            assertThat(requests).hasSameSizeAs(expected);
            for (int i = 0; i < requests.size(); i++) {
                List<Map<String, String>> got = new ArrayList<>();
                requests.get(i).forEach(m -> got.add(Map.of("role", m.role().name().toLowerCase(Locale.ROOT),
                        "content", m.content())));
                assertThat(got).isEqualTo(expected.get(i));
            }
            assertThat(changed).isNotNull();
            Map<String, Object> state = SimbaConformanceTest.state(system.withNamedPredictors(changed));
            assertThat(state).isEqualTo(JSON.convertValue(c.get("result"), new TypeReference<>() { }));
        }
    }

    private static List<Trace.Entry> trajectory(Map<String, Predictor> predictors, String answer) {
        return List.of(
                new Trace.Entry(predictors.get("draft"), Map.of("question", "n=2 — deux ✓"),
                        Prediction.of(Map.of("draft", "k is 2"))),
                new Trace.Entry(predictors.get("answer"), orderedInputs(),
                        Prediction.of(Map.of("answer", answer))));
    }

    private static Map<String, @Nullable Object> orderedInputs() {
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        m.put("question", "n=2 — deux ✓");
        m.put("draft", "k is 2");
        return m;
    }

    @Test
    void appendADemoAppendsTheBestRunsLastCallPerPredictorAndCutsLongInputs() {
        SimbaConformanceTest.Solve system = new SimbaConformanceTest.Solve();
        Map<String, Predictor> predictors = system.namedPredictors();
        Map<Object, String> names = new IdentityHashMap<>();
        predictors.forEach((n, p) -> names.put(p, n));
        String longQuestion = "q".repeat(SimbaStrategies.DEMO_INPUT_FIELD_MAXLEN + 5);
        Example example = Example.of(Map.of("question", longQuestion, "answer", "even")).withInputs("question");
        List<Trace.Entry> trace = List.of(
                new Trace.Entry(predictors.get("draft"), Map.of("question", longQuestion),
                        Prediction.of(Map.of("draft", "first"))),
                new Trace.Entry(predictors.get("draft"), Map.of("question", "short"),
                        Prediction.of(Map.of("draft", "second"))),
                new Trace.Entry("not a predictor of the program", Map.of("x", "y"), Prediction.of(Map.of("z", "w"))));
        List<SimbaStrategies.Outcome> bucket = List.of(outcome(example, "even", trace, 1.0, null),
                outcome(example, "odd", List.of(), 0.0, null));
        Map<String, Predictor> out = SimbaStrategies.appendADemo(bucket, predictors, names, 0.5);
        assertThat(out.get("answer").demos()).isEmpty();
        Map<String, Object> demo = new LinkedHashMap<>();
        demo.put("augmented", true);
        demo.put("question", "short");
        demo.put("draft", "second");
        assertThat(out.get("draft").demos()).containsExactly(Example.of(demo));
        assertThat(out.get("draft").demos().get(0).keys()).containsExactly("augmented", "question", "draft");
        // At or below the 10th percentile: nothing changes.
        assertThat(SimbaStrategies.appendADemo(bucket, predictors, names, 1.0)).isSameAs(predictors);
        Map<String, Predictor> cut = SimbaStrategies.appendADemo(List.of(outcome(example, "even",
                trace.subList(0, 1), 1.0, null)), predictors, names, 0.5);
        String shown = (String) cut.get("draft").demos().get(0).get("question");
        assertThat(shown).hasSize(SimbaStrategies.DEMO_INPUT_FIELD_MAXLEN + "\n\t\t... <TRUNCATED FOR BREVITY>".length())
                .endsWith("q\n\t\t... <TRUNCATED FOR BREVITY>");
    }

    @Test
    void theProgramCodeNamesTheClassAndItsPredictors() {
        assertThat(SimbaStrategies.programCode(new SimbaConformanceTest.Solve())).isEqualTo(
                "// io.dspex.optimize.SimbaConformanceTest$Solve: a DSPEx program (Java; its source is not available "
                        + "at run time).\n// Its predictors, by path:\n//   draft: Predict(question -> draft)\n"
                        + "//   answer: Predict(question, draft -> answer)");
    }
}

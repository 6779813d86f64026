package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Predictor;
import io.dspex.evaluate.Metric;
import io.dspex.lm.CallConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;




/**
 * Expected demos were printed by a line-for-line Python mirror of DSPy 3.3's {@code LabeledFewShot.compile},
 * {@code BootstrapFewShot._bootstrap} and {@code _train} under CPython 3.11 (toy teacher: right unless i % 3 == 0).
 */
class BootstrapFewShotTest {

    static final Metric EXACT = (ex, pred) -> ex.get("answer").equals(pred.get("answer")) ? 1 : 0;

    static List<Example> train(int n) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Example.of(Map.of("question", "q" + i, "answer", "a" + i)).withInputs("question"));
        }
        return out;
    }

    static Map<String, List<Example>> demos(io.dspex.Program program) {
        Map<String, List<Example>> out = new java.util.LinkedHashMap<>();
        program.namedPredictors().forEach((path, p) -> out.put(path, p.demos()));
        return out;
    }

    static int index(Object question) {
        return Integer.parseInt(question.toString().substring(1));
    }

    /** Answers right only for questions whose number is not a multiple of 3. */
    static FakePredictor first() {
        return new FakePredictor("question -> draft", (in, demos) -> {
            int i = index(in.get("question"));
            return Map.of("draft", i % 3 != 0 ? "da" + i : "wrong");
        });
    }

    static FakePredictor second() {
        return new FakePredictor("draft -> answer", (in, demos) -> {
            String d = in.get("draft").toString();
            return Map.of("answer", d.startsWith("d") ? d.substring(1) : "wrong");
        });
    }

    static List<String> keys(Predictor p) {
        List<String> out = new ArrayList<>();
        for (Example d : p.demos()) {
            out.add(d.has("question") ? d.get("question").toString() : d.get("draft").toString());
        }
        return out;
    }

    private static TwoStep compile(BootstrapFewShot optimizer, TwoStep student, List<Example> train) {
        return optimizer.compile(student, train).block();
    }

    @Test
    void demosAreExactlyThoseDspyChooses() {
        record Case(int maxB, int maxL, long seed, List<String> first, List<String> second) {
        }
        List<Case> cases = List.of(
                new Case(4, 16, 0,
                        List.of("q1", "q2", "q4", "q5", "q0", "q16", "q7", "q14", "q13", "q17", "q15", "q10", "q8",
                                "q3", "q9", "q11"),
                        List.of("da1", "da2", "da4", "da5", "q14", "q8", "q7", "q13", "q3", "q15", "q0", "q9", "q10",
                                "q11", "q17", "q16")),
                new Case(2, 5, 0, List.of("q1", "q2", "q9", "q10", "q11"), List.of("da1", "da2", "q10", "q11", "q9")),
                new Case(3, 3, 0, List.of("q1", "q2", "q4"), List.of("da1", "da2", "da4")),
                new Case(4, 16, 7,
                        List.of("q1", "q2", "q4", "q5", "q3", "q11", "q8", "q14", "q7", "q18", "q16", "q19", "q15",
                                "q17", "q0", "q10"),
                        List.of("da1", "da2", "da4", "da5", "q14", "q3", "q11", "q16", "q15", "q0", "q17", "q19",
                                "q10", "q7", "q8", "q18")));
        for (Case c : cases) {
            for (int concurrency : new int[] {1, 3, 16}) {
                BootstrapFewShot opt = BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(c.maxB)
                        .maxLabeledDemos(c.maxL).seed(c.seed).concurrency(concurrency).build();
                TwoStep compiled = compile(opt, new TwoStep(first(), second()), train(20));
                assertThat(keys(compiled.namedPredictors().get("first"))).as("%s first, concurrency %d", c,
                        concurrency).isEqualTo(c.first);
                assertThat(keys(compiled.namedPredictors().get("second"))).as("%s second", c).isEqualTo(c.second);
            }
        }
    }

    @Test
    void bootstrappedDemosAreAugmentedInputsThenOutputs() {
        TwoStep compiled = compile(BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(1)
                .maxLabeledDemos(1).build(), new TwoStep(first(), second()), train(5));
        Example demo = compiled.namedPredictors().get("second").demos().get(0);
        assertThat(new ArrayList<>(demo.toMap().entrySet())).containsExactly(Map.entry("augmented", true),
                Map.entry("draft", "da1"), Map.entry("answer", "a1"));
        assertThat(compiled.namedPredictors().get("first").demos().get(0).toMap())
                .isEqualTo(new LinkedHashMap<>(Map.of("augmented", true, "question", "q1", "draft", "da1")));
    }

    @Test
    void teacherSeesLabeledDemosWithoutTheCurrentExampleAndStudentIsUntouched() {
        FakePredictor f = first();
        TwoStep student = new TwoStep(f, second());
        compile(BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(4).maxLabeledDemos(16).build(),
                student, train(20));
        // DSPy's teacher: LabeledFewShot(16) -> Random(0).sample(trainset, 16) for "first"
        List<String> labeled = List.of("q12", "q13", "q1", "q8", "q15", "q6", "q19", "q4", "q7", "q5", "q9", "q3",
                "q2", "q11", "q17", "q0");
        FakePredictor.Call q1 = f.calls().stream().filter(c -> c.inputs().get("question").equals("q1")).findFirst()
                .orElseThrow();
        List<String> seen = q1.demos().stream().map(d -> d.get("question").toString()).toList();
        List<String> expected = new ArrayList<>(labeled);
        expected.remove("q1");
        assertThat(seen).isEqualTo(expected);
        assertThat(student.namedPredictors().get("first").demos()).isEmpty();
        assertThat(student.namedPredictors().get("first")).isSameAs(f);
    }

    @Test
    void sameSeedGivesTheSameProgramTwice() {
        BootstrapFewShot opt = BootstrapFewShot.builder().metric(EXACT).seed(3).concurrency(4).build();
        TwoStep student = new TwoStep(first(), second());
        TwoStep a = compile(opt, student, train(30));
        TwoStep b = compile(opt, student, train(30));
        assertThat(demos(a)).isEqualTo(demos(b)).isNotEqualTo(demos(student));
    }

    @Test
    void laterRoundsRunAtTemperatureOneWithAFreshRolloutId() {
        AtomicInteger calls = new AtomicInteger();
        FakePredictor flaky = new FakePredictor("question -> answer", (in, demos) ->
                // every first attempt is wrong; the second is right
                Map.of("answer", calls.getAndIncrement() % 2 == 0 ? "wrong" : "a" + index(in.get("question"))));
        Predictor compiled = BootstrapFewShot.builder().metric(EXACT).maxRounds(3).maxBootstrappedDemos(2)
                .maxLabeledDemos(2).concurrency(1).build().compile((Predictor) flaky, train(4)).block();
        assertThat(compiled.demos()).extracting(d -> d.get("question")).containsExactly("q0", "q1");
        assertThat(compiled.demos()).allMatch(d -> Boolean.TRUE.equals(d.get("augmented")));
        List<FakePredictor.Call> seen = new ArrayList<>(flaky.calls());
        assertThat(seen).hasSize(4);
        assertThat(seen.get(0).settings().config()).isEqualTo(CallConfig.empty());
        assertThat(seen.get(1).settings().config().temperature()).isEqualTo(1.0);
        assertThat(seen.get(1).settings().config().rolloutId()).isEqualTo("1");
    }

    @Test
    void errorsAreToleratedUntilMaxErrors() {
        FakePredictor failing = new FakePredictor("question -> answer", (in, demos) -> {
            int i = index(in.get("question"));
            if (i < 3) {
                throw new IllegalStateException("boom " + i);
            }
            return Map.of("answer", "a" + i);
        });
        Predictor ok = BootstrapFewShot.builder().metric(EXACT).maxErrors(4).maxBootstrappedDemos(2)
                .maxLabeledDemos(0).build().compile((Predictor) failing, train(6)).block();
        assertThat(ok.demos()).extracting(d -> d.get("question")).containsExactly("q3", "q4");
        StepVerifier.create(BootstrapFewShot.builder().metric(EXACT).maxErrors(3).maxLabeledDemos(0).build()
                        .compile((Predictor) failing, train(6)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessage("boom 2"))
                .verify();
    }

    @Test
    void metricThresholdDecidesWhatCounts() {
        Metric half = (ex, pred) -> index(ex.get("question")) % 2 == 0 ? 0.5 : 1.0;
        FakePredictor p = new FakePredictor("question -> answer", (in, d) -> Map.of("answer", "x"));
        Predictor strict = BootstrapFewShot.builder().metric(half).metricThreshold(0.8).maxBootstrappedDemos(2)
                .maxLabeledDemos(2).build().compile((Predictor) p, train(6)).block();
        assertThat(strict.demos()).extracting(d -> d.get("question")).containsExactly("q1", "q3");
        Predictor truthy = BootstrapFewShot.builder().metric(half).maxBootstrappedDemos(2).maxLabeledDemos(2)
                .build().compile((Predictor) p, train(6)).block();
        assertThat(truthy.demos()).extracting(d -> d.get("question")).containsExactly("q0", "q1");
    }

    @Test
    void aPredictorCalledTwiceContributesOneDemoPerRun() {
        FakePredictor p = new FakePredictor("question -> answer", (in, d) -> Map.of("answer",
                "a" + index(in.get("question"))));
        io.dspex.Program twice = new io.dspex.Module() {
            {
                register("step", p);
            }

            @Override
            protected reactor.core.publisher.Mono<io.dspex.Prediction> run(Example in) {
                return child("step").forward(Map.of("question", "q99"))
                        .then(child("step").forward(Map.of("question", in.get("question"))));
            }
        };
        io.dspex.Program compiled = BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(3)
                .maxLabeledDemos(3).build().compile(twice, train(3)).block();
        List<Example> demos = compiled.namedPredictors().get("step").demos();
        assertThat(demos).hasSize(3).allMatch(d -> Boolean.TRUE.equals(d.get("augmented")));
        io.dspex.Program again = BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(3)
                .maxLabeledDemos(3).build().compile(twice, train(3)).block();
        assertThat(again.namedPredictors().get("step").demos()).isEqualTo(demos);
    }

    @Test
    void badInputIsNamed() {
        BootstrapFewShot opt = BootstrapFewShot.builder().build();
        List<Example> unmarked = List.of(Example.of(Map.of("question", "q0", "answer", "a0")));
        assertThatThrownBy(() -> opt.compile(first(), unmarked)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trainset[0] has no input keys");
        BootstrapFewShot withTeacher = BootstrapFewShot.builder().teacher(second()).build();
        StepVerifier.create(withTeacher.compile((Predictor) first(), train(2)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("predictor 'self'"))
                .verify();
        assertThatThrownBy(() -> BootstrapFewShot.builder().maxRounds(0)).hasMessageContaining("maxRounds");
    }
}

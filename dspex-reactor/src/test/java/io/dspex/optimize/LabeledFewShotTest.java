package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabeledFewShotTest {

    @Test
    void samplesAsDspyDoesFromOneGeneratorAcrossPredictors() {
        TwoStep student = new TwoStep(BootstrapFewShotTest.first(), BootstrapFewShotTest.second());
        TwoStep compiled = LabeledFewShot.builder().k(3).build().compile(student, BootstrapFewShotTest.train(20)).block();
        // random.Random(0): sample(trainset, 3) for "first", then for "second"
        assertThat(BootstrapFewShotTest.keys(compiled.namedPredictors().get("first")))
                .containsExactly("q12", "q13", "q1");
        assertThat(BootstrapFewShotTest.keys(compiled.namedPredictors().get("second")))
                .containsExactly("q8", "q16", "q15");
        assertThat(student.namedPredictors().get("first").demos()).isEmpty();
    }

    @Test
    void withoutSamplingTakesTheFirstK() {
        TwoStep compiled = LabeledFewShot.builder().k(2).sample(false).build()
                .compile(new TwoStep(BootstrapFewShotTest.first(), BootstrapFewShotTest.second()),
                        BootstrapFewShotTest.train(5)).block();
        assertThat(BootstrapFewShotTest.keys(compiled.namedPredictors().get("second"))).containsExactly("q0", "q1");
    }

    @Test
    void anEmptyTrainsetGivesTheResetStudent() {
        FakePredictor p = BootstrapFewShotTest.first();
        assertThat(LabeledFewShot.builder().k(4).build().compile(p.withDemos(BootstrapFewShotTest.train(2)), List.of()).block()
                .demos()).isEmpty();
    }

    @Test
    void knnRendersInputsAsDspyDoes() {
        Map<String, Object> in = new java.util.LinkedHashMap<>();
        in.put("question", "Why?");
        in.put("context", List.of("a", "b"));
        assertThat(KnnFewShot.render(in)).isEqualTo("question: Why? | context: ['a', 'b']");
    }
}

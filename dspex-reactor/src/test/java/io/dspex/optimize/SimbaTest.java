package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmException;
import io.dspex.lm.LmResponse;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import io.dspex.predict.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/** SIMBA's behaviour beyond the DSPy fixtures: determinism, results, progress, and bad input. */
class SimbaTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final LanguageModel TASK_LM = request -> Mono.fromCallable(
            () -> LmResponse.of(SimbaConformanceTest.taskReply(request)));
    private static final LanguageModel PROMPT_LM = request -> Mono.fromCallable(
            () -> LmResponse.of(SimbaConformanceTest.adviceReply(request)));

    private static Simba.Builder simba() {
        return Simba.builder().metric(SimbaConformanceTest.FEEDBACK).bsize(4).numCandidates(3).maxSteps(4).maxDemos(1)
                .seed(3).promptModel(PROMPT_LM);
    }

    private static <P extends Program> SimbaResult<P> run(Simba s, P student, List<Example> train) {
        return s.optimize(student, train).contextWrite(Settings.empty().withLm(TASK_LM).asContext()).block(WAIT);
    }

    @Test
    void theRunImprovesTheProgramAndReportsItsFinalistsAndSteps() {
        SimbaResult<SimbaConformanceTest.Solve> r = run(simba().build(), new SimbaConformanceTest.Solve(),
                SimbaConformanceTest.trainset(8));
        assertThat(r.bestScore()).isEqualTo(1.0);
        assertThat(r.candidatePrograms().get(0).score()).isEqualTo(r.bestScore());
        assertThat(r.candidatePrograms()).extracting(SimbaResult.Scored::score).isSortedAccordingTo(
                (a, b) -> Double.compare(b, a));
        assertThat(r.steps()).hasSize(4).allSatisfy(s -> assertThat(s.candidateScores()).hasSizeBetween(1, 4));
        // The unoptimized student is a finalist and scores 0: it answers wrongly without demos, advice or luck.
        assertThat(r.candidatePrograms().get(r.candidatePrograms().size() - 1).score()).isZero();
    }

    @Test
    void theSameSeedGivesTheSameProgramWhateverTheConcurrency(@TempDir Path dir) throws Exception {
        SimbaResult<SimbaConformanceTest.Solve> a = run(simba().concurrency(1).build(),
                new SimbaConformanceTest.Solve(), SimbaConformanceTest.trainset(8));
        SimbaResult<SimbaConformanceTest.Solve> b = run(simba().concurrency(16).build(),
                new SimbaConformanceTest.Solve(), SimbaConformanceTest.trainset(8));
        a.best().save(dir.resolve("a.json"));
        b.best().save(dir.resolve("b.json"));
        assertThat(Files.readString(dir.resolve("b.json"))).isEqualTo(Files.readString(dir.resolve("a.json")));
        assertThat(b.steps()).isEqualTo(a.steps());
    }

    @Test
    void progressIsReportedAfterEachStep() {
        List<int[]> seen = new CopyOnWriteArrayList<>();
        run(simba().progressListener((done, total, errors, score) -> seen.add(new int[] {done, total})).build(),
                new SimbaConformanceTest.Solve(), SimbaConformanceTest.trainset(8));
        assertThat(seen).extracting(s -> s[0]).containsExactly(1, 2, 3, 4);
        assertThat(seen).allSatisfy(s -> assertThat(s[1]).isEqualTo(4));
    }

    @Test
    void withoutAPromptModelOrLmRulesFailAndOnlyDemosAreBuilt() {
        // The task LM is given to the predictors themselves, so the Settings hold no LM for append_a_rule.
        SimbaConformanceTest.Solve student = new SimbaConformanceTest.Solve();
        Map<String, Predictor> withLm = new LinkedHashMap<>();
        student.namedPredictors().forEach((n, p) -> withLm.put(n, ((Predict) p).withLm(TASK_LM)));
        Program program = student.withNamedPredictors(withLm);
        SimbaResult<Program> r = Simba.builder().metric(SimbaConformanceTest.PLAIN).bsize(4).numCandidates(3)
                .maxSteps(3).maxDemos(2).seed(0).build().optimize(program, SimbaConformanceTest.trainset(8))
                .block(WAIT);
        assertThat(r).isNotNull();
        r.candidatePrograms().forEach(c -> c.program().namedPredictors().values()
                .forEach(p -> assertThat(p.signature().instructions()).doesNotContain("\n\n")));
    }

    @Test
    void aFailingTaskModelScoresZeroAndTheRunCompletes() {
        LanguageModel down = request -> Mono.error(LmException.forStatus(503, "down", null, null, null));
        SimbaResult<SimbaConformanceTest.Solve> r = simba().maxSteps(2).build()
                .optimize(new SimbaConformanceTest.Solve(), SimbaConformanceTest.trainset(8))
                .contextWrite(Settings.empty().withLm(down).withRetry(RetryPolicy.none()).asContext()).block(WAIT);
        assertThat(r.bestScore()).isZero();
    }

    @Test
    void badInputIsRejectedClearly() {
        assertThatThrownBy(() -> Simba.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs a metric");
        assertThatThrownBy(() -> Simba.builder().bsize(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bsize must be at least 1, got 0");
        assertThatThrownBy(() -> Simba.builder().numCandidates(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Simba.builder().maxDemos(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Simba.builder().temperatureForSampling(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("temperatureForSampling must be a finite number above 0, got 0.0");
        assertThatThrownBy(() -> Simba.builder().temperatureForCandidates(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        Simba s = simba().bsize(9).build();
        assertThatThrownBy(() -> s.compile(new SimbaConformanceTest.Solve(), SimbaConformanceTest.trainset(8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Trainset too small: 8 < 9");
        Program lambda = inputs -> Mono.just(Prediction.of(Map.of("answer", "x")));
        assertThatThrownBy(() -> simba().build().compile(lambda, SimbaConformanceTest.trainset(8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has none");
        assertThatThrownBy(() -> simba().build().compile(new SimbaConformanceTest.Solve(),
                List.of(Example.of(Map.of("question", "n=1")), Example.of(Map.of("question", "n=2")),
                        Example.of(Map.of("question", "n=3")), Example.of(Map.of("question", "n=4")))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trainset[0] has no input keys");
    }

    @Test
    void zeroStepsReturnsTheStudentScored() {
        AtomicInteger calls = new AtomicInteger();
        LanguageModel counting = request -> Mono.fromCallable(() -> {
            calls.incrementAndGet();
            return LmResponse.of(SimbaConformanceTest.taskReply(request));
        });
        SimbaResult<SimbaConformanceTest.Solve> r = simba().maxSteps(0).build()
                .optimize(new SimbaConformanceTest.Solve(), SimbaConformanceTest.trainset(8))
                .contextWrite(Settings.empty().withLm(counting).asContext()).block(WAIT);
        assertThat(r.candidatePrograms()).hasSize(1);
        assertThat(r.steps()).isEmpty();
        assertThat(calls.get()).isEqualTo(16);
    }
}

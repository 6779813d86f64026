package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.evaluate.FeedbackMetric;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmException;
import io.dspex.lm.LmResponse;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import io.dspex.predict.Settings;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/** GEPA's behaviour: budget, convergence, the reflection prompt, the frontier, and bad input. */
class GepaTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private static final LanguageModel TASK_LM = request -> Mono.fromCallable(
            () -> LmResponse.of(GepaConformanceTest.taskReply(request)));
    private static final LanguageModel REFLECTION_LM = request -> Mono.fromCallable(
            () -> LmResponse.of(GepaConformanceTest.reflectionReply(request.messages().get(0).content())));

    private static final FeedbackMetric WORDS_METRIC = FeedbackMetric.traced(
            (gold, pred, trace, name, predictorTrace) -> GepaConformanceTest.score(gold, pred, name));

    private static List<Example> trainset() {
        return GepaConformanceTest.words(GepaConformanceTest.WORDS.subList(0, 6));
    }

    private static List<Example> valset() {
        return GepaConformanceTest.words(GepaConformanceTest.WORDS.subList(2, 8));
    }

    private static <P extends Program> GepaResult<P> run(Gepa gepa, P student, List<Example> trainset) {
        return gepa.optimize(student, trainset).contextWrite(Settings.empty().withLm(TASK_LM).asContext()).block(WAIT);
    }

    private static Gepa.Builder words() {
        return Gepa.builder().metric(WORDS_METRIC).reflectionLm(REFLECTION_LM).valset(valset()).concurrency(3);
    }

    // ---------------------------------------------------------------- budget and convergence

    @Test
    void theFeedbackNamesTheMissingRulesAndGepaReachesTheTopScoreWithinTheBudget() {
        AtomicInteger calls = new AtomicInteger();
        FeedbackMetric counted = FeedbackMetric.traced((gold, pred, trace, name, pt) -> {
            if (name == null) {
                calls.incrementAndGet();
            }
            return GepaConformanceTest.score(gold, pred, name);
        });
        GepaResult<GepaConformanceTest.Pipeline> r = run(words().metric(counted).maxMetricCalls(40).build(),
                new GepaConformanceTest.Pipeline(), trainset());
        assertThat(r.bestScore()).isEqualTo(1.0);
        assertThat(r.totalMetricCalls()).isLessThanOrEqualTo(40).isEqualTo(calls.get());
        Map<String, String> instructions = new LinkedHashMap<>();
        r.best().namedPredictors().forEach((n, p) -> instructions.put(n, p.signature().instructions()));
        assertThat(instructions).containsEntry("extract", "Extract the word. make the word lowercase.")
                .containsEntry("answer", "Answer with the word. reverse the word.");
    }

    @Test
    void theBudgetIsNeverExceededWhateverItIs() {
        for (int budget = 6; budget <= 70; budget++) {
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger programRuns = new AtomicInteger();
            FeedbackMetric counted = FeedbackMetric.traced((gold, pred, trace, name, pt) -> {
                if (name == null) {
                    calls.incrementAndGet();
                }
                return GepaConformanceTest.score(gold, pred, name);
            });
            LanguageModel countingLm = request -> Mono.fromCallable(() -> {
                programRuns.incrementAndGet();
                return LmResponse.of(GepaConformanceTest.taskReply(request));
            });
            Gepa gepa = words().metric(counted).maxMetricCalls(budget).seed(budget).build();
            GepaResult<GepaConformanceTest.Pipeline> r = gepa.optimize(new GepaConformanceTest.Pipeline(), trainset())
                    .contextWrite(Settings.empty().withLm(countingLm).asContext()).block(WAIT);
            assertThat(r).isNotNull();
            assertThat(calls.get()).as("metric calls with budget %d", budget).isLessThanOrEqualTo(budget)
                    .isEqualTo(r.totalMetricCalls());
            // Two predictors: two LM calls per program run.
            assertThat(programRuns.get()).isEqualTo(2 * calls.get());
            assertThat(r.budget()).isEqualTo(budget);
        }
    }

    @Test
    void budgetsFromFullEvalsAndAutoAreDspys() {
        Gepa full = words().maxFullEvals(3).build();
        assertThat(full.budget(2, 6, 6)).isEqualTo(3 * (6 + 6));
        assertThat(full.budget(2, 6, null)).isEqualTo(3 * 6);
        Gepa light = words().auto(Gepa.Auto.LIGHT).build();
        assertThat(light.budget(1, 24, 8)).isEqualTo(412);
        assertThat(light.budget(1, 8, null)).isEqualTo(412);
        GepaResult<GepaConformanceTest.Pipeline> r = run(words().maxFullEvals(2).build(),
                new GepaConformanceTest.Pipeline(), trainset());
        assertThat(r.budget()).isEqualTo(24);
        assertThat(r.totalMetricCalls()).isLessThanOrEqualTo(24);
    }

    @Test
    void progressIsReportedInMetricCallsAgainstTheBudget() {
        List<int[]> seen = new CopyOnWriteArrayList<>();
        List<Double> best = new CopyOnWriteArrayList<>();
        GepaResult<GepaConformanceTest.Pipeline> r = run(words().maxMetricCalls(30).progressListener(
                (done, total, errors, score) -> {
                    seen.add(new int[] {done, total, errors});
                    best.add(score);
                }).build(), new GepaConformanceTest.Pipeline(), trainset());
        assertThat(seen).isNotEmpty();
        assertThat(seen.get(0)[0]).isEqualTo(6);
        assertThat(seen.get(seen.size() - 1)[0]).isEqualTo(r.totalMetricCalls());
        assertThat(seen).allSatisfy(s -> assertThat(s[0]).isLessThanOrEqualTo(s[1]).isLessThanOrEqualTo(30));
        assertThat(best.get(0)).isEqualTo(25.0);
        assertThat(best.get(best.size() - 1)).isEqualTo(100.0 * r.bestScore());
    }

    // ---------------------------------------------------------------- the reflection prompt

    /** DSPy's {@code Twice}: one ChainOfThought called twice per run, with list and int inputs. */
    static final class Twice extends Module {
        Twice() {
            register("step", ChainOfThought.of(Signature.parse("items: list[str], n: int -> pick: str",
                    "Pick the n-th item.")));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            int n = ((Number) in.get("n")).intValue();
            return child("step").forward(Map.of("items", in.get("items"), "n", n))
                    .flatMap(a -> child("step").forward(Map.of("items", in.get("items"), "n", n + 1))
                            .map(b -> Prediction.of(Map.of("pick", a.get("pick") + "|" + b.get("pick")))));
        }
    }

    private static Example twice(List<String> items, int n, String pick) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", items);
        m.put("n", n);
        m.put("pick", pick);
        return Example.of(m).withInputs("items", "n");
    }

    @Test
    void theReflectionPromptIsGepasWithDspysReflectiveDatasetAndDefaultFeedback() throws IOException {
        JsonNode fixture;
        try (InputStream in = GepaTest.class.getResourceAsStream("gepa-prompt.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
        ObjectMapper json = new ObjectMapper();
        LanguageModel taskLm = request -> Mono.fromCallable(() -> {
            String last = request.messages().get(request.messages().size() - 1).content();
            List<?> items = json.readValue(GepaConformanceTest.section(last, "items"), List.class);
            int n = Integer.parseInt(GepaConformanceTest.section(last, "n"));
            String pick = n >= 0 && n < items.size() ? (String) items.get(n) : "none";
            return LmResponse.of("[[ ## reasoning ## ]]\nCounting to " + n + " in " + items.size() + " items.  \n\n"
                    + "[[ ## pick ## ]]\n" + pick + "\n\n[[ ## completed ## ]]");
        });
        List<String> prompts = new CopyOnWriteArrayList<>();
        LanguageModel reflection = request -> Mono.fromCallable(() -> {
            prompts.add(request.messages().get(0).content());
            return LmResponse.of("```text\nPick the item at position n, counting from zero.\n```");
        });
        Metric plain = (gold, pred) -> gold.get("pick").equals(pred.get("pick")) ? 1.0 : 0.0;
        List<Example> train = List.of(twice(List.of("café", "naïve ✓", "日本"), 1, "日本|none"),
                twice(List.of(" a ", "b'c", "d\"e"), 0, "b'c|d\"e"), twice(List.of("x"), 0, "y"));
        GepaResult<Twice> r = Gepa.builder().metric(plain).reflectionLm(reflection).maxMetricCalls(9).seed(0)
                .build().optimize(new Twice(), train)
                .contextWrite(Settings.empty().withLm(taskLm).asContext()).block(WAIT);
        assertThat(prompts).containsExactly(fixture.get("prompts").get(0).asText());
        assertThat(r.best().namedPredictors().get("step.predict").signature().instructions())
                .isEqualTo(fixture.get("best").get("step.predict").asText());
        assertThat(r.totalMetricCalls()).isEqualTo(9);
    }

    @Test
    void aFeedbackMetricWithoutFeedbackGetsDspysDefaultText() {
        List<String> prompts = new CopyOnWriteArrayList<>();
        LanguageModel reflection = request -> Mono.fromCallable(() -> {
            prompts.add(request.messages().get(0).content());
            return LmResponse.of("```\nSame.\n```");
        });
        FeedbackMetric noFeedback = (gold, pred) -> new ScoreWithFeedback(0.5, null);
        run(words().metric(noFeedback).reflectionLm(reflection).maxMetricCalls(12).build(),
                new GepaConformanceTest.Pipeline(), trainset());
        assertThat(prompts).hasSize(1);
        assertThat(prompts.get(0)).contains("## Feedback\nThis trajectory got a score of 0.5.\n\n")
                .doesNotContain("null");
    }

    @Test
    void extractionTakesTheTextBetweenTheFirstAndLastFence() {
        assertThat(InstructionProposal.extract("Sure.\n```\nDo it well.\n```\nDone.")).isEqualTo("Do it well.");
        assertThat(InstructionProposal.extract("```markdown\nDo it.\nThen stop.\n```")).isEqualTo("Do it.\nThen stop.");
        assertThat(InstructionProposal.extract("```\nUnclosed block")).isEqualTo("Unclosed block");
        assertThat(InstructionProposal.extract("No fences at all.  ")).isEqualTo("No fences at all.");
        assertThat(InstructionProposal.extract("Trailing fence```")).isEqualTo("Trailing fence");
        assertThat(InstructionProposal.extract("```\n```")).isEmpty();
        assertThat(InstructionProposal.extract("   ")).isEmpty();
    }

    // ---------------------------------------------------------------- the frontier

    @Test
    void theFrontierKeepsTheStudentWhereItIsBestThoughOthersAverageHigher() {
        List<Example> train = GepaConformanceTest.kinds(GepaConformanceTest.KINDS.subList(0, 6));
        List<Example> val = GepaConformanceTest.kinds(GepaConformanceTest.KINDS.subList(6, 12));
        GepaResult<GepaConformanceTest.Pipeline> r = run(Gepa.builder().metric(WORDS_METRIC)
                .reflectionLm(REFLECTION_LM).valset(val).maxMetricCalls(120).trackStats(true).build(),
                new GepaConformanceTest.Pipeline(), train);
        // Instances 2 and 5 are "W" examples, where any change hurts: only the student is best there.
        assertThat(r.perValInstanceBestCandidates().get(2)).containsExactly(0);
        assertThat(r.perValInstanceBestCandidates().get(5)).containsExactly(0);
        assertThat(r.bestIndex()).isNotZero();
        assertThat(r.valAggregateScores().get(0)).isLessThan(r.bestScore());
        // A merge combined the two single-rule candidates that descend from the student.
        assertThat(r.parents()).contains(List.of(1, 2));
        assertThat(r.bestScore()).isEqualTo(r.valAggregateScores().get(r.parents().indexOf(List.of(1, 2))));
    }

    @Test
    void noMergesWhenDisabledOrNoneAllowed() {
        List<Example> train = GepaConformanceTest.kinds(GepaConformanceTest.KINDS.subList(0, 6));
        List<Example> val = GepaConformanceTest.kinds(GepaConformanceTest.KINDS.subList(6, 12));
        for (Gepa.Builder b : List.of(Gepa.builder().useMerge(false), Gepa.builder().maxMergeInvocations(0))) {
            GepaResult<GepaConformanceTest.Pipeline> r = run(b.metric(WORDS_METRIC).reflectionLm(REFLECTION_LM)
                    .valset(val).maxMetricCalls(120).trackStats(true).build(), new GepaConformanceTest.Pipeline(),
                    train);
            assertThat(r.parents()).allSatisfy(p -> assertThat(p.size()).isLessThanOrEqualTo(1));
        }
    }

    @Test
    void currentBestAlwaysMutatesTheBestAverage() {
        GepaResult<GepaConformanceTest.Pipeline> r = run(words().maxMetricCalls(60)
                .candidateSelectionStrategy(Gepa.CandidateSelection.CURRENT_BEST).trackStats(true).build(),
                new GepaConformanceTest.Pipeline(), trainset());
        assertThat(r.parents()).containsExactly(List.of(), List.of(0), List.of(1));
    }

    // ---------------------------------------------------------------- determinism and stats

    @Test
    void theSameSeedGivesTheSameResultWhateverTheConcurrency(@TempDir Path dir) throws IOException {
        List<Example> train = GepaConformanceTest.kinds(GepaConformanceTest.KINDS.subList(0, 6));
        List<Example> val = GepaConformanceTest.kinds(GepaConformanceTest.KINDS.subList(6, 12));
        List<GepaResult<GepaConformanceTest.Pipeline>> results = new ArrayList<>();
        for (int concurrency : new int[] {1, 8}) {
            results.add(run(Gepa.builder().metric(WORDS_METRIC).reflectionLm(REFLECTION_LM).valset(val)
                    .maxMetricCalls(100).seed(4).concurrency(concurrency).trackStats(true).build(),
                    new GepaConformanceTest.Pipeline(), train));
        }
        assertThat(results.get(1).parents()).isEqualTo(results.get(0).parents());
        assertThat(results.get(1).valSubscores()).isEqualTo(results.get(0).valSubscores());
        results.get(0).best().save(dir.resolve("a.json"));
        results.get(1).best().save(dir.resolve("b.json"));
        assertThat(Files.readString(dir.resolve("b.json"))).isEqualTo(Files.readString(dir.resolve("a.json")))
                .contains("\"instructions\": \"" + results.get(0).best().namedPredictors().get("answer").signature()
                        .instructions() + "\"");
    }

    @Test
    void withoutTrackStatsTheResultHoldsTheBestAndTheBudgetOnly() {
        GepaResult<GepaConformanceTest.Pipeline> r = run(words().maxMetricCalls(40).build(),
                new GepaConformanceTest.Pipeline(), trainset());
        assertThat(r.hasStats()).isFalse();
        assertThat(r.candidates()).isEmpty();
        assertThat(r.perValInstanceBestCandidates()).isEmpty();
        assertThat(r.bestIndex()).isEqualTo(2);
        assertThat(r.numFullValEvals()).isEqualTo(3);
    }

    @Test
    void aSinglePredictorIsAlwaysTheOneReflectedOn() {
        List<String> prompts = new CopyOnWriteArrayList<>();
        LanguageModel reflection = request -> Mono.fromCallable(() -> {
            prompts.add(request.messages().get(0).content());
            return LmResponse.of("```\nAnswer with the word. reverse the word.\n```");
        });
        LanguageModel lm = request -> Mono.fromCallable(() -> LmResponse.of(
                GepaConformanceTest.taskReply(request).replace("## word ##", "## answer ##")));
        Predict student = Predict.of(Signature.parse("question -> answer", "Answer with the word."));
        List<Example> train = GepaConformanceTest.words(List.of("dog", "emu", "ant"));
        GepaResult<Predict> r = Gepa.builder().metric(WORDS_METRIC).reflectionLm(reflection).maxMetricCalls(30)
                .skipPerfectScore(false).trackStats(true).build().optimize(student, train)
                .contextWrite(Settings.empty().withLm(lm).asContext()).block(WAIT);
        assertThat(prompts).isNotEmpty().allSatisfy(p -> assertThat(p).startsWith(
                "I provided an assistant with the following instructions to perform a task for me:\n```\nAnswer with"));
        assertThat(r.best()).isInstanceOf(Predict.class);
        assertThat(r.totalMetricCalls()).isLessThanOrEqualTo(30);
    }

    // ---------------------------------------------------------------- documented behaviour on bad input

    @Test
    void aReplyWithoutAnInstructionIsSkippedAndCounted() {
        AtomicInteger asked = new AtomicInteger();
        LanguageModel silent = request -> Mono.fromCallable(() -> LmResponse.of(
                asked.incrementAndGet() % 2 == 0 ? "```\n```" : "   "));
        // 30 calls: the valset pass (6) and eight parent minibatches (24). A reflection follows each of the first
        // seven; after the eighth no calls are left to score a new candidate, so the reflection LM is not asked.
        GepaResult<GepaConformanceTest.Pipeline> r = run(words().reflectionLm(silent).maxMetricCalls(30)
                .trackStats(true).build(), new GepaConformanceTest.Pipeline(), trainset());
        assertThat(asked.get()).isEqualTo(7);
        assertThat(r.repliesWithoutInstruction()).isEqualTo(7);
        assertThat(r.candidates()).hasSize(1);
        // No candidate was tried: only the valset pass and the parents' minibatches were scored.
        assertThat(r.totalMetricCalls()).isEqualTo(30);
    }

    @Test
    void aFailingReflectionLmEndsOnlyThatIteration() {
        AtomicInteger asked = new AtomicInteger();
        LanguageModel broken = request -> Mono.defer(() -> {
            asked.incrementAndGet();
            return Mono.error(new IllegalStateException("reflection model is down"));
        });
        GepaResult<GepaConformanceTest.Pipeline> r = words().reflectionLm(broken).maxMetricCalls(30).build()
                .optimize(new GepaConformanceTest.Pipeline(), trainset())
                .contextWrite(Settings.empty().withLm(TASK_LM).withRetry(RetryPolicy.none()).asContext())
                .block(WAIT);
        assertThat(asked.get()).isPositive();
        assertThat(r.bestIndex()).isZero();
        assertThat(r.totalMetricCalls()).isLessThanOrEqualTo(30);
    }

    @Test
    void aFailingMetricScoresTheFailureScoreAndGivesNoReflectiveExample() {
        AtomicInteger reflections = new AtomicInteger();
        LanguageModel reflection = request -> Mono.fromCallable(() -> {
            reflections.incrementAndGet();
            return LmResponse.of("```\nx\n```");
        });
        FeedbackMetric broken = (gold, pred) -> {
            throw new IllegalStateException("metric bug");
        };
        GepaResult<GepaConformanceTest.Pipeline> r = run(words().metric(broken).reflectionLm(reflection)
                .maxMetricCalls(20).failureScore(0.0).build(), new GepaConformanceTest.Pipeline(), trainset());
        assertThat(r.bestScore()).isZero();
        assertThat(reflections.get()).isZero();
        FeedbackMetric nullMetric = (gold, pred) -> null;
        GepaResult<GepaConformanceTest.Pipeline> r2 = run(words().metric(nullMetric).reflectionLm(reflection)
                .maxMetricCalls(20).build(), new GepaConformanceTest.Pipeline(), trainset());
        assertThat(r2.bestScore()).isZero();
        assertThat(reflections.get()).isZero();
    }

    @Test
    void aMissingReflectionLmMetricOrBudgetIsRejectedWhenBuilding() {
        assertThatThrownBy(() -> Gepa.builder().metric(WORDS_METRIC).maxMetricCalls(10).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("reflection LM");
        assertThatThrownBy(() -> Gepa.builder().reflectionLm(REFLECTION_LM).maxMetricCalls(10).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("metric");
        assertThatThrownBy(() -> Gepa.builder().metric(WORDS_METRIC).reflectionLm(REFLECTION_LM).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("exactly one of auto");
        assertThatThrownBy(() -> Gepa.builder().metric(WORDS_METRIC).reflectionLm(REFLECTION_LM).maxMetricCalls(10)
                .auto(Gepa.Auto.LIGHT).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxMetricCalls=10");
        assertThatThrownBy(() -> Gepa.builder().reflectionLm(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Gepa.builder().maxMetricCalls(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxMetricCalls must be at least 1, got 0");
        assertThatThrownBy(() -> Gepa.builder().reflectionMinibatchSize(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Gepa.builder().valset(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("valset must not be empty");
        assertThatThrownBy(() -> Gepa.builder().valset(List.of(Example.of(Map.of("q", "x")))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("valset[0] has no input keys");
    }

    @Test
    void aBudgetSmallerThanOneValsetPassIsRejected() {
        Gepa gepa = words().maxMetricCalls(5).build();
        assertThatThrownBy(() -> gepa.optimize(new GepaConformanceTest.Pipeline(), trainset()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget of 5 metric calls is smaller than one evaluation of the valset (6");
        Gepa noValset = Gepa.builder().metric(WORDS_METRIC).reflectionLm(REFLECTION_LM).maxMetricCalls(5).build();
        assertThatThrownBy(() -> noValset.compile(new GepaConformanceTest.Pipeline(), trainset()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trainset, used as the valset");
        // Exactly one pass: the student is scored and returned.
        GepaResult<GepaConformanceTest.Pipeline> r = run(words().maxMetricCalls(6).build(),
                new GepaConformanceTest.Pipeline(), trainset());
        assertThat(r.bestIndex()).isZero();
        assertThat(r.totalMetricCalls()).isEqualTo(6);
    }

    @Test
    void programsWithoutPredictorsAndEmptyTrainsetsAreRejected() {
        Gepa gepa = words().maxMetricCalls(30).build();
        Program lambda = inputs -> Mono.just(Prediction.of(Map.of("answer", "x")));
        assertThatThrownBy(() -> gepa.compile(lambda, trainset())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has none");
        assertThatThrownBy(() -> gepa.compile(new GepaConformanceTest.Pipeline(), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-empty trainset");
        assertThatThrownBy(() -> gepa.compile(new GepaConformanceTest.Pipeline(),
                List.of(Example.of(Map.of("question", "q")))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trainset[0] has no input keys");
    }

    @Test
    void aFailingTaskModelScoresTheFailureScoreAndNeverFailsTheRun() {
        LanguageModel flaky = request -> Mono.error(LmException.forStatus(503, "task model is down", null, null, null));
        GepaResult<GepaConformanceTest.Pipeline> r = words().maxMetricCalls(20).failureScore(0.0).build()
                .optimize(new GepaConformanceTest.Pipeline(), trainset())
                .contextWrite(Settings.empty().withLm(flaky).withRetry(RetryPolicy.none()).asContext())
                .block(WAIT);
        assertThat(r.bestScore()).isZero();
        assertThat(r.totalMetricCalls()).isLessThanOrEqualTo(20);
    }
}

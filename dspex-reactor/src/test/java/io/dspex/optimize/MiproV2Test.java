package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.Example;
import io.dspex.Program;
import io.dspex.evaluate.Metric;
import io.dspex.lm.LmRequest;
import io.dspex.predict.Predict;
import io.dspex.signature.Signature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * MIPROv2 against DSPy 3.3.1 with Optuna 4.6: {@code mipro-zeroshot.json} and {@code mipro-fewshot.json} were recorded
 * by {@code dspy/mipro_fx.py} running DSPy's MIPROv2 with the same scripted task and prompt models. The proposer
 * prompts, the bootstraps' and evaluations' LM calls, every trial's choices and scores and the result must be DSPy's.
 */
class MiproV2Test {

    static final Duration WAIT = Duration.ofSeconds(60);
    static final Metric EXACT = CoproTest.EXACT;
    static final List<String> WORDS = List.of("stressed", "level", "drawer", "cat", "owl", "noon", "deliver",
            "gateman", "straw", "racecar", "parts", "keep", "wolf", "tuba", "kayak", "pals");
    static final Map<String, String> TIPS = Map.of(
            "Don't be afraid to be creative when creating the new instruction!", "Upper-case the word.",
            "Keep the instruction clear and concise.", "Echo the word back.",
            "Make sure your instruction is very informative and descriptive.", "Reverse the letters of the word.",
            "The instruction should include a high stakes scenario in which the LM must solve the task!",
            "Lives depend on it: spell the word in upper case.",
            "Include a persona that is relevant to the task in the instruction (ie. \"You are a ...\")",
            "You are a mirror. Return the word.");

    /** The fixture's proposal model: answers by which prompt it is shown. */
    static RecordingLm fixtureProposer() {
        return new RecordingLm(r -> {
            String s = RecordingLm.system(r);
            String u = RecordingLm.lastUser(r);
            if (s.contains("`summary` (str)")) {
                return RecordingLm.fields("summary", "Summary: Words and their reversals.");
            }
            if (s.contains("`observations` (str): Somethings that holds true for most or all of the data you observed "
                    + "or COMPLETE")) {
                return RecordingLm.fields("observations", u.contains("level") ? "COMPLETE"
                        : "Some words are palindromes.");
            }
            if (s.contains("`observations` (str)")) {
                return RecordingLm.fields("observations", "The answers are the words written backwards.");
            }
            if (s.contains("`proposed_instruction`")) {
                String inst = "Reverse the word.";
                for (Map.Entry<String, String> tip : TIPS.entrySet()) {
                    if (u.contains("[[ ## tip ## ]]\n" + tip.getKey())) {
                        inst = tip.getValue();
                    }
                }
                return RecordingLm.fields("proposed_instruction", "Proposed Instruction: " + inst);
            }
            throw new IllegalStateException("unexpected prompt " + s);
        });
    }

    static List<Example> words(List<String> words) {
        return CoproTest.words(words.toArray(String[]::new));
    }

    private static Predict echo() {
        return Predict.of(Signature.parse("word -> answer", "Echo the word."));
    }

    private record Run(MiproV2Result<Predict> result, RecordingLm task, RecordingLm proposer) {
    }

    private static Run run(MiproV2.Builder builder, List<String> words) {
        RecordingLm task = RecordingLm.wordTask();
        RecordingLm proposer = fixtureProposer();
        MiproV2Result<Predict> r = builder.metric(EXACT).promptModel(proposer).taskModel(task).concurrency(1).build()
                .optimize(echo(), words(words)).block(WAIT);
        return new Run(r, task, proposer);
    }

    private static void assertLikeDspy(Run run, JsonNode fx) {
        // DSPy also asks for a proposal for demo set 0 and throws it away; that call is not made here.
        List<JsonNode> expectedPrompts = new ArrayList<>();
        boolean skipped = false;
        for (JsonNode call : fx.get("prompt_calls")) {
            if (!skipped && call.get("messages").get(0).get("content").asText().contains("`proposed_instruction`")) {
                skipped = true;
                continue;
            }
            expectedPrompts.add(call);
        }
        List<LmRequest> prompts = run.proposer().requests();
        assertThat(prompts).hasSize(expectedPrompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            JsonNode e = expectedPrompts.get(i);
            FixtureSupport.assertSameMessages(prompts.get(i), e.get("messages"), "prompt call " + i);
            assertThat(prompts.get(i).config().temperature()).isEqualTo(e.get("temperature").asDouble());
            assertThat(prompts.get(i).config().rolloutId())
                    .isEqualTo(e.get("rollout_id").isNull() ? null : e.get("rollout_id").asText());
        }
        assertThat(run.task().requests()).as("task model calls").hasSize(fx.get("task_calls").asInt());
        MiproV2Result<Predict> r = run.result();
        JsonNode trials = fx.get("trials");
        assertThat(r.trials()).hasSize(trials.size());
        for (int i = 0; i < trials.size(); i++) {
            JsonNode t = trials.get(i);
            MiproV2Result.Trial<Predict> actual = r.trials().get(i);
            String what = "trial " + t.get("trial").asInt();
            assertThat(actual.number()).as(what).isEqualTo(t.get("trial").asInt());
            assertThat(actual.evalCallsSoFar()).as(what).isEqualTo(t.get("total_eval_calls_so_far").asInt());
            double score = t.has("mb_score") ? t.get("mb_score").asDouble() : t.get("full_eval_score").asDouble();
            assertThat(actual.score()).as(what).isEqualTo(score);
            if (t.has("0_predictor_instruction")) {
                assertThat(actual.instructions()).as(what)
                        .isEqualTo(Map.of("self", t.get("0_predictor_instruction").asInt()));
            }
            if (t.has("0_predictor_demos")) {
                assertThat(actual.demoSets()).as(what).isEqualTo(Map.of("self", t.get("0_predictor_demos").asInt()));
            }
            assertThat(actual.kind()).as(what).isEqualTo(t.has("mb_score") ? MiproV2Result.Kind.MINIBATCH
                    : i == 0 ? MiproV2Result.Kind.DEFAULT
                    : t.has("0_predictor_instruction") ? MiproV2Result.Kind.FULL
                    : MiproV2Result.Kind.FULL_EVALUATION);
        }
        assertThat(r.best().signature().instructions()).isEqualTo(fx.get("best_instructions").get(0).asText());
        assertThat(r.bestScore()).isEqualTo(fx.get("best_score").asDouble());
        List<Map<String, Object>> demos = new ArrayList<>();
        r.best().demos().forEach(d -> demos.add(d.toMap()));
        List<Map<String, Object>> expectedDemos = new ArrayList<>();
        fx.get("best_demos").get(0).forEach(d -> {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            d.fields().forEachRemaining(f -> m.put(f.getKey(), f.getValue().isBoolean() ? f.getValue().asBoolean()
                    : f.getValue().asText()));
            expectedDemos.add(m);
        });
        assertThat(demos).isEqualTo(expectedDemos);
    }

    @Test
    void zeroShotMinibatchRunIsDspys() {
        Run run = run(MiproV2.builder().numCandidates(4).numTrials(7).maxBootstrappedDemos(0).maxLabeledDemos(0)
                .seed(11).minibatch(true).minibatchSize(4).minibatchFullEvalSteps(3).programAware(false)
                .viewDataBatchSize(5), WORDS);
        assertLikeDspy(run, FixtureSupport.read("mipro-zeroshot.json"));
        assertThat(run.result().demoCandidates()).isEmpty();
        assertThat(run.result().defaultScore()).isEqualTo(25.0);
        assertThat(run.result().bestScore()).isEqualTo(100.0);
    }

    @Test
    void fewShotFullEvaluationRunIsDspys() {
        Run run = run(MiproV2.builder().numCandidates(4).numTrials(5).maxBootstrappedDemos(2).maxLabeledDemos(2)
                .seed(5).minibatch(false).programAware(false).viewDataBatchSize(3), WORDS.subList(0, 12));
        assertLikeDspy(run, FixtureSupport.read("mipro-fewshot.json"));
        assertThat(run.result().demoCandidates().get("self")).hasSize(4);
        assertThat(run.result().demoCandidates().get("self").get(0)).isEmpty();
    }

    @Test
    void autoLightRunIsDspys() {
        // auto: the validation set is sampled (a permutation of all 12 here) before anything else, 6 candidates,
        // 9 trials, no minibatches (12 <= 50 examples)
        Run run = run(MiproV2.builder().auto(MiproV2.Auto.LIGHT).maxBootstrappedDemos(0).maxLabeledDemos(0).seed(21)
                .programAware(false).viewDataBatchSize(4), WORDS);
        assertLikeDspy(run, FixtureSupport.read("mipro-auto-light.json"));
        assertThat(run.result().instructionCandidates().get("self")).hasSize(6);
    }

    @Test
    void progressIsReportedPerTrial() {
        List<int[]> seen = new ArrayList<>();
        List<Double> best = new ArrayList<>();
        MiproV2.Builder b = MiproV2.builder().numCandidates(4).numTrials(7).maxBootstrappedDemos(0)
                .maxLabeledDemos(0).seed(11).minibatchSize(4).minibatchFullEvalSteps(3).programAware(false)
                .viewDataBatchSize(5).progressListener((done, total, errors, score) -> {
                    seen.add(new int[] {done, total, errors});
                    best.add(score);
                });
        Run run = run(b, WORDS);
        int trials = run.result().trials().size();
        assertThat(seen).hasSize(trials);
        for (int i = 0; i < trials; i++) {
            assertThat(seen.get(i)[0]).isEqualTo(i + 1);
            assertThat(seen.get(i)[1]).isEqualTo(trials);
        }
        assertThat(best.get(0)).isEqualTo(25.0);
        assertThat(best.get(best.size() - 1)).isEqualTo(100.0);
    }

    @Test
    void theBestProgramIsSavedInDspysFormat(@TempDir Path dir) throws Exception {
        Run run = run(MiproV2.builder().numCandidates(4).numTrials(7).maxBootstrappedDemos(0).maxLabeledDemos(0)
                .seed(11).minibatchSize(4).minibatchFullEvalSteps(3).programAware(false).viewDataBatchSize(5), WORDS);
        Path file = dir.resolve("best.json");
        run.result().best().save(file);
        assertThat(Files.readString(file)).contains("\"instructions\": \"Reverse the letters of the word.\"");
        assertThat(echo().load(file).signature().instructions()).isEqualTo("Reverse the letters of the word.");
    }

    @Test
    void theTrialBudgetIsExact() {
        // 9 trials, minibatches of 3 from a valset of 6, a full evaluation every 4 trials and at the end.
        RecordingLm task = RecordingLm.wordTask();
        RecordingLm proposer = fixtureProposer();
        List<Example> train = words(WORDS.subList(0, 4));
        List<Example> val = words(WORDS.subList(4, 10));
        MiproV2Result<Predict> r = MiproV2.builder().metric(EXACT).numCandidates(3).numTrials(9).minibatchSize(3)
                .minibatchFullEvalSteps(4).maxBootstrappedDemos(0).maxLabeledDemos(0).valset(val)
                .promptModel(proposer).taskModel(task).concurrency(1).programAware(false).dataAware(false)
                .fewshotAware(false).tipAware(false).build()
                .optimize(echo(), train).block(WAIT);
        long minibatch = r.trials().stream().filter(t -> t.kind() == MiproV2Result.Kind.MINIBATCH).count();
        long full = r.trials().stream().filter(t -> t.kind() == MiproV2Result.Kind.FULL_EVALUATION).count();
        assertThat(minibatch).isEqualTo(9);
        assertThat(full).isEqualTo(9 / 4 + 1 - (r.trials().size() - 1 - 9 - full == 0 ? 0 : 1));
        int evalRuns = r.trials().get(r.trials().size() - 1).evalCallsSoFar();
        assertThat(evalRuns).isEqualTo(6 + 9 * 3 + 6 * (int) full);
        // Bootstrap (for the proposer, zero-shot: up to 3 demos, stopping early) plus one call per evaluated example.
        long bootstrapCalls = task.requests().size() - evalRuns;
        assertThat(bootstrapCalls).isBetween(0L, 3L * train.size());
        // Proposals: demo sets 1 and 2 (set 0 is the original instruction); no summary, no program description.
        assertThat(proposer.requests()).hasSize(2);
    }

    @Test
    void sameSeedSameTrialsDifferentSeedMayDiffer() {
        MiproV2.Builder b = MiproV2.builder().numCandidates(4).numTrials(12).maxBootstrappedDemos(0)
                .maxLabeledDemos(0).minibatchSize(4).minibatchFullEvalSteps(3).programAware(false)
                .viewDataBatchSize(5);
        List<Map<String, Integer>> first = choices(run(b.seed(3), WORDS).result());
        assertThat(choices(run(b.seed(3), WORDS).result())).isEqualTo(first);
    }

    private static List<Map<String, Integer>> choices(MiproV2Result<Predict> r) {
        List<Map<String, Integer>> out = new ArrayList<>();
        r.trials().forEach(t -> out.add(t.instructions()));
        return out;
    }

    @Test
    void unparseableProposalsAreSkippedAndAFailedSummaryIsLeftOut() {
        RecordingLm task = RecordingLm.wordTask();
        io.dspex.lm.LanguageModel garbage = request -> Mono.just(io.dspex.lm.LmResponse.of("no fields here"));
        MiproV2Result<Predict> r = MiproV2.builder().metric(EXACT).numCandidates(3).numTrials(2).minibatch(false)
                .maxBootstrappedDemos(0).maxLabeledDemos(0).promptModel(garbage).taskModel(task).build()
                .optimize(echo(), words(WORDS.subList(0, 6))).block(WAIT);
        assertThat(r.instructionCandidates().get("self")).containsExactly("Echo the word.");
        assertThat(r.trials()).hasSize(3).allSatisfy(t -> assertThat(t.instructions()).containsEntry("self", 0));
        assertThat(r.best().signature().instructions()).isEqualTo("Echo the word.");
    }

    @Test
    void aFailingEvaluationScoresZeroAndKeepsItsError() {
        RecordingLm task = RecordingLm.wordTask();
        Metric throwing = (ex, pred) -> {
            throw new IllegalStateException("metric broke");
        };
        MiproV2Result<Predict> r = MiproV2.builder().metric(throwing).numCandidates(2).numTrials(2).minibatch(false)
                .maxBootstrappedDemos(0).maxLabeledDemos(0).maxErrors(3).programAware(false).dataAware(false)
                .tipAware(false).promptModel(fixtureProposer()).taskModel(task).build()
                .optimize(echo(), words(WORDS.subList(0, 6))).block(WAIT);
        assertThat(r.trials()).hasSize(3).allSatisfy(t -> {
            assertThat(t.score()).isZero();
            assertThat(t.error()).isPresent();
            assertThat(t.evaluation()).isEmpty();
        });
    }

    @Test
    void builderFollowsDspysRulesForAutoAndExplicitSettings() {
        assertThatThrownBy(() -> MiproV2.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("metric");
        assertThatThrownBy(() -> MiproV2.builder().metric(EXACT).auto(MiproV2.Auto.HEAVY).numTrials(4).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("auto");
        assertThatThrownBy(() -> MiproV2.builder().metric(EXACT).numCandidates(5).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("numTrials must also be set")
                .hasMessageContaining("recommends about 9");
        assertThatThrownBy(() -> MiproV2.builder().metric(EXACT).numTrials(5).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("numCandidates must also be set");
        assertThatThrownBy(() -> MiproV2.builder().numTrials(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("numTrials must be at least 1, got 0");
        assertThatThrownBy(() -> MiproV2.builder().valset(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("valset must have at least 1 example");
        assertThatThrownBy(() -> MiproV2.builder().seed(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(MiproV2.builder().metric(EXACT).build()).hasToString(
                "MiproV2(auto=LIGHT, numCandidates=null, numTrials=null, maxBootstrappedDemos=4, maxLabeledDemos=4, "
                        + "seed=9)");
        assertThat(MiproV2.trialsFor(1, true, 6)).isEqualTo(9);
        assertThat(MiproV2.trialsFor(1, false, 6)).isEqualTo(10);
        assertThat(MiproV2.trialsFor(3, false, 12)).isEqualTo(43);
    }

    @Test
    void badInputIsRejectedBeforeAnythingRuns() {
        MiproV2 mipro = MiproV2.builder().metric(EXACT).numCandidates(2).numTrials(2).build();
        assertThatThrownBy(() -> mipro.compile(echo(), List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trainset must not be empty");
        assertThatThrownBy(() -> mipro.compile(echo(), words(List.of("a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 2 examples");
        Program noPredictors = inputs -> Mono.empty();
        assertThatThrownBy(() -> mipro.compile(noPredictors, words(WORDS)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no predictors");
        // minibatch on by default, 35 per minibatch, but only 12 validation examples
        assertThatThrownBy(() -> mipro.compile(echo(), words(WORDS)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minibatchSize (35)");
        assertThatThrownBy(() -> mipro.compile(null, words(WORDS))).isInstanceOf(IllegalArgumentException.class);
    }
}

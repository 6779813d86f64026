package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.Example;
import io.dspex.Program;
import io.dspex.evaluate.EvaluationException;
import io.dspex.evaluate.Metric;
import io.dspex.lm.LmRequest;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.signature.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * COPRO against DSPy 3.3.1: {@code copro.json} was recorded by {@code dspy/copro_fx.py} running DSPy's COPRO with the
 * same scripted task and prompt models; the prompts, the candidates, their scores, the calls and the statistics must
 * be DSPy's.
 */
class CoproTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final Metric EXACT = (ex, pred) -> ex.get("answer").equals(pred.get("answer")) ? 1 : 0;

    static List<Example> words(String... words) {
        List<Example> out = new ArrayList<>();
        for (String w : words) {
            Map<String, Object> values = new java.util.LinkedHashMap<>();
            values.put("word", w);
            values.put("answer", new StringBuilder(w).reverse().toString());
            out.add(Example.of(values).withInputs("word"));
        }
        return out;
    }

    /** The fixture's proposer: the k-th completion overall gets a scripted instruction and "Answer k:". */
    static RecordingLm fixtureProposer() {
        AtomicInteger counter = new AtomicInteger();
        Map<Integer, String> texts = Map.of(1, "Upper-case the word.", 2, "Repeat the word.", 3,
                "\"Reverse the word.\"", 5, "Proposed Instruction: Write the word backwards.");
        return new RecordingLm(r -> {
            int k = counter.incrementAndGet();
            return RecordingLm.fields("proposed_instruction", texts.getOrDefault(k, "Candidate number " + k + "."),
                    "proposed_prefix_for_output_field", "Answer " + k + ":");
        });
    }

    @Test
    void reproducesDspysRunPromptForPrompt() {
        JsonNode fx = FixtureSupport.read("copro.json");
        RecordingLm task = RecordingLm.wordTask();
        RecordingLm proposer = fixtureProposer();
        Predict student = Predict.of(Signature.parse("word -> answer", "Echo the word."));
        CoproResult<Predict> r = Copro.builder().metric(EXACT).breadth(3).depth(2).initTemperature(1.4)
                .promptModel(proposer).trackStats(true).concurrency(1).build()
                .optimize(student, words("cat", "owl", "stressed", "drawer", "level"))
                .contextWrite(Settings.empty().withLm(task).asContext())
                .block(WAIT);

        List<LmRequest> prompts = proposer.requests();
        JsonNode expected = fx.get("prompt_calls");
        assertThat(prompts).hasSize(expected.size());
        for (int i = 0; i < prompts.size(); i++) {
            FixtureSupport.assertSameMessages(prompts.get(i), expected.get(i).get("messages"), "proposal call " + i);
            assertThat(prompts.get(i).config().n()).isEqualTo(expected.get(i).get("n").asInt());
            assertThat(prompts.get(i).config().temperature()).isEqualTo(expected.get(i).get("temperature").asDouble());
        }
        assertThat(task.requests()).hasSize(fx.get("task_calls").asInt());
        assertThat(r.best().signature().instructions()).isEqualTo(fx.get("best_instruction").asText());
        assertThat(r.best().signature().outputFields().get(0).prefix()).isEqualTo(fx.get("best_prefix").asText());
        assertThat(r.bestScore()).isEqualTo(100.0);
        assertThat(r.totalCalls()).isEqualTo(fx.get("total_calls").asInt());
        assertThat(r.candidates()).hasSize(fx.get("candidates").size());
        for (int i = 0; i < r.candidates().size(); i++) {
            JsonNode c = fx.get("candidates").get(i);
            CoproResult.Candidate<Predict> actual = r.candidates().get(i);
            assertThat(actual.instruction()).as("candidate %d", i).isEqualTo(c.get("instruction").asText());
            assertThat(actual.prefix()).isEqualTo(c.get("prefix").asText());
            assertThat(actual.score()).isEqualTo(c.get("score").asDouble());
            assertThat(actual.depth()).isEqualTo(c.get("depth").asInt());
            assertThat(actual.predictor()).isEqualTo("self");
        }
        CoproResult.Stats stats = r.stats().orElseThrow();
        assertStats(stats.best().get("self"), fx.get("results_best").get(0));
        assertStats(stats.latest().get("self"), fx.get("results_latest").get(0));
    }

    private static void assertStats(CoproResult.DepthStats actual, JsonNode expected) {
        List<Integer> depth = new ArrayList<>();
        expected.get("depth").forEach(d -> depth.add(d.asInt()));
        assertThat(actual.depth()).isEqualTo(depth);
        for (String k : List.of("max", "average", "min", "std")) {
            List<Double> values = switch (k) {
                case "max" -> actual.max();
                case "average" -> actual.average();
                case "min" -> actual.min();
                default -> actual.std();
            };
            for (int i = 0; i < values.size(); i++) {
                assertThat(values.get(i)).as(k).isCloseTo(expected.get(k).get(i).asDouble(), within(1e-9));
            }
        }
    }

    @Test
    void onlyTheRightInstructionRaisesTheScoreAndItIsReturned() {
        // Only "Reverse ..." makes the task model right on the non-palindromes.
        RecordingLm task = RecordingLm.wordTask();
        RecordingLm proposer = new RecordingLm(r -> RecordingLm.fields(
                "proposed_instruction", RecordingLm.system(r).contains("I've tried") ? "Reverse the word."
                        : "Say the word loudly.",
                "proposed_prefix_for_output_field", "Answer:"));
        Predict student = Predict.of(Signature.parse("word -> answer", "Echo the word.")).withLm(task);
        CoproResult<Predict> r = Copro.builder().metric(EXACT).breadth(2).depth(2).promptModel(proposer).build()
                .optimize(student, words("stressed", "drawer", "level", "owl")).block(WAIT);
        assertThat(r.best().signature().instructions()).isEqualTo("Reverse the word.");
        assertThat(r.bestScore()).isEqualTo(100.0);
        double baseline = r.candidates().stream().filter(c -> c.instruction().equals("Echo the word."))
                .findFirst().orElseThrow().score();
        assertThat(baseline).isEqualTo(25.0);
        assertThat(student.signature().instructions()).isEqualTo("Echo the word.");
        // breadth 2, depth 2, one predictor: 2 evaluations per depth of 4 examples, 1 + 1 proposal calls
        assertThat(r.totalCalls()).isEqualTo(4);
        assertThat(task.requests()).hasSize(16);
        assertThat(proposer.requests()).hasSize(2);
    }

    @Test
    void progressIsReportedPerEvaluation() {
        List<int[]> seen = new ArrayList<>();
        Predict student = Predict.of(Signature.parse("word -> answer", "Echo the word."))
                .withLm(RecordingLm.wordTask());
        CoproResult<Predict> r = Copro.builder().metric(EXACT).breadth(3).depth(2).promptModel(fixtureProposer())
                .progressListener((done, total, errors, best) -> seen.add(new int[] {done, total, errors}))
                .build().optimize(student, words("cat", "level")).block(WAIT);
        assertThat(seen).hasSize(r.totalCalls());
        assertThat(seen.get(seen.size() - 1)).containsExactly(6, 6, 0);
    }

    @Test
    void withoutAPromptModelTheProgramsLmProposes() {
        RecordingLm both = new RecordingLm(r -> RecordingLm.system(r).contains("instruction optimizer")
                ? RecordingLm.fields("proposed_instruction", "Reverse it.", "proposed_prefix_for_output_field", "A:")
                : RecordingLm.wordTask().answerFor(r));
        Predict student = Predict.of(Signature.parse("word -> answer", "Echo the word.")).withLm(both);
        Predict best = Copro.builder().metric(EXACT).breadth(2).depth(1).build().compile(student, words("ab"))
                .block(WAIT);
        assertThat(best.signature().instructions()).isEqualTo("Reverse it.");
    }

    @Test
    void anUnparseableProposalIsSkipped() {
        RecordingLm task = RecordingLm.wordTask();
        LmRequestCounter bad = new LmRequestCounter();
        Predict student = Predict.of(Signature.parse("word -> answer", "Reverse the word.")).withLm(task);
        CoproResult<Predict> r = Copro.builder().metric(EXACT).breadth(3).depth(2).promptModel(bad).build()
                .optimize(student, words("ab", "cd")).block(WAIT);
        assertThat(r.candidates()).extracting(CoproResult.Candidate::instruction).containsExactly("Reverse the word.");
        assertThat(r.bestScore()).isEqualTo(100.0);
        assertThat(bad.count.get()).as("two proposals, each tried again with the JSON adapter").isEqualTo(4);
    }

    /** Replies with text no adapter can parse. */
    static final class LmRequestCounter implements io.dspex.lm.LanguageModel {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public Mono<io.dspex.lm.LmResponse> call(LmRequest request) {
            count.incrementAndGet();
            int n = request.config().n() == null ? 1 : request.config().n();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                texts.add("I cannot follow the format.");
            }
            return Mono.just(io.dspex.lm.LmResponse.of(texts, null));
        }
    }

    @Test
    void aThrowingMetricFailsWithTheEvaluationsRows() {
        RecordingLm task = RecordingLm.wordTask();
        Metric throwing = (ex, pred) -> {
            throw new IllegalStateException("metric broke");
        };
        RecordingLm proposer = new RecordingLm(r -> RecordingLm.fields("proposed_instruction", "x",
                "proposed_prefix_for_output_field", "A:"));
        Program student = Predict.of("word -> answer").withLm(task);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> Copro.builder().metric(throwing).breadth(2)
                .depth(1).maxErrors(2).promptModel(proposer).build().compile(student, words("a", "b", "c"))
                .block(WAIT));
        assertThat(t).isInstanceOf(EvaluationException.class);
        assertThat(((EvaluationException) t).failedRows()).hasSize(2)
                .allSatisfy(row -> assertThat(row.error().orElseThrow()).hasMessage("metric broke"));
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> Copro.builder().breadth(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("breadth must be greater than 1");
        assertThatThrownBy(() -> Copro.builder().depth(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Copro.builder().initTemperature(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Copro.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("metric");
        Copro copro = Copro.builder().metric(EXACT).build();
        assertThatThrownBy(() -> copro.compile(Predict.of("a -> b"), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trainset must not be empty");
        Program noPredictors = inputs -> Mono.empty();
        assertThatThrownBy(() -> copro.compile(noPredictors, words("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no predictors");
        assertThatThrownBy(() -> copro.compile(Predict.of("a -> b"), List.of(Example.of(Map.of("a", "x")))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trainset[0] has no input keys");
    }
}

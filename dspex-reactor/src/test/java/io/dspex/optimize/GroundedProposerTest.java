package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.internal.PythonRandom;
import io.dspex.lm.LmRequest;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.signature.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The grounded proposer's pieces against DSPy 3.3.1 ({@code proposer-units.json}, recorded by
 * {@code dspy/units_fx.py}): {@code strip_prefix}, the examples the dataset descriptor is shown, a demo as the
 * proposer shows it, and the program-aware prompts (DescribeProgram, DescribeModule, GenerateSingleModuleInstruction).
 */
class GroundedProposerTest {

    private static final JsonNode FX = FixtureSupport.read("proposer-units.json");

    @Test
    void stripPrefixIsDspys() {
        for (JsonNode pair : FX.get("strip_prefix")) {
            assertThat(GroundedProposer.stripPrefix(pair.get(0).asText())).as(pair.get(0).asText())
                    .isEqualTo(pair.get(1).asText());
        }
    }

    @Test
    void theDatasetDescriptorSeesPythonsReprOfTheExamples() {
        Map<String, Object> first = new LinkedHashMap<>();
        first.put("question", "Why?");
        first.put("context", List.of("a", "b's"));
        first.put("n", 3);
        first.put("x", 1.5);
        first.put("ok", true);
        first.put("none", null);
        first.put("answer", "Because");
        Map<String, Object> third = new LinkedHashMap<>();
        third.put("q", "say \"hi\"");
        third.put("dspy_uuid", "zzz");
        third.put("a", "ok");
        List<Example> examples = List.of(Example.of(first).withInputs("question", "context", "n"),
                Example.of(new LinkedHashMap<>(Map.of("word", "level"))).with("answer", "level").withInputs("word"),
                Example.of(third).withInputs("q"));
        assertThat(GroundedProposer.trainsetRepr(examples)).isEqualTo(FX.get("trainset_repr").asText());
    }

    @Test
    void aDemoIsShownFieldByFieldWithPrefixes() {
        Signature cot = ChainOfThought.of("question, context -> answer").predict().signature();
        Example demo = Example.of(demoValues("Q1"));
        assertThat(GroundedProposer.exampleString(cot, demo)).isEqualTo(FX.get("example_string").asText());
    }

    private static Map<String, Object> demoValues(String question) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("augmented", true);
        m.put("question", question);
        m.put("context", List.of("c1", "c2"));
        m.put("reasoning", "R1");
        m.put("answer", "A1");
        return m;
    }

    /** The fixture's program: one ChainOfThought registered as {@code gen}. */
    static final class Prog extends Module {
        Prog() {
            register("gen", ChainOfThought.of("question, context -> answer"));
        }

        @Override
        protected Mono<Prediction> run(Example inputs) {
            return child("gen").forward(inputs);
        }
    }

    @Test
    void programAwarePromptsAreDspys() {
        RecordingLm lm = new RecordingLm(r -> {
            String s = RecordingLm.system(r);
            if (s.contains("`program_description` (str): Describe")) {
                return RecordingLm.fields("program_description", "Program Description: It answers questions.");
            }
            if (s.contains("Your output fields are:\n1. `module_description`")) {
                return RecordingLm.fields("module_description", "It reasons then answers.");
            }
            return RecordingLm.fields("proposed_instruction", "Instruction: Answer with care.");
        });
        Prog prog = new Prog();
        Map<String, Object> q0 = new LinkedHashMap<>();
        q0.put("question", "Q0");
        q0.put("context", List.of("c"));
        q0.put("answer", "A0");
        List<List<Example>> sets = List.of(List.of(), List.of(Example.of(q0)),
                List.of(Example.of(demoValues("Q1")), Example.of(demoValues("Q2"))));
        GroundedProposer proposer = new GroundedProposer(ProposalModel.of(lm, prog), 1.0, true, true, true,
                new PythonRandom(0));
        String proposed = proposer.proposeOne(prog.namedPredictors().get("gen.predict"), sets, 1, "TIP TEXT", "7",
                true, "PROGRAM CODE", "SUMMARY").block(Duration.ofSeconds(10));
        assertThat(proposed).isEqualTo(FX.get("program_aware_result").asText());
        assertCalls(lm.requests(), FX.get("program_aware_calls"));
        assertThat(lm.requests()).allSatisfy(r -> {
            assertThat(r.config().rolloutId()).isEqualTo("7");
            assertThat(r.config().temperature()).isEqualTo(1.0);
        });

        RecordingLm minimal = new RecordingLm(r -> RecordingLm.fields("proposed_instruction", "Plain."));
        GroundedProposer plain = new GroundedProposer(ProposalModel.of(minimal, prog), 1.0, false, false, false,
                new PythonRandom(0));
        plain.proposeOne(prog.namedPredictors().get("gen.predict"), sets, 2, null, "8", false, null, null)
                .block(Duration.ofSeconds(10));
        assertCalls(minimal.requests(), FX.get("minimal_calls"));
    }

    private static void assertCalls(List<LmRequest> actual, JsonNode expected) {
        assertThat(actual).hasSize(expected.size());
        for (int i = 0; i < actual.size(); i++) {
            FixtureSupport.assertSameMessages(actual.get(i), expected.get(i), "call " + i);
        }
    }

    @Test
    void theProgramIsDescribedFromItsStructureAndSignatures() {
        String code = GroundedProposer.describeProgram(new Prog());
        assertThat(code).isEqualTo("""
                # A Java program, described from its structure and signatures (its source code is not available).

                class GenPredict(dspy.Signature):
                    \"""Given the fields `question`, `context`, produce the fields `answer`.\"""

                    question: str = dspy.InputField()
                    context: str = dspy.InputField()
                    reasoning: str = dspy.OutputField()
                    answer: str = dspy.OutputField()


                class Prog(dspy.Module):
                    def __init__(self):
                        super().__init__()
                        self.gen.predict = dspy.Predict(GenPredict)
                """);
        Predict described = Predict.of(Signature.builder().instructions("Say \"\"\"hi\"\"\".")
                .input("name", "str", "who's there").output("greeting", "str").build());
        assertThat(GroundedProposer.describeProgram(described))
                .contains("class PredictSignature(dspy.Signature):")
                .contains("\"\"\"Say \\\"\\\"\\\"hi\\\"\\\"\\\".\"\"\"")
                .contains("name: str = dspy.InputField(desc=\"who's there\")")
                .contains("self.predict = dspy.Predict(PredictSignature)");
        assertThat(GroundedProposer.moduleSignature(described, described.signature()))
                .isEqualTo("Predict(name) -> greeting");
    }

    @Test
    void theDatasetSummaryStopsAtCompleteAndFallsBackOnErrors() {
        List<Example> train = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            train.add(Example.of(Map.of("q", "q" + i, "a", "a" + i)).withInputs("q"));
        }
        // Batches of 5: the first look, 4 more; the 2nd says COMPLETE, the 3rd fails, so the loop stops there.
        RecordingLm lm = new RecordingLm(r -> {
            String s = RecordingLm.system(r);
            String u = RecordingLm.lastUser(r);
            if (s.contains("`summary` (str)")) {
                return RecordingLm.fields("summary", "Summary: " + RecordingLm.firstInput(r));
            }
            if (u.contains("'q10'")) {
                return RecordingLm.fields("observations", "complete, nothing to add");
            }
            if (u.contains("'q15'")) {
                throw new IllegalStateException("boom");
            }
            return RecordingLm.fields("observations", u.contains("'q5'") ? " More." : "First.");
        });
        String summary = GroundedProposer.datasetSummary(ProposalModel.of(lm, Predict.of("q -> a")), train, 5)
                .block(Duration.ofSeconds(10));
        assertThat(summary).as("DSPy concatenates observations without a separator").isEqualTo("First.More.");
        assertThat(lm.requests()).hasSize(5);
        assertThat(lm.requests()).allSatisfy(r -> {
            assertThat(r.config().temperature()).isEqualTo(1.0);
            assertThat(r.config().n()).isEqualTo(1);
        });
    }
}

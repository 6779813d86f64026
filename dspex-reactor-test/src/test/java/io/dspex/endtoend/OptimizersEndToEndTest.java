package io.dspex.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.Program;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import io.dspex.optimize.BootstrapFewShot;
import io.dspex.optimize.BootstrapFewShotWithRandomSearch;
import io.dspex.optimize.KnnFewShot;
import io.dspex.optimize.RandomSearchResult;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.test.ScriptedLm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;


/** Optimizers against Predict, Evaluate and the test kit's ScriptedLm. */
class OptimizersEndToEndTest {

    static final List<String> CATEGORIES = List.of("animal", "colour", "city");
    static final List<String> WORDS = List.of("cat", "dog", "owl", "red", "tan", "blue", "rome", "oslo", "lima",
            "bear", "pink", "bonn", "fox", "grey", "kyiv");
    static final Metric EXACT = Metrics.exactMatch("answer");

    static String category(int i) {
        return CATEGORIES.get(i % 3);
    }

    static List<Example> examples(int from, int to) {
        List<Example> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            String w = WORDS.get(i);
            out.add(Example.of(Map.of("question", category(i) + ":" + w,
                    "answer", new StringBuilder(w).reverse().toString())).withInputs("question"));
        }
        return out;
    }

    /** Reverses the word only when an earlier user turn (a demo) shows a question of the same category. */
    static ScriptedLm relevantDemoLm() {
        return ScriptedLm.answering(req -> {
            String last = ScriptedLm.lastUserMessage(req);
            String q = last.substring(last.indexOf("]]\n") + 3, last.indexOf("\n\n"));
            String cat = q.substring(0, q.indexOf(':'));
            List<Message> ms = req.messages();
            boolean relevant = false;
            for (int i = 0; i < ms.size() - 1; i++) {
                if (ms.get(i).role() == Message.Role.USER && ms.get(i).content().contains("]]\n" + cat + ":")) {
                    relevant = true;
                }
            }
            String answer = relevant ? new StringBuilder(q.substring(q.indexOf(':') + 1)).reverse().toString()
                    : "unknown";
            return "[[ ## answer ## ]]\n" + answer + "\n\n[[ ## completed ## ]]";
        });
    }

    static double score(Program p, List<Example> dev) {
        return Evaluate.builder().devset(dev).metric(EXACT).concurrency(4).displayProgress(false).build().run(p)
                .block().score();
    }

    @Test
    void bootstrapRaisesTheScoreFromZeroShotToFull() {
        Predict student = Predict.of("question -> answer").withLm(relevantDemoLm());
        List<Example> train = examples(0, 9);
        List<Example> dev = examples(9, 15);
        double zeroShot = score(student, dev);
        Predict compiled = BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(4).maxLabeledDemos(6)
                .build().compile(student, train).block();
        double after = score(compiled, dev);
        assertThat(zeroShot).isEqualTo(0.0);
        assertThat(after).isEqualTo(100.0);
        assertThat(compiled.demos()).hasSize(6);
        assertThat(compiled.demos().subList(0, 4)).allMatch(d -> Boolean.TRUE.equals(d.get("augmented")));
        assertThat(student.demos()).isEmpty();
    }

    @Test
    void randomSearchReportsEveryCandidatesScore() {
        Predict student = Predict.of("question -> answer").withLm(relevantDemoLm());
        BootstrapFewShotWithRandomSearch search = BootstrapFewShotWithRandomSearch.builder().metric(EXACT)
                .maxBootstrappedDemos(2).maxLabeledDemos(2).numCandidatePrograms(3).build();
        RandomSearchResult<Predict> r = search.search(student, examples(0, 9), examples(9, 15)).block();
        assertThat(r.candidates()).extracting(RandomSearchResult.Candidate::seed).containsExactly(-3, -2, -1, 0, 1, 2);
        assertThat(r.candidates().get(0).score()).isEqualTo(0.0);
        assertThat(r.candidates().get(0).program().demos()).isEmpty();
        assertThat(r.candidates()).allMatch(c -> c.evaluation().rows().size() == 6);
        double max = r.candidates().stream().mapToDouble(RandomSearchResult.Candidate::score).max().orElseThrow();
        assertThat(r.bestScore()).isEqualTo(max).isGreaterThan(0.0);
        assertThat(r.candidatesByScore().get(0).score()).isEqualTo(max);
        assertThat(r.best()).isSameAs(r.candidates().stream().filter(c -> c.score() == max).findFirst()
                .orElseThrow().program());
        // seed 0: shuffled by random.Random(0) and random.Random(0).randint(1, 2) == 2 bootstrapped demos
        assertThat(r.candidates().get(3).program().demos()).hasSize(2);

        RandomSearchResult<Predict> early = BootstrapFewShotWithRandomSearch.builder().metric(EXACT)
                .maxBootstrappedDemos(2).maxLabeledDemos(2).numCandidatePrograms(3).stopAtMeanScore(0.0).build()
                .search(student, examples(0, 9), examples(9, 15)).block();
        assertThat(early.candidates()).hasSize(1);
    }

    @Test
    void knnFewShotBootstrapsEachCallFromItsNearestExamples() {
        ScriptedLm lm = relevantDemoLm();
        AtomicInteger embedCalls = new AtomicInteger();
        KnnFewShot knn = KnnFewShot.builder().k(2).embedder(texts -> {
            embedCalls.incrementAndGet();
            List<float[]> out = new ArrayList<>();
            for (String t : texts) {
                String cat = t.substring(t.indexOf(": ") + 2, t.indexOf(':', t.indexOf(": ") + 2));
                float[] v = new float[3];
                v[CATEGORIES.indexOf(cat)] = 1f;
                out.add(v);
            }
            return Mono.just(out);
        }).bootstrap(BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(1).maxLabeledDemos(2).build())
                .build();
        Predict program = knn.compile(Predict.of("question -> answer").withLm(lm), examples(0, 9)).block();
        assertThat(program.namedPredictors().get("self").demos()).isEmpty();
        assertThat(score(program, examples(9, 15))).isEqualTo(100.0);
        // one embedding request for the training set, one per call
        assertThat(embedCalls.get()).isEqualTo(1 + 6);
        LmRequest last = lm.lastRequest();
        String q = ScriptedLm.lastUserMessage(last);
        String cat = q.substring(q.indexOf("]]\n") + 3, q.indexOf(':'));
        for (Message m : last.messages().subList(1, last.messages().size() - 1)) {
            if (m.role() == Message.Role.USER) {
                assertThat(m.content()).contains("]]\n" + cat + ":");
            }
        }
    }

    @TempDir
    Path dir;

    @Test
    void aHandWrittenDspyStateProducesDspysPrompt() throws Exception {
        String json = """
                {
                  "predict": {
                    "traces": [],
                    "train": [],
                    "demos": [
                      {
                        "augmented": true,
                        "question": "What is 2+2?",
                        "reasoning": "2 plus 2 is 4.",
                        "answer": "4"
                      },
                      {
                        "question": "What is the capital of France?",
                        "answer": "Paris"
                      }
                    ],
                    "signature": {
                      "instructions": "Answer questions with short factoid answers.",
                      "fields": [
                        {
                          "prefix": "Question:",
                          "description": "a trivia question"
                        },
                        {
                          "prefix": "Reasoning: Let's think step by step in order to",
                          "description": "${reasoning}"
                        },
                        {
                          "prefix": "Answer:",
                          "description": "often between 1 and 5 words"
                        }
                      ]
                    },
                    "lm": null
                  },
                  "metadata": {
                    "dependency_versions": {
                      "python": "3.11",
                      "dspy": "3.3.1",
                      "cloudpickle": "3.1"
                    }
                  }
                }
                """;
        Path file = dir.resolve("cot.json");
        Files.writeString(file, json);
        ScriptedLm lm = ScriptedLm.replying("[[ ## reasoning ## ]]\nShakespeare wrote it.\n\n[[ ## answer ## ]]\n"
                + "William Shakespeare\n\n[[ ## completed ## ]]");
        ChainOfThought cot = (ChainOfThought) ChainOfThought.of("question -> answer").load(file);
        assertThat(cot.withLm(lm).forward(Map.of("question", "Who wrote Hamlet?")).block().get("answer"))
                .isEqualTo("William Shakespeare");
        List<Message> sent = lm.lastRequest().messages();
        assertThat(sent).containsExactly(
                Message.system("Your input fields are:\n1. `question` (str): a trivia question\n"
                        + "Your output fields are:\n1. `reasoning` (str): \n2. `answer` (str): often between 1 and 5 "
                        + "words\nAll interactions will be structured in the following way, with the appropriate "
                        + "values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## reasoning ## ]]\n"
                        + "{reasoning}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\n"
                        + "In adhering to this structure, your objective is: \n"
                        + "        Answer questions with short factoid answers."),
                Message.user("This is an example of the task, though some input or output fields are not "
                        + "supplied.\n\n[[ ## question ## ]]\nWhat is the capital of France?"),
                Message.assistant("[[ ## reasoning ## ]]\nNot supplied for this particular example. \n\n"
                        + "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]\n"),
                Message.user("[[ ## question ## ]]\nWhat is 2+2?"),
                Message.assistant("[[ ## reasoning ## ]]\n2 plus 2 is 4.\n\n[[ ## answer ## ]]\n4\n\n"
                        + "[[ ## completed ## ]]\n"),
                Message.user("[[ ## question ## ]]\nWho wrote Hamlet?\n\nRespond with the corresponding output "
                        + "fields, starting with the field `[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]`, and "
                        + "then ending with the marker for `[[ ## completed ## ]]`."));
        Path again = dir.resolve("again.json");
        cot.save(again);
        assertThat(Files.readString(again)).isEqualTo(json);
    }

    @Test
    void sameSeedSameCompiledProgramWithARealPredict() {
        Predict student = Predict.of("question -> answer").withLm(relevantDemoLm());
        BootstrapFewShot opt = BootstrapFewShot.builder().metric(EXACT).maxBootstrappedDemos(3).maxLabeledDemos(7)
                .seed(11).concurrency(5).build();
        Predict a = opt.compile(student, examples(0, 15)).block();
        Predict b = opt.compile(student, examples(0, 15)).block();
        assertThat(a).isEqualTo(b);
        assertThat(a.demos()).hasSize(7);
    }
}

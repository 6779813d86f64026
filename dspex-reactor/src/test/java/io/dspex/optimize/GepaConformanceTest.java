package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.evaluate.FeedbackMetric;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Mono;

/**
 * GEPA end to end against DSPy 3.3.1's {@code dspy.GEPA} (gepa 0.1.4) run on the same two-predictor program,
 * deterministic task and reflection models, metric, data, budget and seed ({@code gepa-runs.json}): the same
 * reflection prompts in the same order, the same candidates, lineage, per-instance scores and frontier. Where gepa
 * overran its budget, this run stops short of it, so its steps are a prefix of gepa's; otherwise they are all of
 * gepa's, metric calls included.
 */
class GepaConformanceTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String OBJECTIVE = "In adhering to this structure, your objective is: \n        ";
    private static final JsonNode RUNS = load();

    private static JsonNode load() {
        try (InputStream in = GepaConformanceTest.class.getResourceAsStream("gepa-runs.json")) {
            return new ObjectMapper().readTree(in).get("runs");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** DSPy's {@code Pipeline}: extract a word from the question, then answer with it. */
    static final class Pipeline extends Module {
        Pipeline() {
            register("extract", Predict.of(Signature.parse("question -> word", "Extract the word.")));
            register("answer", Predict.of(Signature.parse("word -> answer", "Answer with the word.")));
        }

        @Override
        protected Mono<Prediction> run(Example inputs) {
            return child("extract").forward(inputs)
                    .flatMap(w -> child("answer").forward(Map.of("word", w.get("word"))));
        }
    }

    static String section(String text, String name) {
        Matcher m = Pattern.compile("\\[\\[ ## " + name + " ## \\]\\]\\n(.*?)(?:\\n\\n|$)", Pattern.DOTALL)
                .matcher(text);
        return m.find() ? m.group(1) : null;
    }

    /** The task model: lowercases when told to, reverses when told to; nothing else. */
    static String taskReply(LmRequest request) {
        List<Message> ms = request.messages();
        String system = ms.get(0).content();
        String instructions = system.substring(system.indexOf(OBJECTIVE) + OBJECTIVE.length());
        String last = ms.get(ms.size() - 1).content();
        String outputs = system.split("Your output fields are:")[1].split("All interactions")[0];
        if (outputs.contains("`word`")) {
            String q = section(last, "question");
            String w = q.substring(q.lastIndexOf(':') + 1).strip();
            while (w.endsWith("?")) {
                w = w.substring(0, w.length() - 1);
            }
            if (instructions.contains("lowercase")) {
                w = w.toLowerCase(Locale.ROOT);
            }
            return "[[ ## word ## ]]\n" + w + "\n\n[[ ## completed ## ]]";
        }
        String w = section(last, "word");
        String a = instructions.contains("reverse") ? new StringBuilder(w).reverse().toString() : w;
        return "[[ ## answer ## ]]\n" + a + "\n\n[[ ## completed ## ]]";
    }

    /** The reflection model: appends every "Rule: ..." line of the feedback to the current instruction. */
    static String reflectionReply(String prompt) {
        String current = prompt.split("```\n", 2)[1].split("\n```", 2)[0];
        List<String> rules = new ArrayList<>();
        for (String line : prompt.split("\n", -1)) {
            if (line.startsWith("Rule: ")) {
                String r = line.substring("Rule: ".length()).strip();
                if (!rules.contains(r)) {
                    rules.add(r);
                }
            }
        }
        String next = current;
        for (String r : rules) {
            if (!next.contains(r)) {
                next = next + " " + r;
            }
        }
        return "Here is the new instruction.\n```\n" + next + "\n```";
    }

    private static final Map<String, double[]> KIND_TABLE = Map.of("X", new double[] {0, 1, 0, 1},
            "Y", new double[] {0, 0, 1, 1}, "W", new double[] {1, 0.5, 0.5, 0});

    static ScoreWithFeedback score(Example gold, Prediction pred, String predictorName) {
        String got = (String) pred.get("answer");
        if (gold.has("kind")) {
            String q = (String) gold.get("question");
            String word = q.substring(q.lastIndexOf(':') + 1).strip().replace("?", "");
            boolean lowered = got.equals(got.toLowerCase(Locale.ROOT));
            boolean reversed = got.toLowerCase(Locale.ROOT)
                    .equals(new StringBuilder(word.toLowerCase(Locale.ROOT)).reverse().toString());
            String kind = (String) gold.get("kind");
            double s = KIND_TABLE.get(kind)[(lowered ? 1 : 0) + (reversed ? 2 : 0)];
            List<String> parts = new ArrayList<>();
            if (kind.equals("X") && !lowered && (predictorName == null || predictorName.equals("extract"))) {
                parts.add("Rule: make the word lowercase.");
            }
            if (kind.equals("Y") && !reversed && (predictorName == null || predictorName.equals("answer"))) {
                parts.add("Rule: reverse the word.");
            }
            return new ScoreWithFeedback(s, "Kind " + kind + ": got " + got + "."
                    + (parts.isEmpty() ? "" : "\n" + String.join("\n", parts)));
        }
        String expected = (String) gold.get("answer");
        boolean lowerOk = got.equals(got.toLowerCase(Locale.ROOT))
                == expected.equals(expected.toLowerCase(Locale.ROOT));
        boolean revOk = got.toLowerCase(Locale.ROOT).equals(expected.toLowerCase(Locale.ROOT));
        double s = (lowerOk ? 0.5 : 0) + (revOk ? 0.5 : 0);
        if (s == 1.0) {
            return new ScoreWithFeedback(s, "Correct.");
        }
        List<String> parts = new ArrayList<>();
        if ((predictorName == null || predictorName.equals("extract")) && !lowerOk) {
            parts.add("Rule: make the word lowercase.");
        }
        if ((predictorName == null || predictorName.equals("answer")) && !revOk) {
            parts.add("Rule: reverse the word.");
        }
        return new ScoreWithFeedback(s, "Expected " + expected + ", got " + got + "."
                + (parts.isEmpty() ? "" : "\n" + String.join("\n", parts)));
    }

    static final List<String> WORDS = List.of("Cat", "dog", "Owl", "emu", "Yak", "ant", "Bee", "eel");
    static final List<String> PLACES = List.of("Rome", "cat", "Oslo", "dog", "Lima", "Owl", "emu", "Bern", "yak",
            "Nice");
    static final Set<String> CAPITALS = Set.of("Rome", "Oslo", "Lima", "Bern", "Nice");
    static final List<String[]> KINDS = List.of(new String[] {"Cat", "X"}, new String[] {"Owl", "Y"},
            new String[] {"Yak", "W"}, new String[] {"Bee", "X"}, new String[] {"Emu", "Y"}, new String[] {"Ant", "W"},
            new String[] {"Elk", "X"}, new String[] {"Gnu", "Y"}, new String[] {"Fox", "W"}, new String[] {"Hen", "X"},
            new String[] {"Ram", "Y"}, new String[] {"Cod", "W"});

    static Example example(String word, String answer, String kind) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("question", "Reverse: " + word + "?");
        m.put("answer", answer);
        if (kind != null) {
            m.put("kind", kind);
        }
        return Example.of(m).withInputs("question");
    }

    static String reversed(String s) {
        return new StringBuilder(s).reverse().toString();
    }

    static List<Example> words(List<String> ws) {
        return ws.stream().map(w -> example(w, reversed(w.toLowerCase(Locale.ROOT)), null)).toList();
    }

    static List<Example> places(List<String> ws) {
        return ws.stream().map(w -> example(w, CAPITALS.contains(w) ? reversed(w)
                : reversed(w.toLowerCase(Locale.ROOT)), null)).toList();
    }

    static List<Example> kinds(List<String[]> ks) {
        return ks.stream().map(k -> example(k[0], "", k[1])).toList();
    }

    static Stream<Arguments> runs() {
        List<Arguments> out = new ArrayList<>();
        RUNS.forEach(r -> out.add(Arguments.of(r.get("task").asText() + " budget " + r.get("budget").asInt()
                + " seed " + r.get("seed").asInt() + " " + r.get("selection").asText(), r)));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void gepaMakesDspysChoices(String name, JsonNode run) {
        String task = run.get("task").asText();
        List<Example> trainset;
        List<Example> valset;
        switch (task) {
            case "words" -> {
                trainset = words(WORDS.subList(0, 6));
                valset = words(WORDS.subList(2, 8));
            }
            case "kinds" -> {
                trainset = kinds(KINDS.subList(0, 6));
                valset = kinds(KINDS.subList(6, 12));
            }
            default -> {
                trainset = places(PLACES.subList(0, 6));
                valset = places(PLACES.subList(3, 10));
            }
        }
        AtomicInteger moduleCalls = new AtomicInteger();
        FeedbackMetric metric = FeedbackMetric.traced((gold, pred, trace, predictorName, predictorTrace) -> {
            if (predictorName == null) {
                moduleCalls.incrementAndGet();
            }
            return score(gold, pred, predictorName);
        });
        AtomicInteger taskCalls = new AtomicInteger();
        LanguageModel taskLm = request -> Mono.fromCallable(() -> {
            taskCalls.incrementAndGet();
            return LmResponse.of(taskReply(request));
        });
        List<String> prompts = new CopyOnWriteArrayList<>();
        LanguageModel reflectionLm = request -> Mono.fromCallable(() -> {
            assertThat(request.messages()).hasSize(1);
            assertThat(request.messages().get(0).role()).isEqualTo(Message.Role.USER);
            String prompt = request.messages().get(0).content();
            prompts.add(prompt);
            return LmResponse.of(reflectionReply(prompt));
        });
        int budget = run.get("budget").asInt();
        Gepa gepa = Gepa.builder()
                .metric(metric)
                .reflectionLm(reflectionLm)
                .maxMetricCalls(budget)
                .seed(run.get("seed").asLong())
                .useMerge(run.get("use_merge").asBoolean())
                .candidateSelectionStrategy(run.get("selection").asText().equals("pareto")
                        ? Gepa.CandidateSelection.PARETO : Gepa.CandidateSelection.CURRENT_BEST)
                .trackStats(true)
                .valset(valset)
                .concurrency(4)
                .build();
        GepaResult<Pipeline> result = gepa.optimize(new Pipeline(), trainset)
                .contextWrite(Settings.empty().withLm(taskLm).asContext())
                .block(WAIT);
        assertThat(result).isNotNull();

        // The budget is never exceeded, and every counted call is one program run scored once.
        int pythonTotal = run.get("total_metric_calls").asInt();
        assertThat(result.totalMetricCalls()).isLessThanOrEqualTo(budget).isEqualTo(moduleCalls.get());
        assertThat(taskCalls.get()).isEqualTo(2 * result.totalMetricCalls());
        boolean complete = pythonTotal <= budget;
        if (complete) {
            assertThat(result.totalMetricCalls()).isEqualTo(pythonTotal);
        }

        List<String> expectedPrompts = new ArrayList<>();
        run.get("prompts").forEach(p -> expectedPrompts.add(p.asText()));
        assertThat(prompts.size()).isLessThanOrEqualTo(expectedPrompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(prompts.get(i)).as("reflection prompt %d", i).isEqualTo(expectedPrompts.get(i));
        }

        List<Map<String, String>> expectedCandidates = new ArrayList<>();
        run.get("candidates").forEach(c -> {
            Map<String, String> m = new LinkedHashMap<>();
            c.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
            expectedCandidates.add(m);
        });
        List<Map<String, String>> candidates = new ArrayList<>();
        for (Pipeline p : result.candidates()) {
            Map<String, String> m = new LinkedHashMap<>();
            p.namedPredictors().forEach((n, pr) -> m.put(n, pr.signature().instructions()));
            candidates.add(m);
        }
        int n = candidates.size();
        assertThat(n).isLessThanOrEqualTo(expectedCandidates.size());
        assertThat(candidates).isEqualTo(expectedCandidates.subList(0, n));
        List<List<Integer>> expectedParents = new ArrayList<>();
        run.get("parents").forEach(ps -> {
            List<Integer> l = new ArrayList<>();
            ps.forEach(p -> {
                if (!p.isNull()) {
                    l.add(p.asInt());
                }
            });
            expectedParents.add(l);
        });
        assertThat(result.parents()).isEqualTo(expectedParents.subList(0, n));
        for (int c = 0; c < n; c++) {
            List<Double> expected = new ArrayList<>();
            run.get("val_subscores").get(c).forEach(s -> expected.add(s.asDouble()));
            assertThat(result.valSubscores().get(c)).as("valset scores of candidate %d", c).isEqualTo(expected);
            assertThat(result.valAggregateScores().get(c)).isEqualTo(run.get("val_aggregate_scores").get(c)
                    .asDouble());
            assertThat(result.discoveryEvalCounts().get(c)).isEqualTo(run.get("discovery_eval_counts").get(c).asInt());
        }
        if (complete) {
            assertThat(prompts).hasSameSizeAs(expectedPrompts);
            assertThat(n).isEqualTo(expectedCandidates.size());
            assertThat(result.bestIndex()).isEqualTo(run.get("best_idx").asInt());
            assertThat(result.numFullValEvals()).isEqualTo(run.get("num_full_val_evals").asInt());
            List<Set<Integer>> frontier = new ArrayList<>();
            run.get("frontier").forEach(f -> frontier.add(Set.copyOf(ints(f))));
            assertThat(result.perValInstanceBestCandidates()).isEqualTo(frontier);
        }
        Map<String, String> best = new LinkedHashMap<>();
        result.best().namedPredictors().forEach((k, p) -> best.put(k, p.signature().instructions()));
        assertThat(best).isEqualTo(candidates.get(result.bestIndex()));
    }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asInt()));
        return out;
    }
}

package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
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
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Mono;

/**
 * SIMBA end to end against DSPy 3.3.1's {@code dspy.SIMBA} run on the same program, deterministic task and prompt
 * models, metric, data and seed ({@code simba-runs.json}, with {@code program_code} replaced by what DSPEx sends):
 * the same OfferFeedback requests in the same order, byte for byte, the same finalists and the same best program,
 * demos and rules included. The NumPy Poisson draws and CPython's draws are reproduced exactly.
 */
class SimbaConformanceTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String OBJECTIVE = "In adhering to this structure, your objective is: \n        ";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode RUNS = load();

    private static JsonNode load() {
        try (InputStream in = SimbaConformanceTest.class.getResourceAsStream("simba-runs.json")) {
            return JSON.readTree(in).get("runs");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** DSPy's {@code Solve}: a draft, then the answer. */
    static final class Solve extends Module {
        Solve() {
            register("draft", Predict.of(Signature.parse("question -> draft", "Draft the answer.")));
            register("answer", Predict.of(Signature.parse("question, draft -> answer", "Answer even or odd.")));
        }

        @Override
        protected Mono<Prediction> run(Example inputs) {
            Object q = inputs.get("question");
            return child("draft").forward(Map.of("question", q))
                    .flatMap(d -> child("answer").forward(Map.of("question", q, "draft", d.get("draft"))));
        }
    }

    private static String reply(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder();
        fields.forEach((k, v) -> sb.append("[[ ## ").append(k).append(" ## ]]\n").append(v).append("\n\n"));
        return sb.append("[[ ## completed ## ]]").toString();
    }

    /** Right when told about parity, shown a demo, or when (k + rollout id) is a multiple of 3; else wrong. */
    static String taskReply(LmRequest request) {
        List<Message> ms = request.messages();
        String system = ms.get(0).content();
        String instructions = system.substring(system.indexOf(OBJECTIVE) + OBJECTIVE.length());
        String last = ms.get(ms.size() - 1).content();
        int k = Integer.parseInt(GepaConformanceTest.section(last, "question").split("=")[1].strip());
        String outputs = system.split("Your output fields are:")[1].split("All interactions")[0];
        if (outputs.contains("`draft`")) {
            return reply(Map.of("draft", "k is " + k));
        }
        int demos = (ms.size() - 2) / 2;
        String rollout = request.config().rolloutId();
        boolean knows = instructions.contains("parity") || demos >= 1
                || (rollout != null && (k + Integer.parseInt(rollout)) % 3 == 0);
        String right = k % 2 == 0 ? "even" : "odd";
        String wrong = k % 2 == 0 ? "odd" : "even";
        return reply(Map.of("answer", knows ? right : wrong));
    }

    /** Advice for every module named, the answer's mentioning parity and the question. */
    static String adviceReply(LmRequest request) {
        String last = request.messages().get(request.messages().size() - 1).content();
        try {
            Map<String, Object> inputs = JSON.readValue(GepaConformanceTest.section(last, "program_inputs"),
                    new TypeReference<>() { });
            List<String> names = JSON.readValue(GepaConformanceTest.section(last, "module_names"),
                    new TypeReference<>() { });
            Map<String, String> advice = new LinkedHashMap<>();
            for (String n : names) {
                advice.put(n, n.equals("answer") ? "If the question is like " + inputs.get("question")
                        + ", answer with its parity." : "Write the draft as 'k is <k>'.");
            }
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("discussion", "The worse trajectory guessed.");
            fields.put("module_advice", JSON.writeValueAsString(advice));
            return reply(fields);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Example> trainset(int n) {
        List<Example> out = new ArrayList<>();
        for (int k = 1; k <= n; k++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("question", "n=" + k);
            m.put("answer", k % 2 == 0 ? "even" : "odd");
            out.add(Example.of(m).withInputs("question"));
        }
        return out;
    }

    static final FeedbackMetric FEEDBACK = (example, pred) -> {
        boolean ok = pred.get("answer").equals(example.get("answer"));
        return new ScoreWithFeedback(ok ? 1.0 : 0.0, ok ? "Correct." : "Expected " + example.get("answer") + ".");
    };
    static final Metric PLAIN = (example, pred) -> pred.get("answer").equals(example.get("answer")) ? 1.0 : 0.0;

    static Map<String, Object> state(Program p) {
        Map<String, Object> out = new LinkedHashMap<>();
        p.namedPredictors().forEach((name, pr) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("instructions", pr.signature().instructions());
            List<Map<String, Object>> demos = new ArrayList<>();
            pr.demos().forEach(d -> demos.add(new LinkedHashMap<>(d.toMap())));
            s.put("demos", demos);
            out.put(name, s);
        });
        return out;
    }

    static Stream<Arguments> runs() {
        List<Arguments> out = new ArrayList<>();
        RUNS.forEach(r -> out.add(Arguments.of("n=" + r.get("n") + " bsize=" + r.get("bsize") + " candidates="
                + r.get("num_candidates") + " steps=" + r.get("max_steps") + " maxDemos=" + r.get("max_demos")
                + " seed=" + r.get("seed") + (r.get("feedback").asBoolean() ? " feedback" : " plain"), r)));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void simbaMakesDspysChoices(String name, JsonNode run) {
        AtomicInteger taskCalls = new AtomicInteger();
        LanguageModel taskLm = request -> Mono.fromCallable(() -> {
            taskCalls.incrementAndGet();
            return LmResponse.of(taskReply(request));
        });
        List<List<Message>> adviceRequests = new CopyOnWriteArrayList<>();
        LanguageModel promptLm = request -> Mono.fromCallable(() -> {
            adviceRequests.add(request.messages());
            return LmResponse.of(adviceReply(request));
        });
        Simba.Builder b = Simba.builder().bsize(run.get("bsize").asInt())
                .numCandidates(run.get("num_candidates").asInt()).maxSteps(run.get("max_steps").asInt())
                .maxDemos(run.get("max_demos").asInt()).seed(run.get("seed").asLong()).promptModel(promptLm)
                .concurrency(4);
        if (run.get("feedback").asBoolean()) {
            b.metric(FEEDBACK);
        } else {
            b.metric(PLAIN);
        }
        SimbaResult<Solve> result = b.build().optimize(new Solve(), trainset(run.get("n").asInt()))
                .contextWrite(Settings.empty().withLm(taskLm).asContext()).block(WAIT);
        assertThat(result).isNotNull();

        List<List<Map<String, String>>> expectedRequests = JSON.convertValue(run.get("advice_requests"),
                new TypeReference<>() { });
        List<List<Map<String, String>>> requests = new ArrayList<>();
        for (List<Message> ms : adviceRequests) {
            List<Map<String, String>> r = new ArrayList<>();
            ms.forEach(m -> r.add(Map.of("role", m.role().name().toLowerCase(Locale.ROOT),
                    "content", m.content())));
            requests.add(r);
        }
        assertThat(requests).hasSameSizeAs(expectedRequests);
        for (int i = 0; i < requests.size(); i++) {
            for (int j = 0; j < requests.get(i).size(); j++) {
                assertThat(requests.get(i).get(j).get("content")).as("OfferFeedback request %d, message %d", i, j)
                        .isEqualTo(expectedRequests.get(i).get(j).get("content"));
                assertThat(requests.get(i).get(j).get("role")).isEqualTo(expectedRequests.get(i).get(j).get("role"));
            }
        }
        assertThat(state(result.best())).isEqualTo(JSON.convertValue(run.get("best"), new TypeReference<>() { }));
        List<Double> scores = new ArrayList<>();
        List<Map<String, Object>> finalists = new ArrayList<>();
        result.candidatePrograms().forEach(c -> {
            scores.add(c.score());
            finalists.add(state(c.program()));
        });
        assertThat(scores).isEqualTo(JSON.convertValue(run.get("candidate_scores"), new TypeReference<>() { }));
        assertThat(finalists).isEqualTo(JSON.convertValue(run.get("candidates"), new TypeReference<>() { }));
        assertThat(taskCalls.get()).isEqualTo(run.get("task_calls").asInt());
    }
}

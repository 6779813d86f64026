package io.dspex.modules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.Price;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.lm.Usage;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Over real HTTP, a three-step module's prediction carries exactly the usage the server reported for every call it
 * made, per model, a retried call and a nested module included; Evaluate totals and prices it per model.
 */
class UsageOverHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    MockLmServer server;
    OpenAiCompatibleLm small;
    OpenAiCompatibleLm large;
    /** What the server reported, read from each HTTP response body, per model. */
    final Map<String, Usage> reported = new ConcurrentHashMap<>();

    /** Answers every output field the system message asks for with a few words. */
    static String reply(List<Message> messages) {
        String system = messages.get(0).content();
        String outputs = system.substring(system.indexOf("Your output fields are:"), system.indexOf("All interactions"));
        StringBuilder sb = new StringBuilder();
        for (String line : outputs.split("\n")) {
            int a = line.indexOf('`');
            if (a >= 0) {
                String name = line.substring(a + 1, line.indexOf('`', a + 1));
                sb.append("[[ ## ").append(name).append(" ## ]]\n").append(line.contains("(bool)") ? "True"
                        : "some words for " + name).append("\n\n");
            }
        }
        return sb.append("[[ ## completed ## ]]").toString();
    }

    @BeforeEach
    void start() {
        server = MockLmServer.create().reply(r -> reply(r.messages())).start();
        small = client("small-model");
        large = client("large-model");
    }

    private OpenAiCompatibleLm client(String model) {
        return OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model(model).apiKey("sk-test-0000")
                .responseTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void stop() {
        small.close();
        large.close();
        server.close();
    }

    /** The client as it is, plus a tap on what the server reported in each response body. */
    private LanguageModel tapped(OpenAiCompatibleLm lm) {
        return new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                return lm.call(request).doOnNext(r -> reported.merge(lm.model(), usageIn(r.raw()), Usage::plus));
            }

            @Override
            public String model() {
                return lm.model();
            }
        };
    }

    private static Usage usageIn(@Nullable String body) {
        try {
            JsonNode u = JSON.readTree(body).get("usage");
            return new Usage(u.get("prompt_tokens").asLong(), u.get("completion_tokens").asLong(),
                    u.get("total_tokens").asLong());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** rewrite (small model), answer (a chain of thought, large model), check (small model). */
    final class ThreeSteps extends Module {
        ThreeSteps() {
            register("rewrite", Predict.of("question -> query").withLm(tapped(small)));
            register("answer", ChainOfThought.of("query -> answer").withLm(tapped(large)));
            register("check", Predict.of("answer -> ok: bool").withLm(tapped(small))
                    .withRetry(RetryPolicy.defaults().withMaxAttempts(3).withBackoff(Duration.ofMillis(1),
                            Duration.ofMillis(5)).withJitter(0)));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("rewrite").forward(Map.of("question", in.get("question")))
                    .flatMap(q -> child("answer").forward(Map.of("query", q.get("query"))))
                    .flatMap(a -> child("check").forward(Map.of("answer", a.get("answer")))
                            .map(c -> a.with("ok", c.get("ok"))));
        }
    }

    @Test
    void theUsageOfAThreeStepModuleIsTheSumOfWhatTheServerReported() {
        // The check's first attempt fails with a 503 and is retried: the failed exchange reported no usage.
        server.faultWhen(r -> r.lastUserMessage().contains("[[ ## ok ## ]]") && r.number() == 3,
                Fault.status(503, "busy"));
        Prediction p = new ThreeSteps().forward(Map.of("question", "What is 2+2?")).block(Duration.ofSeconds(20));

        assertThat(server.requestCount()).isEqualTo(4);
        assertThat(p.get("ok")).isEqualTo(true);
        assertThat(reported).containsOnlyKeys("small-model", "large-model");
        assertThat(reported.get("small-model").totalTokens()).isPositive();
        assertThat(p.usageByModel()).isEqualTo(reported);
        assertThat(p.usage()).isEqualTo(reported.get("small-model").plus(reported.get("large-model")));
    }

    @Test
    void evaluateTotalsAndPricesTheUsagePerModel() {
        List<Example> devset = List.of(
                Example.of(Map.of("question", "q1", "answer", "x")).withInputs("question"),
                Example.of(Map.of("question", "q2", "answer", "x")).withInputs("question"));
        EvaluationResult r = Evaluate.builder().devset(devset).metric(Metric.of((ex, pred) -> true))
                .price("small-model", new Price(1.0, 2.0)).price("large-model", new Price(10.0, 20.0)).build()
                .run(new ThreeSteps()).block(Duration.ofSeconds(30));

        assertThat(r.usageByModel()).isEqualTo(reported);
        Usage s = reported.get("small-model");
        Usage l = reported.get("large-model");
        assertThat(r.totalUsage()).isEqualTo(s.plus(l));
        double expected = (s.promptTokens() * 1.0 + s.completionTokens() * 2.0 + l.promptTokens() * 10.0
                + l.completionTokens() * 20.0) / 1_000_000;
        assertThat(r.cost().getAsDouble()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12));
    }
}

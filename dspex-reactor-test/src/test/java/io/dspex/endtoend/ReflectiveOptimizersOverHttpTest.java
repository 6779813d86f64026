package io.dspex.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.evaluate.FeedbackMetric;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.optimize.Gepa;
import io.dspex.optimize.GepaResult;
import io.dspex.optimize.Simba;
import io.dspex.optimize.SimbaResult;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Settings;
import io.dspex.test.MockLmServer;
import io.dspex.test.ParsedRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * GEPA and SIMBA over real HTTP (the kit's MockLmServer and the OpenAI-compatible client), with BlockHound watching
 * every thread: evaluations, reflections and rules run on Reactor Netty's event loops without blocking, and the
 * task, reflection and prompt models can be one server.
 */
class ReflectiveOptimizersOverHttpTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String RULE = "Reverse the word after the colon.";

    /** One model for everything: the task (reverses when told to), GEPA's reflection, SIMBA's OfferFeedback. */
    private static String answer(ParsedRequest r) {
        List<Message> ms = r.messages();
        if (ms.size() == 1 && ms.get(0).content().startsWith("I provided an assistant")) {
            return "```\n" + RULE + "\n```";
        }
        String system = ms.get(0).content();
        if (system.contains("`module_advice`")) {
            return "[[ ## discussion ## ]]\nThe worse run did not reverse.\n\n[[ ## module_advice ## ]]\n"
                    + "{\"predict\": \"" + RULE + "\"}\n\n[[ ## completed ## ]]";
        }
        String last = r.lastUserMessage();
        String q = last.substring(last.indexOf("]]\n") + 3, last.indexOf("\n\n"));
        String word = q.substring(q.indexOf(':') + 1);
        boolean reverse = system.contains(RULE) || (ms.size() > 2);
        return "[[ ## reasoning ## ]]\nDone.\n\n[[ ## answer ## ]]\n"
                + (reverse ? new StringBuilder(word).reverse().toString() : word) + "\n\n[[ ## completed ## ]]";
    }

    private static List<Example> examples() {
        return OptimizersEndToEndTest.examples(0, 9);
    }

    @Test
    void gepaAndSimbaOptimizeOverHttp() {
        AtomicInteger metricCalls = new AtomicInteger();
        FeedbackMetric metric = FeedbackMetric.traced((example, pred, trace, name, pt) -> {
            if (name == null) {
                metricCalls.incrementAndGet();
            }
            boolean ok = example.get("answer").equals(pred.get("answer"));
            return new ScoreWithFeedback(ok ? 1 : 0, ok ? "Correct." : "Expected " + example.get("answer") + ".");
        });
        try (MockLmServer server = MockLmServer.create().reply(ReflectiveOptimizersOverHttpTest::answer).start();
             OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("mock")
                     .responseTimeout(Duration.ofSeconds(10)).build()) {
            Settings settings = Settings.empty().withLm(lm);
            GepaResult<ChainOfThought> gepa = Gepa.builder().metric(metric).reflectionLm(lm).maxMetricCalls(40)
                    .concurrency(8).trackStats(true).build()
                    .optimize(ChainOfThought.of("question -> answer"), examples())
                    .contextWrite(settings.asContext()).block(WAIT);
            assertThat(gepa).isNotNull();
            assertThat(gepa.bestScore()).isEqualTo(1.0);
            assertThat(gepa.best().predict().signature().instructions()).isEqualTo(RULE);
            assertThat(gepa.totalMetricCalls()).isLessThanOrEqualTo(40).isEqualTo(metricCalls.get());

            SimbaResult<ChainOfThought> simba = Simba.builder().metric(metric).bsize(3).numCandidates(2).maxSteps(2)
                    .concurrency(8).build()
                    .optimize(ChainOfThought.of("question -> answer"), examples())
                    .contextWrite(settings.asContext()).block(WAIT);
            assertThat(simba).isNotNull();
            assertThat(simba.candidatePrograms()).isNotEmpty();
            assertThat(server.requestCount()).isPositive();
        }
    }
}

package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.test.MockLmServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptimizeGepaTest {

    @TempDir
    Path dir;

    @Test
    void gepaRaisesTheScoreWithinTheBudgetAndSavesTheProgram() throws Exception {
        Path saved = dir.resolve("nested/gepa.json");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Provider provider = Provider.simulated()) {
            Samples.run("optimize-gepa", List.of(saved.toString()), out, provider);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed.split("\n")[0]).startsWith("No API key (OPENAI_API_KEY, ANTHROPIC_API_KEY, "
                + "GEMINI_API_KEY) or DSPEX_BASE_URL set: using a SIMULATED model");
        // Without an instruction about the style the model writes every answer in digits: only answers >= 10 match.
        assertThat(printed).contains("Before GEPA: 60.0% on the dev set")
                .contains("Its instruction:\n  Answer the arithmetic question.\n"
                        + "  Write numbers from zero to nine in words, larger numbers in digits.\n")
                .contains("After GEPA:  100.0% on the dev set")
                .contains("Score: 60.0% -> 100.0%. Saved the optimized program to " + saved);
        assertThat(printed).containsPattern("Budget used: \\d+ of 48 metric calls");
        assertThat(Files.readString(saved)).contains("Write numbers from zero to nine in words");
    }

    @Test
    void theBudgetIsNeverExceededAndEveryCallIsCounted() {
        AtomicInteger taskCalls = new AtomicInteger();
        AtomicInteger reflections = new AtomicInteger();
        SimulatedModel model = new SimulatedModel();
        try (MockLmServer server = MockLmServer.create().reply(r -> {
            if (SimulatedReflectionModel.handles(r.messages())) {
                reflections.incrementAndGet();
            } else {
                taskCalls.incrementAndGet();
            }
            return model.apply(r);
        }).recordRequests(false).start();
             OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("dspex-simulated")
                     .build()) {
            OptimizeGepa.Result r = OptimizeGepa.run(lm, lm, dir.resolve("p.json"),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertThat(r.after()).isGreaterThan(r.before());
            assertThat(r.metricCalls()).isLessThanOrEqualTo(r.budget()).isEqualTo(OptimizeGepa.BUDGET - 2);
            // Each metric call is one run of the one-predictor program; the rest are the two dev-set evaluations.
            assertThat(taskCalls.get()).isEqualTo(r.metricCalls() + 2 * Tasks.devset().size());
            assertThat(reflections.get()).isPositive();
            assertThat(r.instruction()).endsWith("Write numbers from zero to nine in words, larger numbers in digits.");
        }
    }
}

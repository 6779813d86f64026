package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.predict.ChainOfThought;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

class OptimizeTest {

    @TempDir
    Path dir;

    @Test
    void optimizationRaisesTheScoreAndTheSavedProgramIsServed() throws Exception {
        Path saved = dir.resolve("nested/optimized.json");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Provider provider = Provider.simulated()) {
            Samples.run("optimize", List.of(saved.toString()), out, provider);
            String printed = bytes.toString(StandardCharsets.UTF_8);
            assertThat(printed.split("\n")[0]).startsWith("No API key (OPENAI_API_KEY, ANTHROPIC_API_KEY, "
                + "GEMINI_API_KEY) or DSPEX_BASE_URL set: using a SIMULATED model");
            // Without demos the model writes every answer in digits: only the 24 of 40 answers >= 10 match.
            assertThat(printed).contains("Before optimization: 60.0% on the dev set")
                    .contains("BootstrapFewShot put 16 demos into the prompt")
                    .contains("After optimization:  100.0% on the dev set")
                    .contains("Score: 60.0% -> 100.0%. Saved the optimized program to " + saved);
            assertThat(Files.readString(saved)).contains("\"demos\"").doesNotContain("api_key");

            // The server sample loads the saved program: the demos now make it spell small numbers out.
            ChainOfThought loaded = Tasks.loadOrFresh(saved, provider.lm(), out);
            assertThat(loaded.predict().demos()).hasSize(16);
            assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("Loaded the program saved at " + saved);
            try (PredictServer server = PredictServer.builder(loaded).port(0).build().start()) {
                String reply = HttpClient.create().post().uri(server.url() + "/predict")
                        .send(ByteBufFlux.fromString(Mono.just("{\"question\": \"What is 3 plus 4?\"}")))
                        .responseContent().aggregate().asString().block(Duration.ofSeconds(10));
                assertThat(reply).contains("\"answer\":\"seven\"");
            }
        }
    }

    @Test
    void theResultCarriesTheScores() {
        try (Provider provider = Provider.simulated()) {
            Optimize.Result r = Optimize.run(provider.lm(), dir.resolve("p.json"),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertThat(r.after()).isGreaterThan(r.before());
            assertThat(r.demos()).isEqualTo(16);
            assertThat(r.saved()).exists();
        }
    }

    @Test
    void withoutASavedFileTheServerServesTheUnoptimizedProgram() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Provider provider = Provider.simulated()) {
            ChainOfThought fresh = Tasks.loadOrFresh(dir.resolve("missing.json"), provider.lm(),
                    new PrintStream(bytes, true, StandardCharsets.UTF_8));
            assertThat(fresh.predict().demos()).isEmpty();
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("serving the unoptimized program");
    }
}

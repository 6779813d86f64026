package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.data.Datasets;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.optimize.BootstrapFewShot;
import io.dspex.predict.ChainOfThought;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's ten-line example, line for line, with the simulated model's URL and the bundled datasets. */
class ReadmeExampleTest {

    @TempDir
    Path dir;

    @Test
    void theReadmeExampleRuns() {
        try (Provider simulated = Provider.simulated()) {
            String baseUrl = simulated.server().orElseThrow().baseUrl();
            Path train = Tasks.resource("arithmetic-train.jsonl");
            Path dev = Tasks.resource("arithmetic-dev.jsonl");

            OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(baseUrl)
                    .apiKey("not-needed").model("gpt-4o-mini").build();
            ChainOfThought qa = ChainOfThought.of("question -> answer").withLm(lm);
            List<Example> trainset = Datasets.readJsonl(train, "question");
            Evaluate evaluate = Evaluate.builder().devset(Datasets.readJsonl(dev, "question"))
                    .metric(Metrics.exactMatch("answer")).concurrency(16).build();
            ChainOfThought compiled = BootstrapFewShot.builder().metric(Metrics.exactMatch("answer")).build()
                    .compile(qa, trainset).block();
            double before = evaluate.run(qa).block().score();
            double after = evaluate.run(compiled).block().score();
            compiled.save(dir.resolve("qa.json"));
            Object answer = compiled.forward(Map.of("question", "What is 7 times 6?")).map(p -> p.get("answer")).block();

            assertThat(after).isGreaterThan(before);
            assertThat(dir.resolve("qa.json")).exists();
            assertThat(answer).isEqualTo("42");
            lm.close();
        }
    }
}

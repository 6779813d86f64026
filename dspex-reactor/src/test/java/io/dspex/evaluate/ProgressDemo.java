package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import reactor.blockhound.BlockHound;
import reactor.core.publisher.Mono;

/**
 * A tiny evaluation with progress on, run in a child JVM by {@link ProgressDisplayTest} (under a pseudo-terminal
 * or not). BlockHound is installed so a bar update that blocked a Reactor thread would fail examples.
 */
public final class ProgressDemo {

    private ProgressDemo() {
    }

    public static void main(String[] args) {
        BlockHound.install();
        List<Example> devset = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            devset.add(Example.of(Map.of("question", "q" + i, "answer", i % 4 == 0 ? "wrong" : "a" + i))
                    .withInputs("question"));
        }
        Program program = inputs -> Mono.delay(Duration.ofMillis(40))
                .map(t -> Prediction.of(Map.of("answer", "a" + ((String) inputs.get("question")).substring(1))));
        EvaluationResult result = Evaluate.builder()
                .devset(devset)
                .metric(Metrics.exactMatch("answer"))
                .concurrency(4)
                .displayProgress(true)
                .build()
                .run(program)
                .block(Duration.ofSeconds(30));
        System.out.println("RESULT score=" + result.score() + " errors=" + result.errorCount());
    }
}

package io.dspex.benchmarks;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Load run of {@link Evaluate}'s own overhead: 10,000 examples against a program that answers after 50 ms
 * (a timer, no network), at concurrency 100. The ideal is 10,000 / 100 * 50 ms = 5 s; the bar is 1.1x.
 * Run: {@code java -cp benchmarks/target/benchmarks.jar io.dspex.benchmarks.EvaluateLoad [examples] [concurrency]
 * [latencyMs]}. The same run against MockLmServer over HTTP belongs with the LM client's benchmarks.
 */
public final class EvaluateLoad {

    private EvaluateLoad() {
    }

    /**
     * @param args optional: examples, concurrency, latency in ms
     */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        long latencyMs = args.length > 2 ? Long.parseLong(args[2]) : 50;
        List<Example> devset = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            devset.add(Example.of(Map.of("question", "q" + i, "answer", "a" + i)).withInputs("question"));
        }
        Program program = inputs -> Mono.delay(Duration.ofMillis(latencyMs))
                .map(t -> Prediction.of(Map.of("answer", "a" + ((String) inputs.get("question")).substring(1))));
        Evaluate evaluate = Evaluate.builder().devset(devset).metric(Metrics.exactMatch("answer"))
                .concurrency(concurrency).build();
        evaluate.run(program).block(); // warm-up
        long start = System.nanoTime();
        EvaluationResult result = evaluate.run(program).block();
        double seconds = (System.nanoTime() - start) / 1e9;
        double ideal = (double) n / concurrency * latencyMs / 1000.0;
        System.out.printf("examples=%d concurrency=%d latency=%dms score=%.2f rows=%d elapsed=%.3fs ideal=%.3fs "
                + "ratio=%.3f%n", n, concurrency, latencyMs, result.score(), result.rows().size(), seconds, ideal,
                seconds / ideal);
    }
}

package io.dspex.benchmarks;

import io.dspex.Example;
import io.dspex.adapter.ChatAdapter;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@code ChatAdapter} format + parse throughput, the work DSPEx adds to every LM call.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar AdapterBenchmark -f 1 -wi 2 -i 3 -w 2s -r 3s -t 1
 * </pre>
 *
 * <p>Targets on a 2-core machine (one thread): at least 500,000 ops/s for {@link #simpleQa} and 100,000 ops/s for
 * {@link #typedWithDemo}; DSPy 3.3.1's Python adapter does about 10,000/s and 1,600/s.
 *
 * <p>{@link #simpleQa} and {@link #typedWithDemo} reuse one {@code Signature}, so the adapter's per-signature cache
 * (prompt parts kept per signature instance) is warm: the path of a predictor that is called again and again.
 * {@link #simpleQaUncached} and {@link #typedWithDemoUncached} give the adapter a new {@code Signature} instance
 * every operation (an equal copy, {@code withInstructions} of the same text), so that cache misses every time and the
 * prompt parts are prepared anew: the path of a signature used once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AdapterBenchmark {

    private final ChatAdapter adapter = new ChatAdapter();

    private final Signature simple = Signature.parse("question -> answer", "Answer the question.");
    private final Map<String, Object> simpleInputs = Map.of("question", "What is the capital of France?");
    private final String simpleReply = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]";

    private final Signature typed = Signature.parse("question -> answers: list[str], scores: list[float]",
            "Answer the question with multiple answers and scores");
    private final List<Example> typedDemos = List.of(Example.of(Map.of("question", "Q1", "answers",
            List.of("A1", "A2"), "scores", List.of(0.1, 0.9))));
    private final Map<String, Object> typedInputs = Map.of("question", "Q2");
    private final String typedReply = "[[ ## answers ## ]]\n[\"Paris\", \"Lyon\"]\n\n[[ ## scores ## ]]\n[0.9, 0.1]\n\n"
            + "[[ ## completed ## ]]";

    /** (a) {@code question -> answer} with instructions and no demos. */
    @Benchmark
    public void simpleQa(Blackhole bh) {
        List<Message> messages = adapter.format(simple, List.of(), simpleInputs);
        bh.consume(messages);
        bh.consume(adapter.parse(simple, simpleReply));
    }

    /** (a) with a new signature instance each operation: the adapter's per-signature cache misses. */
    @Benchmark
    public void simpleQaUncached(Blackhole bh) {
        Signature fresh = simple.withInstructions(simple.instructions());
        bh.consume(adapter.format(fresh, List.of(), simpleInputs));
        bh.consume(adapter.parse(fresh, simpleReply));
    }

    /** (b) with a new signature instance each operation: the adapter's per-signature cache misses. */
    @Benchmark
    public void typedWithDemoUncached(Blackhole bh) {
        Signature fresh = typed.withInstructions(typed.instructions());
        bh.consume(adapter.format(fresh, typedDemos, typedInputs));
        bh.consume(adapter.parse(fresh, typedReply));
    }

    /** (b) {@code question -> answers: list[str], scores: list[float]} with one demo. */
    @Benchmark
    public void typedWithDemo(Blackhole bh) {
        List<Message> messages = adapter.format(typed, typedDemos, typedInputs);
        bh.consume(messages);
        bh.consume(adapter.parse(typed, typedReply));
    }
}

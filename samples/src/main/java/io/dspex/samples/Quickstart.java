package io.dspex.samples;

import io.dspex.BatchResult;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.Usage;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * The first sample: {@code Predict} (alone, in a batch, and with a few-shot demo) and {@code ChainOfThought} on a
 * few questions, printing each answer, the reasoning and the token usage. Run it with {@code mvn -pl samples exec:java -Dsample=quickstart}.
 *
 * <pre>{@code
 * Quickstart.run(provider.lm(), System.out);
 * }</pre>
 */
public final class Quickstart {

    /** The questions asked. */
    public static final List<String> QUESTIONS = List.of("What is 7 times 6?", "What is 120 minus 45?",
            "What is 3 plus 4?");

    private Quickstart() {
    }

    /**
     * Runs the sample.
     *
     * @param lm  the model to call
     * @param out where to print
     * @return the total token usage of all calls
     */
    public static Usage run(LanguageModel lm, PrintStream out) {
        Predict qa = Predict.of("question -> answer").withLm(lm);
        out.println();
        out.println("== Predict(\"question -> answer\")");
        // All three calls in flight at once; batch emits the results in input order.
        List<Prediction> answers = qa.batch(QUESTIONS.stream().map(q -> Map.of("question", q)).toList(), 3)
                .map(BatchResult::orElseThrow)
                .collectList()
                .block();
        Usage total = Usage.ZERO;
        for (int i = 0; i < QUESTIONS.size(); i++) {
            Prediction p = answers.get(i);
            out.println(QUESTIONS.get(i) + "  ->  " + p.get("answer") + "   " + tokens(p.usage()));
            total = total.plus(p.usage());
        }

        // Few-shot: one demo in the prompt shows the house style (small numbers in words).
        Predict fewShot = qa.withDemos(List.of(Example.of(Map.of("question", "What is 2 plus 6?", "answer", "eight"))));
        out.println();
        out.println("== Predict with one demo (What is 2 plus 6? -> eight)");
        for (String q : List.of("What is 3 plus 4?", "What is 7 times 6?")) {
            Prediction p = fewShot.forward(Map.of("question", q)).block();
            out.println(q + "  ->  " + p.get("answer") + "   " + tokens(p.usage()));
            total = total.plus(p.usage());
        }

        ChainOfThought cot = ChainOfThought.of("question -> answer").withLm(lm);
        out.println();
        out.println("== ChainOfThought(\"question -> answer\")");
        for (String q : QUESTIONS.subList(0, 2)) {
            Prediction p = cot.forward(Map.of("question", q)).block();
            out.println(q);
            out.println("  reasoning: " + p.get("reasoning"));
            out.println("  answer:    " + p.get("answer") + "   " + tokens(p.usage()));
            total = total.plus(p.usage());
        }
        out.println();
        out.println("Total: " + total.promptTokens() + " prompt + " + total.completionTokens() + " completion = "
                + total.totalTokens() + " tokens.");
        return total;
    }

    private static String tokens(Usage u) {
        return "(" + u.promptTokens() + " prompt + " + u.completionTokens() + " completion tokens)";
    }
}

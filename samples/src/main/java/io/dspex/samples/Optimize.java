package io.dspex.samples;

import io.dspex.Example;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.lm.LanguageModel;
import io.dspex.optimize.BootstrapFewShot;
import io.dspex.predict.ChainOfThought;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code optimize} sample: evaluates the bundled arithmetic program on the dev set, optimizes it with
 * {@code BootstrapFewShot} on the training set, evaluates it again and saves the optimized program in DSPy's
 * JSON format. Run it with {@code mvn -pl samples -am compile exec:java -Dsample=optimize}.
 *
 * <pre>{@code
 * Optimize.Result r = Optimize.run(provider.lm(), Path.of("target/samples/arithmetic-optimized.json"), System.out);
 * }</pre>
 */
public final class Optimize {

    private Optimize() {
    }

    /**
     * What the sample measured.
     *
     * @param before the dev-set score of the unoptimized program, in percent
     * @param after  the dev-set score of the optimized program, in percent
     * @param demos  how many demos the optimizer put into the program's prompt
     * @param saved  where the optimized program was saved
     */
    public record Result(double before, double after, int demos, Path saved) {
    }

    /**
     * Runs the sample.
     *
     * @param lm   the model
     * @param save where to save the optimized program (parent directories are created)
     * @param out  where to print
     * @return the scores and the saved file
     */
    public static Result run(LanguageModel lm, Path save, PrintStream out) {
        ChainOfThought program = Tasks.program().withLm(lm);
        List<Example> trainset = Tasks.trainset();
        List<Example> devset = Tasks.devset();
        Evaluate evaluate = Evaluate.builder()
                .devset(devset)
                .metric(Tasks.metric())
                .concurrency(8)
                .build();

        out.println();
        out.println("Task: " + Tasks.SIGNATURE.instructions() + " House style: numbers from zero to nine in words, "
                + "larger ones in digits.");
        out.println("Program: ChainOfThought(\"question -> answer\"); metric: exact match on answer; "
                + trainset.size() + " training and " + devset.size() + " dev examples.");

        EvaluationResult before = evaluate.run(program).block();
        out.println();
        out.println("Before optimization: " + before.score() + "% on the dev set");

        // DSPy's defaults, spelled out: up to 4 demos from the program's own successful runs, filled up to 16 with
        // labeled training examples.
        BootstrapFewShot optimizer = BootstrapFewShot.builder()
                .metric(Tasks.metric())
                .maxBootstrappedDemos(4)
                .maxLabeledDemos(16)
                .build();
        ChainOfThought optimized = optimizer.compile(program, trainset).block();
        List<Example> demos = optimized.predict().demos();
        out.println();
        out.println("BootstrapFewShot put " + demos.size() + " demos into the prompt, e.g.:");
        demos.stream().limit(4).forEach(d -> out.println("  " + d.get("question") + "  ->  " + d.get("answer")));

        EvaluationResult after = evaluate.run(optimized).block();
        out.println();
        out.println("After optimization:  " + after.score() + "% on the dev set");

        try {
            Path parent = save.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory for " + save, e);
        }
        optimized.save(save);
        out.println();
        out.println("Score: " + before.score() + "% -> " + after.score() + "%. Saved the optimized program to "
                + save + " (DSPy's JSON format); serve it with -Dsample=server.");
        return new Result(before.score(), after.score(), demos.size(), save);
    }
}

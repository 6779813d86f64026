package io.dspex.samples;

import io.dspex.Example;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.FeedbackMetric;
import io.dspex.evaluate.ScoreWithFeedback;
import io.dspex.lm.LanguageModel;
import io.dspex.optimize.Gepa;
import io.dspex.optimize.GepaResult;
import io.dspex.predict.ChainOfThought;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The {@code optimize-gepa} sample: GEPA rewrites the bundled arithmetic program's instruction from what a feedback
 * metric says about its mistakes. It evaluates the program on the dev set, runs GEPA on the training set (the last
 * 8 training examples are its validation set), prints the winning instruction and the budget used, evaluates
 * again, and saves the program in DSPy's JSON format. Run it with
 * {@code mvn -pl samples -am compile exec:java -Dsample=optimize-gepa}.
 *
 * <p>The metric knows the house style (it has the labels): when an answer is wrong because a small number was not
 * spelled out, its feedback says so as a rule. The reflection model reads only that feedback; with the embedded
 * simulated model it is the {@link SimulatedReflectionModel}, which turns the rule into a line of the instruction,
 * and the simulated task model follows instructions that say to spell numbers out.
 *
 * <pre>{@code
 * OptimizeGepa.Result r = OptimizeGepa.run(provider.lm(), provider.lm(), Path.of("target/samples/gepa.json"), out);
 * }</pre>
 */
public final class OptimizeGepa {

    /** The sample's budget, in metric calls. */
    public static final int BUDGET = 48;

    private OptimizeGepa() {
    }

    /**
     * What the sample measured.
     *
     * @param before      the dev-set score of the unoptimized program, in percent
     * @param after       the dev-set score of the optimized program, in percent
     * @param instruction the winning instruction
     * @param metricCalls the metric calls GEPA made
     * @param budget      its budget
     * @param saved       where the optimized program was saved
     */
    public record Result(double before, double after, String instruction, int metricCalls, int budget, Path saved) {
    }

    /**
     * Exact match on the answer, with feedback: what was expected and, when a small number was not spelled out,
     * the house style as a rule.
     *
     * @return the metric
     */
    public static FeedbackMetric metric() {
        return (example, prediction) -> {
            if (Tasks.metric().score(example, prediction) == 1.0) {
                return new ScoreWithFeedback(1.0, "Correct.");
            }
            String expected = String.valueOf(example.get("answer"));
            String feedback = "The answer \"" + prediction.get("answer") + "\" is wrong; the expected answer is \""
                    + expected + "\".";
            if (SimulatedModel.wordsToNumber(expected).isPresent()) {
                feedback += "\nRule: write numbers from zero to nine in words, larger numbers in digits.";
            }
            return new ScoreWithFeedback(0.0, feedback);
        };
    }

    /**
     * Runs the sample.
     *
     * @param lm           the task model
     * @param reflectionLm the model GEPA asks for new instructions (the same one will do)
     * @param save         where to save the optimized program (parent directories are created)
     * @param out          where to print
     * @return the scores, the instruction and the budget used
     */
    public static Result run(LanguageModel lm, LanguageModel reflectionLm, Path save, PrintStream out) {
        ChainOfThought program = Tasks.program().withLm(lm);
        List<Example> all = Tasks.trainset();
        List<Example> trainset = all.subList(0, all.size() - 8);
        List<Example> valset = all.subList(all.size() - 8, all.size());
        List<Example> devset = Tasks.devset();
        Evaluate evaluate = Evaluate.builder().devset(devset).metric(Tasks.metric()).concurrency(8).build();

        out.println();
        out.println("Task: " + Tasks.SIGNATURE.instructions() + " House style: numbers from zero to nine in words, "
                + "larger ones in digits.");
        out.println("Program: ChainOfThought(\"question -> answer\"); metric: exact match on answer, with feedback; "
                + trainset.size() + " training, " + valset.size() + " validation and " + devset.size()
                + " dev examples.");

        EvaluationResult before = evaluate.run(program).block();
        out.println();
        out.println("Before GEPA: " + before.score() + "% on the dev set");

        out.println();
        out.println("Running GEPA with a budget of " + BUDGET + " metric calls; the reflection model reads the "
                + "metric's feedback on minibatches of 3 training examples and proposes new instructions.");
        Gepa gepa = Gepa.builder()
                .metric(metric())
                .reflectionLm(reflectionLm)
                .maxMetricCalls(BUDGET)
                .valset(valset)
                .trackStats(true)
                .build();
        GepaResult<ChainOfThought> result = gepa.optimize(program, trainset).block();
        ChainOfThought optimized = result.best();
        String instruction = optimized.predict().signature().instructions();
        out.println();
        out.println("GEPA found " + result.candidates().size() + " candidates; the best, candidate "
                + result.bestIndex() + ", scores " + percent(result.bestScore()) + "% on the validation set. "
                + "Its instruction:");
        instruction.lines().forEach(line -> out.println("  " + line));
        out.println("Budget used: " + result.totalMetricCalls() + " of " + result.budget() + " metric calls ("
                + result.numFullValEvals() + " validation passes).");

        EvaluationResult after = evaluate.run(optimized).block();
        out.println();
        out.println("After GEPA:  " + after.score() + "% on the dev set");

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
        out.println("Score: " + before.score() + "% -> " + after.score() + "%. Saved the optimized program to " + save
                + " (DSPy's JSON format).");
        return new Result(before.score(), after.score(), instruction, result.totalMetricCalls(), result.budget(), save);
    }

    private static String percent(double score) {
        return String.format(Locale.ROOT, "%.1f", 100 * score);
    }
}

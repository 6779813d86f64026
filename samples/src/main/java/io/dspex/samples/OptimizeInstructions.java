package io.dspex.samples;

import io.dspex.Example;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.lm.LanguageModel;
import io.dspex.optimize.MiproV2;
import io.dspex.optimize.MiproV2Result;
import io.dspex.predict.ChainOfThought;
import java.io.PrintStream;
import java.util.List;

/**
 * The {@code optimize-instructions} sample: optimizes only the instruction of the bundled arithmetic program with
 * {@code MiproV2} in zero-shot mode (no demos in the prompt), then compares dev-set scores. The prompt model and the
 * task model are the same LM here. Run it with
 * {@code mvn -pl samples -am compile exec:java -Dsample=optimize-instructions}.
 *
 * <p>With the simulated model: the unoptimized instruction leaves small numbers in digits (60% on the dev set); the
 * proposer reads the training examples, notices the house style and proposes instructions, some of which state it;
 * the search finds one that does, and the model then follows it ({@link SimulatedInstructionRules}).
 *
 * <pre>{@code
 * OptimizeInstructions.Result r = OptimizeInstructions.run(provider.lm(), System.out);
 * }</pre>
 */
public final class OptimizeInstructions {

    private OptimizeInstructions() {
    }

    /**
     * What the sample measured.
     *
     * @param before      the dev-set score of the unoptimized program, in percent
     * @param after       the dev-set score of the optimized program, in percent
     * @param instruction the instruction MIPROv2 chose
     */
    public record Result(double before, double after, String instruction) {
    }

    /**
     * Runs the sample.
     *
     * @param lm  the model (task and proposals)
     * @param out where to print
     * @return the scores and the chosen instruction
     */
    public static Result run(LanguageModel lm, PrintStream out) {
        ChainOfThought program = Tasks.program().withLm(lm);
        List<Example> trainset = Tasks.trainset();
        List<Example> devset = Tasks.devset();
        Evaluate evaluate = Evaluate.builder().devset(devset).metric(Tasks.metric()).concurrency(8).build();

        out.println();
        out.println("Task: arithmetic questions in a house style (numbers from zero to nine in words, larger ones in "
                + "digits) that the instruction does not state: \"" + Tasks.SIGNATURE.instructions() + "\"");
        EvaluationResult before = evaluate.run(program).block();
        out.println("Before optimization: " + before.score() + "% on the dev set (zero-shot, no demos)");

        // Zero-shot MIPROv2: instruction candidates only. The light preset: 6 candidates, 9 trials; the training set
        // is split as DSPy splits it (the last 80% validate the candidates).
        MiproV2 optimizer = MiproV2.builder()
                .metric(Tasks.metric())
                .auto(MiproV2.Auto.LIGHT)
                .maxBootstrappedDemos(0)
                .maxLabeledDemos(0)
                .promptModel(lm)
                .build();
        MiproV2Result<ChainOfThought> result = optimizer.optimize(program, trainset).block();
        ChainOfThought optimized = result.best();

        out.println();
        out.println("Instruction candidates MIPROv2 proposed:");
        List<String> candidates = result.instructionCandidates().get("predict");
        for (int i = 0; i < candidates.size(); i++) {
            out.println("  " + i + ": " + candidates.get(i));
        }
        out.println();
        out.println("Trials (score on the validation split):");
        for (MiproV2Result.Trial<ChainOfThought> t : result.trials()) {
            out.println("  trial " + t.number() + " (" + t.kind().name().toLowerCase(java.util.Locale.ROOT)
                    + "): instruction " + t.instructions().get("predict") + " -> " + t.score() + "%");
        }
        String instruction = optimized.predict().signature().instructions();
        out.println();
        out.println("Chosen instruction: " + instruction);

        EvaluationResult after = evaluate.run(optimized).block();
        out.println();
        out.println("Score on the dev set: " + before.score() + "% -> " + after.score() + "%");
        return new Result(before.score(), after.score(), instruction);
    }
}

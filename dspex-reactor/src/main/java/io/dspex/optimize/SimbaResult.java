package io.dspex.optimize;

import io.dspex.Program;
import java.util.List;

/**
 * What a {@link Simba} run found: the best program, every finalist with its training-set score (DSPy's
 * {@code candidate_programs}), and what each step scored on its minibatch.
 *
 * <pre>{@code
 * SimbaResult<ChainOfThought> r = simba.optimize(student, trainset).block();
 * r.candidatePrograms().forEach(c -> System.out.println(c.score()));
 * ChainOfThought best = r.best();
 * }</pre>
 *
 * @param best              the finalist with the highest average training-set score (the first such)
 * @param bestScore         its average score, as the metric scores (not percent)
 * @param candidatePrograms the finalists by decreasing score, ties in the order they were found
 * @param steps             one entry per optimization step
 * @param <P>               the program type
 */
public record SimbaResult<P extends Program>(P best, double bestScore, List<Scored<P>> candidatePrograms,
                                             List<Step> steps) {

    /**
     * A finalist.
     *
     * @param score   its average score on the whole training set
     * @param program the program
     * @param <P>     the program type
     */
    public record Scored<P extends Program>(double score, P program) {
    }

    /**
     * One step's minibatch scores.
     *
     * @param baselineScore   the average score of every sampled run of the step (DSPy's baseline)
     * @param candidateScores each new candidate's average score on the minibatch, in the order built
     */
    public record Step(double baselineScore, List<Double> candidateScores) {
        /** @throws IllegalArgumentException when the scores are null */
        public Step {
            if (candidateScores == null) {
                throw new IllegalArgumentException("candidateScores must not be null");
            }
            candidateScores = List.copyOf(candidateScores);
        }
    }

    /** @throws IllegalArgumentException when a component is null or there is no finalist */
    public SimbaResult {
        if (best == null || candidatePrograms == null || candidatePrograms.isEmpty() || steps == null) {
            throw new IllegalArgumentException("a SIMBA result needs a best program and finalists");
        }
        candidatePrograms = List.copyOf(candidatePrograms);
        steps = List.copyOf(steps);
    }
}

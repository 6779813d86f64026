package io.dspex.optimize;

import io.dspex.Program;
import io.dspex.evaluate.EvaluationResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What {@link BootstrapFewShotWithRandomSearch} found: every candidate it evaluated, with its score, and the best.
 *
 * <pre>{@code
 * RandomSearchResult<Predict> r = search.search(student, trainset, valset).block();
 * r.candidates().forEach(c -> System.out.println(c.seed() + ": " + c.score()));
 * Predict best = r.best();
 * }</pre>
 *
 * @param best       the first candidate with the highest score
 * @param bestScore  its score (percent)
 * @param candidates every evaluated candidate, in evaluation order (seeds -3, -2, -1, 0, 1, ...)
 * @param <P>        the program type
 */
public record RandomSearchResult<P extends Program>(P best, double bestScore, List<Candidate<P>> candidates) {

    /**
     * One evaluated candidate.
     *
     * @param seed       DSPy's candidate seed: -3 zero-shot, -2 labeled demos only, -1 unshuffled bootstrap,
     *                   0 and up a shuffled bootstrap of random size
     * @param program    the candidate program
     * @param score      its {@link EvaluationResult#score()} on the validation set (percent)
     * @param evaluation the full evaluation
     * @param <P>        the program type
     */
    public record Candidate<P extends Program>(int seed, P program, double score, EvaluationResult evaluation) {
    }

    /** @throws IllegalArgumentException when a component is null or there is no candidate */
    public RandomSearchResult {
        if (best == null || candidates == null || candidates.isEmpty()) {
            throw new IllegalArgumentException("a random search result needs a best program and candidates");
        }
        candidates = List.copyOf(candidates);
    }

    /** @return the candidates by decreasing score, ties in evaluation order (DSPy's {@code candidate_programs}) */
    public List<Candidate<P>> candidatesByScore() {
        List<Candidate<P>> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparingDouble((Candidate<P> c) -> c.score()).reversed());
        return sorted;
    }
}

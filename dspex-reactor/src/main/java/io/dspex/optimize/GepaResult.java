package io.dspex.optimize;

import io.dspex.Program;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a {@link Gepa} run found (DSPy's {@code DspyGEPAResult}, the program's {@code detailed_results}). The best
 * program and the budget figures are always there; the candidates, their per-instance validation scores, the
 * Pareto frontier and the lineage are kept when the optimizer was built with {@code trackStats(true)}, and are
 * empty lists otherwise.
 *
 * <pre>{@code
 * GepaResult<Predict> r = gepa.optimize(student, trainset).block();
 * System.out.println(r.bestScore() + " after " + r.totalMetricCalls() + " of " + r.budget() + " metric calls");
 * for (int i = 0; i < r.candidates().size(); i++) {
 *     System.out.println(i + " <- " + r.parents().get(i) + ": " + r.valAggregateScores().get(i));
 * }
 * }</pre>
 *
 * @param best                          the candidate with the highest average validation score (the first such)
 * @param bestIndex                     its index among the candidates (0 is the student)
 * @param bestScore                     its average validation score, as the metric scores (not percent)
 * @param totalMetricCalls              metric calls made: one per example a candidate ran on; never more than the
 *                                      budget
 * @param budget                        the budget in metric calls
 * @param numFullValEvals               how many candidates were scored on the whole validation set
 * @param repliesWithoutInstruction     reflection replies that held no instruction (skipped, as counted here)
 * @param candidates                    every accepted candidate, in discovery order, the student first
 * @param parents                       for each candidate, its parents' indexes (two for a merge; none for the
 *                                      student)
 * @param valAggregateScores            for each candidate, its average validation score
 * @param valSubscores                  for each candidate, its score on each validation instance
 * @param perValInstanceBestCandidates  the Pareto frontier: for each validation instance, the candidates with its
 *                                      best score
 * @param discoveryEvalCounts           for each candidate, the metric calls made before it was found
 * @param <P>                           the program type
 */
public record GepaResult<P extends Program>(P best, int bestIndex, double bestScore, int totalMetricCalls, int budget,
                                            int numFullValEvals, int repliesWithoutInstruction, List<P> candidates,
                                            List<List<Integer>> parents, List<Double> valAggregateScores,
                                            List<List<Double>> valSubscores,
                                            List<Set<Integer>> perValInstanceBestCandidates,
                                            List<Integer> discoveryEvalCounts) {

    /**
     * Checks and copies the components.
     *
     * @throws IllegalArgumentException when a component is null
     */
    public GepaResult {
        if (best == null || candidates == null || parents == null || valAggregateScores == null
                || valSubscores == null || perValInstanceBestCandidates == null || discoveryEvalCounts == null) {
            throw new IllegalArgumentException("GEPA result components must not be null");
        }
        candidates = List.copyOf(candidates);
        List<List<Integer>> ps = new ArrayList<>(parents.size());
        parents.forEach(p -> ps.add(List.copyOf(p)));
        parents = List.copyOf(ps);
        valAggregateScores = List.copyOf(valAggregateScores);
        List<List<Double>> vs = new ArrayList<>(valSubscores.size());
        valSubscores.forEach(s -> vs.add(List.copyOf(s)));
        valSubscores = List.copyOf(vs);
        List<Set<Integer>> fs = new ArrayList<>(perValInstanceBestCandidates.size());
        perValInstanceBestCandidates.forEach(f -> fs.add(Collections.unmodifiableSet(new TreeSet<>(f))));
        perValInstanceBestCandidates = List.copyOf(fs);
        discoveryEvalCounts = List.copyOf(discoveryEvalCounts);
    }

    /** @return whether the candidates, scores, frontier and lineage were kept ({@code trackStats}) */
    public boolean hasStats() {
        return !candidates.isEmpty();
    }
}

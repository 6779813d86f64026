package io.dspex.optimize;

import io.dspex.internal.PythonRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import org.jspecify.annotations.Nullable;

/**
 * GEPA's merge (system-aware crossover, gepa 0.1.4's {@code proposer/merge.py}): two candidates on the Pareto
 * frontier that descend from a common ancestor, each having changed different predictors, are combined: every
 * predictor takes the text that moved away from the ancestor. Holds the merges tried so far, so none repeats.
 *
 * <p>gepa walks the predictor names as a Python {@code set} of strings, whose order changes with the process's
 * hash seed; here they go in the program's predictor order. It only matters for the rare predictor both parents
 * changed with equal scores, where a coin is flipped.
 */
final class GepaMerge {

    /** A merged candidate and where it came from. */
    record Attempt(Map<String, String> program, int id1, int id2, int ancestor) {
    }

    private record Triplet(int id1, int id2, int ancestor) {
    }

    private record Description(int id1, int id2, List<Integer> sources) {
    }

    private static final int MAX_ATTEMPTS = 10;

    private final Set<Triplet> performed = new HashSet<>();
    private final Set<Description> described = new HashSet<>();

    /** Records a merge that was evaluated (gepa's {@code merges_performed[0]}). */
    void performed(Attempt a) {
        performed.add(new Triplet(a.id1(), a.id2(), a.ancestor()));
    }

    /**
     * gepa's {@code sample_and_attempt_merge_programs_by_common_predictors}.
     *
     * @param scores      each candidate's aggregate validation score
     * @param candidates  each candidate's texts, by predictor
     * @param parents     each candidate's parents (the seed's is a single null)
     * @param mergeable   the frontier's dominators, ascending
     * @param overlap     whether two candidates share enough validation instances
     */
    @Nullable Attempt attempt(List<Double> scores, PythonRandom rng, List<Integer> mergeable,
                              List<Map<String, String>> candidates, List<List<@Nullable Integer>> parents,
                              BiPredicate<Integer, Integer> overlap) {
        if (mergeable.size() < 2 || parents.size() < 3) {
            return null;
        }
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Triplet t = commonAncestorPair(rng, parents, mergeable, scores, candidates);
            if (t == null || performed.contains(t)) {
                continue;
            }
            Map<String, String> anc = candidates.get(t.ancestor());
            Map<String, String> one = candidates.get(t.id1());
            Map<String, String> two = candidates.get(t.id2());
            Map<String, String> merged = new LinkedHashMap<>(anc);
            List<Integer> sources = new ArrayList<>();
            for (String name : anc.keySet()) {
                String a = anc.get(name);
                String p1 = one.get(name);
                String p2 = two.get(name);
                int from;
                if ((a.equals(p1) || a.equals(p2)) && !p1.equals(p2)) {
                    from = a.equals(p1) ? t.id2() : t.id1();
                } else if (!a.equals(p1) && !a.equals(p2)) {
                    double s1 = scores.get(t.id1());
                    double s2 = scores.get(t.id2());
                    from = s1 > s2 ? t.id1() : s2 > s1 ? t.id2() : rng.choice(List.of(t.id1(), t.id2()));
                } else {
                    from = t.id1();
                }
                merged.put(name, candidates.get(from).get(name));
                sources.add(from);
            }
            Description d = new Description(t.id1(), t.id2(), List.copyOf(sources));
            if (described.contains(d) || !overlap.test(t.id1(), t.id2())) {
                continue;
            }
            described.add(d);
            return new Attempt(merged, t.id1(), t.id2(), t.ancestor());
        }
        return null;
    }

    private @Nullable Triplet commonAncestorPair(PythonRandom rng, List<List<@Nullable Integer>> parents,
                                                 List<Integer> mergeable, List<Double> scores,
                                                 List<Map<String, String>> candidates) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            if (mergeable.size() < 2) {
                return null;
            }
            List<Integer> pair = rng.sample(mergeable, 2);
            int i = pair.get(0);
            int j = pair.get(1);
            if (i == j) {
                continue;
            }
            if (j < i) {
                int x = i;
                i = j;
                j = x;
            }
            Set<Integer> ai = ancestors(i, parents);
            Set<Integer> aj = ancestors(j, parents);
            if (ai.contains(j) || aj.contains(i)) {
                continue;
            }
            TreeSet<Integer> common = new TreeSet<>(ai);
            common.retainAll(aj);
            List<Integer> kept = new ArrayList<>();
            for (int anc : common) {
                if (performed.contains(new Triplet(i, j, anc))) {
                    continue;
                }
                if (scores.get(anc) > scores.get(i) || scores.get(anc) > scores.get(j)) {
                    continue;
                }
                if (!desirable(candidates, anc, i, j)) {
                    continue;
                }
                kept.add(anc);
            }
            if (!kept.isEmpty()) {
                double[] weights = new double[kept.size()];
                for (int k = 0; k < weights.length; k++) {
                    weights[k] = scores.get(kept.get(k));
                }
                return new Triplet(i, j, Draws.weighted(rng, kept, weights));
            }
        }
        return null;
    }

    private static Set<Integer> ancestors(int node, List<List<@Nullable Integer>> parents) {
        Set<Integer> found = new HashSet<>();
        List<Integer> todo = new ArrayList<>();
        todo.add(node);
        while (!todo.isEmpty()) {
            int n = todo.remove(todo.size() - 1);
            for (Integer p : parents.get(n)) {
                if (p != null && found.add(p)) {
                    todo.add(p);
                }
            }
        }
        return found;
    }

    private static boolean desirable(List<Map<String, String>> candidates, int anc, int id1, int id2) {
        Map<String, String> a = candidates.get(anc);
        for (String name : a.keySet()) {
            String pa = a.get(name);
            String p1 = candidates.get(id1).get(name);
            String p2 = candidates.get(id2).get(name);
            if ((pa.equals(p1) || pa.equals(p2)) && !p1.equals(p2)) {
                return true;
            }
        }
        return false;
    }

    /**
     * gepa's {@code select_eval_subsample_for_merged_program}: up to {@code n} shared validation instances, drawn
     * evenly from those where the first parent is better, the second is better, and they tie.
     */
    static List<Integer> subsample(double[] scores1, double[] scores2, PythonRandom rng, int n) {
        List<Integer> common = new ArrayList<>();
        for (int i = 0; i < Math.min(scores1.length, scores2.length); i++) {
            common.add(i);
        }
        List<Integer> p1 = new ArrayList<>();
        List<Integer> p2 = new ArrayList<>();
        List<Integer> p3 = new ArrayList<>();
        for (int id : common) {
            if (scores1[id] > scores2[id]) {
                p1.add(id);
            } else if (scores2[id] > scores1[id]) {
                p2.add(id);
            } else {
                p3.add(id);
            }
        }
        int each = Math.max(1, (int) Math.ceil(n / 3.0));
        List<Integer> selected = new ArrayList<>();
        for (List<Integer> bucket : List.of(p1, p2, p3)) {
            if (selected.size() >= n) {
                break;
            }
            List<Integer> available = new ArrayList<>(bucket);
            available.removeAll(selected);
            int take = Math.min(Math.min(available.size(), each), n - selected.size());
            if (take > 0) {
                selected.addAll(rng.sample(available, take));
            }
        }
        int remaining = n - selected.size();
        if (remaining > 0) {
            List<Integer> unused = new ArrayList<>(common);
            unused.removeAll(selected);
            if (unused.size() >= remaining) {
                selected.addAll(rng.sample(unused, remaining));
            } else if (!common.isEmpty()) {
                for (int k = 0; k < remaining; k++) {
                    selected.add(Draws.uniform(rng, common));
                }
            }
        }
        return selected.size() > n ? selected.subList(0, n) : selected;
    }
}

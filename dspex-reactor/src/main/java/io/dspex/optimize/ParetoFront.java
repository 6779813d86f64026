package io.dspex.optimize;

import io.dspex.internal.PythonRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * GEPA's Pareto frontier over validation instances ({@code gepa.gepa_utils} of gepa 0.1.4): for each instance the
 * candidates with its best score; a candidate is dominated when, on every instance where it is best, another
 * surviving candidate is best too. Selection samples a surviving candidate with probability proportional to the
 * number of instances it is best on.
 *
 * <p>gepa keeps each instance's best candidates in a Python {@code set} and walks it in CPython's slot order, which
 * for the small non-negative integers a run produces is ascending; here the sets are sorted, so the sampling list,
 * and with it what a seed picks, is gepa's as long as that holds (candidate indexes below the set's table size).
 */
final class ParetoFront {

    private ParetoFront() {
    }

    /** gepa's {@code remove_dominated_programs}: each front keeps only the candidates no others dominate. */
    static List<SortedSet<Integer>> removeDominated(List<SortedSet<Integer>> fronts, List<Double> scores) {
        Map<Integer, Integer> freq = new LinkedHashMap<>();
        for (SortedSet<Integer> front : fronts) {
            for (int p : front) {
                freq.merge(p, 1, Integer::sum);
            }
        }
        List<Integer> programs = new ArrayList<>(freq.keySet());
        programs.sort(Comparator.comparingDouble(scores::get)); // stable, ascending, as Python's sorted
        Set<Integer> dominated = new HashSet<>();
        boolean found = true;
        while (found) {
            found = false;
            for (int y : programs) {
                if (dominated.contains(y)) {
                    continue;
                }
                Set<Integer> others = new HashSet<>(programs);
                others.remove(y);
                others.removeAll(dominated);
                if (isDominated(y, others, fronts)) {
                    dominated.add(y);
                    found = true;
                    break;
                }
            }
        }
        List<SortedSet<Integer>> out = new ArrayList<>(fronts.size());
        for (SortedSet<Integer> front : fronts) {
            SortedSet<Integer> kept = new TreeSet<>();
            for (int p : front) {
                if (!dominated.contains(p)) {
                    kept.add(p);
                }
            }
            out.add(kept);
        }
        return out;
    }

    private static boolean isDominated(int y, Set<Integer> others, List<SortedSet<Integer>> fronts) {
        for (SortedSet<Integer> front : fronts) {
            if (!front.contains(y)) {
                continue;
            }
            boolean dominatorHere = false;
            for (int p : front) {
                if (others.contains(p)) {
                    dominatorHere = true;
                    break;
                }
            }
            if (!dominatorHere) {
                return false;
            }
        }
        return true;
    }

    /** gepa's {@code select_program_candidate_from_pareto_front}: one {@code rng.choice} over the sampling list. */
    static int select(List<SortedSet<Integer>> fronts, List<Double> scores, PythonRandom rng) {
        List<Integer> sampling = new ArrayList<>();
        Map<Integer, Integer> freq = new LinkedHashMap<>();
        for (SortedSet<Integer> front : removeDominated(fronts, scores)) {
            for (int p : front) {
                freq.merge(p, 1, Integer::sum);
            }
        }
        freq.forEach((p, n) -> {
            for (int i = 0; i < n; i++) {
                sampling.add(p);
            }
        });
        if (sampling.isEmpty()) {
            throw new IllegalStateException("the Pareto frontier is empty; this is a bug in GEPA's state");
        }
        return rng.choice(sampling);
    }

    /** gepa's {@code find_dominator_programs}: the candidates that survive, ascending. */
    static List<Integer> dominators(List<SortedSet<Integer>> fronts, List<Double> scores) {
        SortedSet<Integer> all = new TreeSet<>();
        for (SortedSet<Integer> front : removeDominated(fronts, scores)) {
            all.addAll(front);
        }
        return new ArrayList<>(all);
    }
}

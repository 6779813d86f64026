package io.dspex.optimize;

import io.dspex.internal.PythonRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Tree-structured Parzen Estimator over categorical parameters: Optuna's {@code TPESampler(seed=seed,
 * multivariate=True)} (Optuna 4.6) with its defaults, as {@code MIPROv2} uses it, written for the JVM (no TPE
 * library fits). Maximizes.
 *
 * <ol>
 *   <li><b>Startup.</b> While fewer than {@value #N_STARTUP_TRIALS} trials have finished, every parameter is drawn
 *       at random: Optuna's {@code RandomSampler} draws one {@code uniform(0, 1)} per choice (the one-hot
 *       encoding of a categorical) and takes the first largest.</li>
 *   <li><b>Split.</b> Afterwards the finished trials are sorted by value, best first (ties keep trial order); the
 *       first {@code gamma(n) = min(ceil(0.1 n), 25)} are "below" (good), the rest "above".</li>
 *   <li><b>Parzen estimators.</b> Each group becomes a mixture with one kernel per trial (weight 1, or a ramp from
 *       {@code 1/n} up to 1 for the older trials when a group has more than 25) plus a prior kernel of weight
 *       {@value #PRIOR_WEIGHT}; a trial's kernel puts {@code prior/(n+1)} on every choice and 1 more on the choice
 *       it took, normalized; the prior kernel is uniform. With multivariate TPE one kernel covers all parameters
 *       jointly.</li>
 *   <li><b>Expected improvement.</b> {@value #N_EI_CANDIDATES} candidates are drawn from the "below" mixture; the
 *       one with the highest {@code log l(x) - log g(x)} wins.</li>
 * </ol>
 *
 * <p>Parameters with a single choice take it without drawing anything, as in Optuna. Random numbers come from two
 * generators seeded like numpy's {@code RandomState(seed)} (one for the random startup, one for the estimators), drawn
 * in Optuna's order, so for the same seed and the same trial values the choices are Optuna's; floating-point rounding
 * of {@code log}/ {@code exp} in near-ties is the only place they could part. Deterministic for a seed in any case.
 * Not thread-safe: one trial at a time.
 */
final class TpeSampler {

    static final int N_STARTUP_TRIALS = 10;
    static final int N_EI_CANDIDATES = 24;
    static final double PRIOR_WEIGHT = 1.0;

    /** Parameter name to number of choices, in the order a trial suggests them. */
    private final LinkedHashMap<String, Integer> space;
    private final PythonRandom randomSampler;
    private final PythonRandom tpeRandom;
    /** Finished trials, by number. */
    private final List<Trial> finished = new ArrayList<>();
    private int nextNumber;

    /**
     * One finished trial.
     *
     * @param number its number in the study (asked and added trials share the numbering)
     * @param params parameter name to chosen index
     * @param value  its score
     */
    record Trial(int number, Map<String, Integer> params, double value) {
    }

    /**
     * One trial being run.
     *
     * @param number its number
     * @param params its parameters, in the space's order
     */
    record Ask(int number, Map<String, Integer> params) {
    }

    /**
     * @param space parameter name to number of choices (at least 1), in the order trials suggest them
     * @param seed  the seed (0 to 2<sup>32</sup> - 1, as numpy's)
     */
    TpeSampler(Map<String, Integer> space, long seed) {
        if (space.isEmpty()) {
            throw new IllegalArgumentException("a TPE search space needs at least one parameter");
        }
        space.forEach((name, n) -> {
            if (n < 1) {
                throw new IllegalArgumentException("parameter '" + name + "' needs at least one choice, got " + n);
            }
        });
        this.space = new LinkedHashMap<>(space);
        this.randomSampler = PythonRandom.numpyRandomState(seed);
        this.tpeRandom = PythonRandom.numpyRandomState(seed);
    }

    /** @return the finished trials, by number */
    List<Trial> trials() {
        return List.copyOf(finished);
    }

    /**
     * Adds a trial finished elsewhere (Optuna's {@code study.add_trial}); it takes the next number.
     *
     * @param params a choice for every parameter
     * @param value  its score
     */
    void add(Map<String, Integer> params, double value) {
        finish(nextNumber++, params, value);
    }

    /** @return the next trial's number and parameters */
    Ask ask() {
        int number = nextNumber++;
        List<Trial> done = trials();
        Map<String, Integer> relative = Map.of();
        if (!done.isEmpty() && done.size() >= N_STARTUP_TRIALS) {
            // Optuna's IntersectionSearchSpace: sorted by name, single-choice parameters left out.
            TreeMap<String, Integer> joint = new TreeMap<>();
            space.forEach((name, n) -> {
                if (n > 1) {
                    joint.put(name, n);
                }
            });
            if (!joint.isEmpty()) {
                relative = sample(done, joint);
            }
        }
        Map<String, Integer> params = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : space.entrySet()) {
            Integer chosen = e.getValue() == 1 ? Integer.valueOf(0) : relative.get(e.getKey());
            if (chosen == null) {
                chosen = done.size() < N_STARTUP_TRIALS ? randomChoice(e.getValue())
                        : sample(done, new TreeMap<>(Map.of(e.getKey(), e.getValue()))).get(e.getKey());
            }
            params.put(e.getKey(), chosen);
        }
        return new Ask(number, params);
    }

    /**
     * Finishes an asked trial.
     *
     * @param ask   the trial
     * @param value its score
     */
    void tell(Ask ask, double value) {
        finish(ask.number(), ask.params(), value);
    }

    private void finish(int number, Map<String, Integer> params, double value) {
        for (Map.Entry<String, Integer> e : space.entrySet()) {
            Integer v = params.get(e.getKey());
            if (v == null || v < 0 || v >= e.getValue()) {
                throw new IllegalArgumentException("trial " + number + " has no valid choice for '" + e.getKey()
                        + "': " + v);
            }
        }
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("trial " + number + " has a value that is not finite: " + value);
        }
        int at = finished.size();
        while (at > 0 && finished.get(at - 1).number() > number) {
            at--;
        }
        finished.add(at, new Trial(number, Map.copyOf(params), value));
    }

    /** Optuna's RandomSampler on a categorical: a uniform per choice, the first largest wins. */
    private int randomChoice(int choices) {
        int best = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < choices; i++) {
            double u = randomSampler.random();
            if (u > max) {
                max = u;
                best = i;
            }
        }
        return best;
    }

    /** The TPE step over {@code joint} (sorted by name): the candidate with the best l(x)/g(x). */
    private Map<String, Integer> sample(List<Trial> done, TreeMap<String, Integer> joint) {
        int n = done.size();
        int nBelow = Math.min(Math.min((int) Math.ceil(0.1 * n), 25), n);
        List<Trial> sorted = new ArrayList<>(done);
        sorted.sort(Comparator.comparingDouble(Trial::value).reversed()); // stable: ties keep trial order
        List<Trial> below = new ArrayList<>(sorted.subList(0, nBelow));
        List<Trial> above = new ArrayList<>(sorted.subList(nBelow, n));
        below.sort(Comparator.comparingInt(Trial::number));
        above.sort(Comparator.comparingInt(Trial::number));
        List<String> names = new ArrayList<>(joint.keySet());
        Estimator l = new Estimator(below, names, joint);
        Estimator g = new Estimator(above, names, joint);

        int[][] candidates = l.sample(tpeRandom, N_EI_CANDIDATES);
        int best = 0;
        double bestValue = Double.NaN;
        for (int s = 0; s < candidates.length; s++) {
            double acquisition = l.logPdf(candidates[s]) - g.logPdf(candidates[s]);
            if (s == 0 || acquisition > bestValue || (Double.isNaN(bestValue) && !Double.isNaN(acquisition))) {
                best = s;
                bestValue = acquisition;
            }
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int p = 0; p < names.size(); p++) {
            out.put(names.get(p), candidates[best][p]);
        }
        return out;
    }

    /** A mixture of product categorical distributions: Optuna's {@code _ParzenEstimator} for categoricals. */
    static final class Estimator {
        final double[] weights;
        /** [parameter][kernel][choice] probabilities. */
        final double[][][] kernels;

        Estimator(List<Trial> observations, List<String> names, Map<String, Integer> space) {
            int nObs = observations.size();
            if (nObs == 0) {
                weights = new double[] {1.0};
            } else {
                double[] w = defaultWeights(nObs);
                weights = new double[nObs + 1];
                System.arraycopy(w, 0, weights, 0, nObs);
                weights[nObs] = PRIOR_WEIGHT;
            }
            double total = pairwiseSum(weights, 0, weights.length);
            for (int k = 0; k < weights.length; k++) {
                weights[k] /= total;
            }
            kernels = new double[names.size()][][];
            for (int p = 0; p < names.size(); p++) {
                int choices = space.get(names.get(p));
                if (nObs == 0) {
                    double[] uniform = new double[choices];
                    Arrays.fill(uniform, 1.0 / choices);
                    kernels[p] = new double[][] {uniform};
                    continue;
                }
                int nKernels = nObs + 1;
                double[][] rows = new double[nKernels][choices];
                for (double[] row : rows) {
                    Arrays.fill(row, PRIOR_WEIGHT / nKernels);
                }
                for (int i = 0; i < nObs; i++) {
                    rows[i][observations.get(i).params().get(names.get(p))] += 1;
                }
                for (double[] row : rows) {
                    double sum = pairwiseSum(row, 0, row.length);
                    double divisor = sum == 0 ? 1 : sum;
                    for (int c = 0; c < choices; c++) {
                        row[c] /= divisor;
                    }
                }
                kernels[p] = rows;
            }
        }

        /** numpy's {@code rng.choice(len(w), p=w, size)}, then one {@code rng.rand(size)} per parameter. */
        int[][] sample(PythonRandom rng, int size) {
            double[] cdf = new double[weights.length];
            double acc = 0;
            for (int k = 0; k < weights.length; k++) {
                acc += weights[k];
                cdf[k] = acc;
            }
            double last = cdf[cdf.length - 1];
            for (int k = 0; k < cdf.length; k++) {
                cdf[k] /= last;
            }
            int[] active = new int[size];
            for (int s = 0; s < size; s++) {
                double u = rng.random();
                int idx = 0;
                while (idx < cdf.length && cdf[idx] <= u) {
                    idx++;
                }
                active[s] = idx;
            }
            int[][] out = new int[size][kernels.length];
            for (int p = 0; p < kernels.length; p++) {
                double[] q = new double[size];
                for (int s = 0; s < size; s++) {
                    q[s] = rng.random();
                }
                for (int s = 0; s < size; s++) {
                    double[] row = kernels[p][active[s]];
                    double cum = 0;
                    int count = 0;
                    for (int c = 0; c < row.length; c++) {
                        cum = c == row.length - 1 ? 1 : cum + row[c];
                        if (cum < q[s]) {
                            count++;
                        }
                    }
                    out[s][p] = count;
                }
            }
            return out;
        }

        /** The mixture's log density at one point (log-sum-exp over kernels, as numpy computes it). */
        double logPdf(int[] x) {
            int nKernels = weights.length;
            double[] terms = new double[nKernels];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < nKernels; k++) {
                double v = 0;
                for (int p = 0; p < kernels.length; p++) {
                    v += Math.log(kernels[p][k][x[p]]);
                }
                v += Math.log(weights[k]);
                terms[k] = v;
                if (v > max) {
                    max = v;
                }
            }
            if (max == Double.NEGATIVE_INFINITY) {
                max = 0;
            }
            for (int k = 0; k < nKernels; k++) {
                terms[k] = Math.exp(terms[k] - max);
            }
            return Math.log(pairwiseSum(terms, 0, nKernels)) + max;
        }
    }

    /** Optuna's {@code default_weights(n)}: ones, with a linear ramp from {@code 1/n} for the oldest beyond 25. */
    static double[] defaultWeights(int n) {
        double[] w = new double[n];
        if (n < 25) {
            Arrays.fill(w, 1.0);
            return w;
        }
        int num = n - 25;
        double start = 1.0 / n;
        if (num == 1) {
            w[0] = start;
        } else if (num > 1) {
            double step = (1.0 - start) / (num - 1);
            for (int i = 0; i < num; i++) {
                w[i] = i * step + start;
            }
            w[num - 1] = 1.0;
        }
        for (int i = num; i < n; i++) {
            w[i] = 1.0;
        }
        return w;
    }

    /** numpy's pairwise summation of doubles (8 accumulators up to 128 values, halves above). */
    static double pairwiseSum(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.;
            for (int i = 0; i < n; i++) {
                res += a[from + i];
            }
            return res;
        }
        if (n <= 128) {
            double[] r = new double[8];
            System.arraycopy(a, from, r, 0, 8);
            int i = 8;
            for (; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) {
                    r[j] += a[from + i + j];
                }
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) {
                res += a[from + i];
            }
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return pairwiseSum(a, from, n2) + pairwiseSum(a, from + n2, n - n2);
    }
}

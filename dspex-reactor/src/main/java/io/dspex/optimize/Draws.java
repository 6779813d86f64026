package io.dspex.optimize;

import io.dspex.internal.PythonRandom;
import java.util.List;

/** CPython's {@code random.choices}, on {@link PythonRandom}, for the optimizers that draw with weights. */
final class Draws {

    private Draws() {
    }

    /**
     * {@code rng.choices(population, weights=weights, k=1)[0]}: bisects the running sums of the weights with one
     * {@code random()} draw. Where CPython raises because the weights sum to zero or less, this draws uniformly
     * instead ({@link #uniform}), so an optimizer whose candidates all score 0 goes on.
     */
    static <T> T weighted(PythonRandom rng, List<T> population, double[] weights) {
        int n = population.size();
        if (n == 0 || weights.length != n) {
            throw new IllegalArgumentException("choices needs one weight per element, got " + weights.length
                    + " weights for " + n + " elements");
        }
        double[] cum = new double[n];
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += weights[i];
            cum[i] = acc;
        }
        double total = cum[n - 1];
        if (!(total > 0.0) || Double.isInfinite(total)) {
            return uniform(rng, population);
        }
        double x = rng.random() * total;
        // bisect_right(cum, x, 0, n - 1)
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x < cum[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return population.get(lo);
    }

    /** {@code rng.choices(population, k=1)[0]} without weights: {@code population[floor(random() * n)]}. */
    static <T> T uniform(PythonRandom rng, List<T> population) {
        if (population.isEmpty()) {
            throw new IllegalArgumentException("cannot choose from an empty population");
        }
        return population.get((int) Math.floor(rng.random() * population.size()));
    }
}

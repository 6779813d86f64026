package io.dspex.internal;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * CPython's {@code random.Random} (3.11): the MT19937 generator seeded from an integer exactly as CPython seeds it,
 * with {@code random()}, {@code getrandbits}, {@code _randbelow}, {@code randint}, {@code choice}, {@code shuffle}
 * and {@code sample} drawing the same numbers in the same order. With it, DSPy's seeded choices ({@code
 * random.Random(0).sample(...)}) come out identical in Java. Not thread-safe; not for users.
 *
 * <pre>{@code
 * new PythonRandom(0).sample(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 3); // [6, 9, 0], as in Python
 * }</pre>
 */
public final class PythonRandom {

    private static final int N = 624;
    private static final int M = 397;

    private final int[] mt = new int[N];
    private int index;

    /**
     * Seeds as {@code random.Random(seed)} does for an {@code int} seed (its absolute value, split into 32-bit
     * words, through {@code init_by_array}).
     *
     * @param seed the seed
     */
    public PythonRandom(long seed) {
        BigInteger a = BigInteger.valueOf(seed).abs();
        int words = Math.max(1, (a.bitLength() + 31) / 32);
        int[] key = new int[words];
        for (int i = 0; i < words; i++) {
            key[i] = a.shiftRight(32 * i).intValue();
        }
        initByArray(key);
    }

    private PythonRandom() {
    }

    /**
     * The generator of numpy's legacy {@code numpy.random.RandomState(seed)} for an integer seed, which seeds the
     * same MT19937 with {@code init_genrand(seed)} instead of Python's {@code init_by_array}; {@link #random()} is
     * then numpy's {@code random_sample()} ({@code rand()}, {@code uniform(0, 1)}) draw for draw. Optuna's samplers
     * draw from such a generator.
     *
     * @param seed the seed, 0 to 2<sup>32</sup> - 1 (numpy's range)
     * @return the generator
     * @throws IllegalArgumentException when the seed is outside numpy's range
     */
    public static PythonRandom numpyRandomState(long seed) {
        if (seed < 0 || seed > 0xffffffffL) {
            throw new IllegalArgumentException("numpy seeds must be between 0 and 2**32 - 1, got " + seed);
        }
        PythonRandom r = new PythonRandom();
        r.initGenrand((int) seed);
        return r;
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    private void initByArray(int[] key) {
        initGenrand(19650218);
        int i = 1;
        int j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
            i++;
            j++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if (j >= key.length) {
                j = 0;
            }
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
            i++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x80000000;
    }

    private int nextInt32() {
        if (index >= N) {
            int kk = 0;
            for (; kk < N - M; kk++) {
                int y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
                mt[kk] = mt[kk + M] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            for (; kk < N - 1; kk++) {
                int y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
                mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            int y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff);
            mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            index = 0;
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** @return {@code random()}: a double in [0, 1) with 53 random bits */
    public double random() {
        long a = (nextInt32() & 0xffffffffL) >>> 5;
        long b = (nextInt32() & 0xffffffffL) >>> 6;
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
    }

    /**
     * @param k the number of bits, 0 to 63
     * @return {@code getrandbits(k)}
     * @throws IllegalArgumentException when {@code k} is out of range
     */
    public long getrandbits(int k) {
        if (k < 0 || k > 63) {
            throw new IllegalArgumentException("getrandbits supports 0 to 63 bits here, got " + k);
        }
        if (k <= 32) {
            return k == 0 ? 0 : (nextInt32() & 0xffffffffL) >>> (32 - k);
        }
        long low = nextInt32() & 0xffffffffL;
        long high = (nextInt32() & 0xffffffffL) >>> (64 - k);
        return (high << 32) | low;
    }

    /**
     * @param n the exclusive bound, positive
     * @return {@code _randbelow(n)}: an int in [0, n), by rejection sampling on {@code n.bit_length()} bits
     * @throws IllegalArgumentException when {@code n <= 0}
     */
    public long randbelow(long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("randbelow needs a positive bound, got " + n);
        }
        int k = 64 - Long.numberOfLeadingZeros(n);
        long r = getrandbits(k);
        while (r >= n) {
            r = getrandbits(k);
        }
        return r;
    }

    /**
     * @param a the least value
     * @param b the greatest value, at least {@code a}
     * @return {@code randint(a, b)}
     * @throws IllegalArgumentException when {@code b < a}
     */
    public long randint(long a, long b) {
        if (b < a) {
            throw new IllegalArgumentException("empty range for randint(" + a + ", " + b + ")");
        }
        return a + randbelow(b - a + 1);
    }

    /**
     * @param seq a non-empty list
     * @param <T> the element type
     * @return {@code choice(seq)}
     * @throws IllegalArgumentException when the list is empty
     */
    public <T> T choice(List<T> seq) {
        if (seq.isEmpty()) {
            throw new IllegalArgumentException("cannot choose from an empty sequence");
        }
        return seq.get((int) randbelow(seq.size()));
    }

    /**
     * Shuffles in place as {@code shuffle(x)} does (Fisher-Yates from the end).
     *
     * @param x the list to shuffle
     */
    public void shuffle(List<?> x) {
        for (int i = x.size() - 1; i >= 1; i--) {
            int j = (int) randbelow(i + 1);
            Collections.swap(x, i, j);
        }
    }

    /**
     * {@code sample(population, k)}: k distinct elements in selection order, with CPython's choice between a
     * pool and a set of selected indexes.
     *
     * @param population the population (not changed)
     * @param k          how many, 0 to its size
     * @param <T>        the element type
     * @return a new list of the chosen elements
     * @throws IllegalArgumentException when {@code k} is negative or larger than the population
     */
    public <T> List<T> sample(List<T> population, int k) {
        int n = population.size();
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("sample larger than population or is negative: k=" + k + ", n=" + n);
        }
        List<T> result = new ArrayList<>(k);
        int setsize = 21;
        if (k > 5) {
            setsize += (int) Math.pow(4, Math.ceil(Math.log(k * 3.0) / Math.log(4)));
        }
        if (n <= setsize) {
            List<T> pool = new ArrayList<>(population);
            for (int i = 0; i < k; i++) {
                int j = (int) randbelow(n - i);
                result.add(pool.get(j));
                pool.set(j, pool.get(n - i - 1));
            }
        } else {
            Set<Integer> selected = new HashSet<>();
            for (int i = 0; i < k; i++) {
                int j = (int) randbelow(n);
                while (selected.contains(j)) {
                    j = (int) randbelow(n);
                }
                selected.add(j);
                result.add(population.get(j));
            }
        }
        return result;
    }
}

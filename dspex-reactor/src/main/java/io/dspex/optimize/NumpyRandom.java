package io.dspex.optimize;

/**
 * The part of NumPy's random generator SIMBA uses: {@code numpy.random.default_rng(seed).poisson(lam)}, bit for
 * bit. That is a PCG64 generator (the XSL-RR output of a 128-bit LCG) seeded through {@code SeedSequence}, with
 * NumPy's Poisson sampler: multiplication of uniforms below 10, Hörmann's PTRS rejection from 10 on.
 */
final class NumpyRandom {

    private static final int INIT_A = 0x43b0d7e5;
    private static final int MULT_A = 0x931e8875;
    private static final int INIT_B = 0x8b51f9dd;
    private static final int MULT_B = 0x58f38ded;
    private static final int MIX_MULT_L = 0xca01f9dd;
    private static final int MIX_MULT_R = 0x4973f715;
    private static final long MULT_HI = 2549297995355413924L;
    private static final long MULT_LO = 4865540595714422341L;

    private long stateHi;
    private long stateLo;
    private final long incHi;
    private final long incLo;

    /** {@code numpy.random.default_rng(seed)} for a non-negative seed. */
    NumpyRandom(long seed) {
        if (seed < 0) {
            throw new IllegalArgumentException("NumPy seeds must be non-negative, got " + seed);
        }
        int[] entropy = seed == 0 ? new int[] {0}
                : (seed >>> 32) == 0 ? new int[] {(int) seed} : new int[] {(int) seed, (int) (seed >>> 32)};
        int[] pool = new int[4];
        int[] hash = {INIT_A};
        for (int i = 0; i < pool.length; i++) {
            pool[i] = hashmix(i < entropy.length ? entropy[i] : 0, hash);
        }
        for (int src = 0; src < pool.length; src++) {
            for (int dst = 0; dst < pool.length; dst++) {
                if (src != dst) {
                    pool[dst] = mix(pool[dst], hashmix(pool[src], hash));
                }
            }
        }
        for (int src = pool.length; src < entropy.length; src++) {
            for (int dst = 0; dst < pool.length; dst++) {
                pool[dst] = mix(pool[dst], hashmix(entropy[src], hash));
            }
        }
        // generate_state(4, uint64): eight 32-bit words, paired little-endian.
        long[] words = new long[4];
        int h = INIT_B;
        for (int i = 0; i < 8; i++) {
            int v = pool[i % pool.length];
            v ^= h;
            h *= MULT_B;
            v *= h;
            v ^= v >>> 16;
            words[i / 2] |= (v & 0xffffffffL) << (32 * (i % 2));
        }
        // pcg_setseq_128_srandom_r(state = words[0]:words[1], seq = words[2]:words[3])
        long seqHi = words[2];
        long seqLo = words[3];
        this.incHi = (seqHi << 1) | (seqLo >>> 63);
        this.incLo = (seqLo << 1) | 1L;
        stateHi = 0;
        stateLo = 0;
        step();
        long lo = stateLo + words[1];
        stateHi = stateHi + words[0] + (Long.compareUnsigned(lo, stateLo) < 0 ? 1 : 0);
        stateLo = lo;
        step();
    }

    private static int hashmix(int value, int[] hash) {
        value ^= hash[0];
        hash[0] *= MULT_A;
        value *= hash[0];
        value ^= value >>> 16;
        return value;
    }

    private static int mix(int x, int y) {
        int r = MIX_MULT_L * x - MIX_MULT_R * y;
        r ^= r >>> 16;
        return r;
    }

    private void step() {
        long lo = stateLo * MULT_LO;
        long hi = unsignedMultiplyHigh(stateLo, MULT_LO) + stateLo * MULT_HI + stateHi * MULT_LO;
        long sumLo = lo + incLo;
        stateHi = hi + incHi + (Long.compareUnsigned(sumLo, lo) < 0 ? 1 : 0);
        stateLo = sumLo;
    }

    private static long unsignedMultiplyHigh(long a, long b) {
        return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
    }

    /** PCG64's {@code next_uint64}: step, then XSL-RR. */
    long nextLong() {
        step();
        long x = stateHi ^ stateLo;
        int rot = (int) (stateHi >>> 58);
        return Long.rotateRight(x, rot);
    }

    /** {@code next_double}: 53 random bits in [0, 1). */
    double nextDouble() {
        return (nextLong() >>> 11) * (1.0 / 9007199254740992.0);
    }

    /** {@code Generator.poisson(lam)}. */
    long poisson(double lam) {
        if (!(lam >= 0) || Double.isInfinite(lam)) {
            throw new IllegalArgumentException("lam must be a finite number >= 0, got " + lam);
        }
        if (lam >= 10) {
            return poissonPtrs(lam);
        }
        if (lam == 0) {
            return 0;
        }
        double enlam = Math.exp(-lam);
        long x = 0;
        double prod = 1.0;
        while (true) {
            prod *= nextDouble();
            if (prod > enlam) {
                x++;
            } else {
                return x;
            }
        }
    }

    private long poissonPtrs(double lam) {
        double slam = Math.sqrt(lam);
        double loglam = Math.log(lam);
        double b = 0.931 + 2.53 * slam;
        double a = -0.059 + 0.02483 * b;
        double invalpha = 1.1239 + 1.1328 / (b - 3.4);
        double vr = 0.9277 - 3.6224 / (b - 2);
        while (true) {
            double u = nextDouble() - 0.5;
            double v = nextDouble();
            double us = 0.5 - Math.abs(u);
            long k = (long) Math.floor((2 * a / us + b) * u + lam + 0.43);
            if (us >= 0.07 && v <= vr) {
                return k;
            }
            if (k < 0 || (us < 0.013 && v > us)) {
                continue;
            }
            if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b)
                    <= -lam + k * loglam - loggam(k + 1)) {
                return k;
            }
        }
    }

    private static final double[] LOGGAM = {8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04,
        -5.952380952380952e-04, 8.417508417508418e-04, -1.917526917526918e-03, 6.410256410256410e-03,
        -2.955065359477124e-02, 1.796443723688307e-01, -1.39243221690590e+00};

    private static double loggam(double x) {
        if (x == 1.0 || x == 2.0) {
            return 0.0;
        }
        int n = x < 7.0 ? (int) (7 - x) : 0;
        double x0 = x + n;
        double x2 = (1.0 / x0) * (1.0 / x0);
        double gl0 = LOGGAM[9];
        for (int k = 8; k >= 0; k--) {
            gl0 *= x2;
            gl0 += LOGGAM[k];
        }
        double gl = gl0 / x0 + 0.5 * Math.log(2 * Math.PI) + (x0 - 0.5) * Math.log(x0) - x0;
        if (x < 7.0) {
            for (int k = 1; k <= n; k++) {
                gl -= Math.log(x0 - 1.0);
                x0 -= 1.0;
            }
        }
        return gl;
    }
}

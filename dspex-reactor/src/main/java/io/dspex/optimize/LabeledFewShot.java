package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.internal.PythonRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Gives every predictor k labeled training examples as demos (DSPy's {@code LabeledFewShot}). With sampling on
 * (the default), each predictor in turn gets {@code random.Random(seed).sample(trainset, min(k, n))} from one
 * generator, which under seed 0 is exactly DSPy's choice; without sampling, the first k examples.
 *
 * <pre>{@code
 * Predict fewShot = LabeledFewShot.builder().k(3).build().compile(Predict.of("question -> answer"), trainset).block();
 * }</pre>
 */
public final class LabeledFewShot implements Teleprompter {

    private final int k;
    private final boolean sample;
    private final long seed;

    private LabeledFewShot(int k, boolean sample, long seed) {
        this.k = k;
        this.sample = sample;
        this.seed = seed;
    }

    /** @return a builder: {@code k} 16, sampling under seed 0, as DSPy's {@code LabeledFewShot()} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the number of demos per predictor */
    public int k() {
        return k;
    }

    @Override
    public <P extends Program> Mono<P> compile(P student, List<Example> trainset) {
        Programs.requireArg(student, "student");
        List<Example> train = Programs.trainset(trainset, "trainset");
        return Mono.fromCallable(() -> compileNow(student, train));
    }

    /** The synchronous compilation (no I/O), for the other optimizers. */
    <P extends Program> P compileNow(P student, List<Example> train) {
        P reset = Programs.sameType(student, student.reset());
        if (train.isEmpty()) {
            return reset;
        }
        PythonRandom rng = new PythonRandom(seed);
        int n = Math.min(k, train.size());
        Map<String, Predictor> replaced = new LinkedHashMap<>();
        for (Map.Entry<String, Predictor> e : reset.namedPredictors().entrySet()) {
            List<Example> demos = sample ? rng.sample(train, n) : train.subList(0, n);
            replaced.put(e.getKey(), e.getValue().withDemos(demos));
        }
        return Programs.sameType(student, reset.withNamedPredictors(replaced));
    }

    @Override
    public String toString() {
        return "LabeledFewShot(k=" + k + (sample ? ", seed=" + seed : ", first k") + ")";
    }

    /**
     * Builds a {@link LabeledFewShot}.
     *
     * <pre>{@code
     * LabeledFewShot firstThree = LabeledFewShot.builder().k(3).sample(false).build();
     * }</pre>
     */
    public static final class Builder {
        private int k = 16;
        private boolean sample = true;
        private long seed;

        private Builder() {
        }

        /**
         * @param k the number of demos per predictor, at least 0 (default 16, DSPy's)
         * @return this builder
         * @throws IllegalArgumentException when {@code k < 0}
         */
        public Builder k(int k) {
            if (k < 0) {
                throw new IllegalArgumentException("k must be at least 0, got " + k);
            }
            this.k = k;
            return this;
        }

        /**
         * @param sample {@code true} (the default) to sample under the seed, {@code false} to take the first k
         * @return this builder
         */
        public Builder sample(boolean sample) {
            this.sample = sample;
            return this;
        }

        /**
         * @param seed the seed of the sample (default 0, which reproduces DSPy's choice)
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @return the optimizer */
        public LabeledFewShot build() {
            return new LabeledFewShot(k, sample, seed);
        }
    }
}

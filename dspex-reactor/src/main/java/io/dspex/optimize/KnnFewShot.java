package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Program;
import io.dspex.internal.PyFormat;
import io.dspex.retrieve.Embedder;
import io.dspex.retrieve.EmbeddingException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Picks demos per call from the nearest training examples (DSPy's {@code KNNFewShot}): for each call, the
 * {@code k} training examples most similar to the call's inputs (cosine similarity of embeddings) become the
 * training set of a {@link BootstrapFewShot} compile of the student, and the compiled program answers the call.
 * An example is embedded as DSPy renders it, {@code "key: value | key: value"} over its input keys in order
 * (values as Python's {@code str} prints them); the call's inputs likewise. The training set is embedded once per
 * compiled program, on its first call (concurrent first calls share that one embedding request; a failed request is
 * retried on the next call).
 *
 * <p>DSPy ranks by the dot product, which equals cosine similarity for the normalized vectors its usual
 * embedders return; here vectors are normalized first, so un-normalized embedders rank as by cosine too. Ties go
 * to the later training example, as numpy's {@code argsort()[-k:][::-1]} does on equal scores.
 *
 * <p>The compiled program is a copy of the student with the student's class and predictors (their demos cleared,
 * as DSPy's {@code reset_copy}), whose {@code forward} is replaced through {@link Module#withAround}: so the student
 * must be a {@link Module} ({@code Predict}, {@code ChainOfThought} or your own), not a lambda program.
 *
 * <pre>{@code
 * OpenAiCompatibleLm lm = ...;
 * KnnFewShot knn = KnnFewShot.builder().k(3).embedder(Embedder.of(lm))
 *         .bootstrap(BootstrapFewShot.builder().metric(Metrics.exactMatch("answer")).build()).build();
 * Predict qa = knn.compile(Predict.of("question -> answer"), trainset).block();
 * qa.forward(Map.of("question", "What is the capital of Belgium?")).block();
 * }</pre>
 */
public final class KnnFewShot implements Teleprompter {

    private final int k;
    private final Embedder embedder;
    private final BootstrapFewShot bootstrap;

    private KnnFewShot(Builder b) {
        this.k = b.k;
        this.embedder = Programs.requireArg(b.embedder, "embedder");
        this.bootstrap = b.bootstrap;
    }

    /** @return a builder: {@code k} 3, DSPy's default bootstrap settings with no metric (every teacher run counts) */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The student, answering each call through a bootstrap on the call's nearest examples of {@code trainset}. The
     * student is unchanged; the compiled program has its class.
     *
     * @param student  the program to compile per call: a {@link Module}
     * @param trainset the examples to search, input keys marked
     * @param <P>      the student's type
     * @return a {@code Mono} of the compiled copy
     * @throws IllegalArgumentException when an argument is null, a training example is null or has no input keys,
     *                                  or the student is not a {@code Module}
     */
    @Override
    @SuppressWarnings("unchecked")
    public <P extends Program> Mono<P> compile(P student, List<Example> trainset) {
        Programs.requireArg(student, "student");
        if (!(student instanceof Module)) {
            throw new IllegalArgumentException("KnnFewShot compiles a Module (Predict, ChainOfThought or your own), "
                    + "whose forward it replaces per call; got " + student.getClass().getName());
        }
        List<Example> train = List.copyOf(Programs.trainset(trainset, "trainset"));
        return Mono.fromCallable(() -> {
            List<String> texts = train.stream().map(e -> render(e.inputs().toMap())).toList();
            Mono<float[][]> vectors = Mono.defer(() -> embed(texts, "the training set"))
                    .map(vs -> vs.toArray(float[][]::new))
                    .cacheInvalidateIf(v -> false);
            Module.Around perCall = (inputs, self) -> {
                Map<String, Object> in = inputs.inputKeys().isEmpty() ? inputs.toMap() : inputs.inputs().toMap();
                return nearest(train, vectors, in)
                        .flatMap(near -> bootstrap.compile(student, near))
                        .flatMap(compiled -> compiled.forward(inputs));
            };
            return (P) ((Module) student.reset()).withAround(perCall);
        });
    }

    /**
     * @param trainset     the training examples
     * @param trainVectors their embeddings (cached)
     * @param inputs       a call's inputs
     * @return the k nearest training examples, nearest first
     */
    private Mono<List<Example>> nearest(List<Example> trainset, Mono<float[][]> trainVectors,
                                        Map<String, Object> inputs) {
        return trainVectors.zipWith(embed(List.of(render(inputs)), "the call's inputs").map(v -> v.get(0)))
                .map(t -> {
                    float[][] train = t.getT1();
                    float[] q = normalized(t.getT2());
                    double[] scores = new double[train.length];
                    for (int i = 0; i < train.length; i++) {
                        scores[i] = dot(normalized(train[i]), q);
                    }
                    return IntStream.range(0, train.length).boxed()
                            .sorted(Comparator.<Integer>comparingDouble(i -> scores[i]).reversed()
                                    .thenComparing(Comparator.<Integer>reverseOrder()))
                            .limit(k).map(trainset::get).collect(Collectors.toList());
                });
    }

    private Mono<List<float[]>> embed(List<String> texts, String what) {
        return Mono.defer(() -> embedder.embed(texts))
                .switchIfEmpty(Mono.error(() -> new EmbeddingException("the embedder returned nothing for " + what)))
                .map(vs -> {
                    if (vs.size() != texts.size()) {
                        throw new EmbeddingException("the embedder returned " + vs.size() + " vectors for "
                                + texts.size() + " texts of " + what);
                    }
                    int dim = -1;
                    for (int i = 0; i < vs.size(); i++) {
                        float[] v = vs.get(i);
                        if (v == null || v.length == 0 || (dim >= 0 && v.length != dim)) {
                            throw new EmbeddingException("the embedder returned an empty or mismatched vector at "
                                    + "index " + i + " of " + what);
                        }
                        dim = v.length;
                    }
                    return vs;
                });
    }

    /** DSPy's text of an example for the embedder: {@code "key: value | key: value"}. */
    static String render(Map<String, Object> inputs) {
        return inputs.entrySet().stream().map(e -> e.getKey() + ": " + PyFormat.str(PyFormat.jsonable(e.getValue())))
                .collect(Collectors.joining(" | "));
    }

    private static float[] normalized(float[] v) {
        double n = Math.sqrt(dot(v, v));
        if (n == 0) {
            return v;
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / n);
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new EmbeddingException("embedding dimensions differ: " + a.length + " (training set) and "
                    + b.length + " (the call's inputs)");
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Override
    public String toString() {
        return "KnnFewShot(k=" + k + ")";
    }

    /**
     * Builds a {@link KnnFewShot}.
     *
     * <pre>{@code
     * KnnFewShot knn = KnnFewShot.builder().k(5).embedder(lm::embed).build();
     * }</pre>
     */
    public static final class Builder {
        private int k = 3;
        private @Nullable Embedder embedder;
        private BootstrapFewShot bootstrap = BootstrapFewShot.builder().build();

        private Builder() {
        }

        /**
         * @param k the number of nearest examples per call, at least 1 (default 3)
         * @return this builder
         * @throws IllegalArgumentException when {@code k < 1}
         */
        public Builder k(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("k must be at least 1, got " + k);
            }
            this.k = k;
            return this;
        }

        /**
         * @param embedder texts to one vector each, in order: an {@link Embedder} ({@code Embedder.of(lm)}, the
         *                 local {@code LocalEmbedder.allMiniLmL6V2()}, one built with a cache) or a lambda/method
         *                 reference such as {@code lm::embed}; required
         * @return this builder
         */
        public Builder embedder(Embedder embedder) {
            this.embedder = embedder;
            return this;
        }

        /**
         * @param bootstrap the bootstrap run per call on the nearest examples (its teacher, metric and demo counts);
         *                  default: DSPy's settings with no metric
         * @return this builder
         * @throws IllegalArgumentException when null
         */
        public Builder bootstrap(BootstrapFewShot bootstrap) {
            this.bootstrap = Programs.requireArg(bootstrap, "bootstrap");
            return this;
        }

        /**
         * @return the optimizer
         * @throws IllegalArgumentException when no embedder was given
         */
        public KnnFewShot build() {
            return new KnnFewShot(this);
        }
    }
}

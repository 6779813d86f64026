package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.internal.PyFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import reactor.core.publisher.Mono;

/**
 * Picks demos per call from the nearest training examples (DSPy's {@code KNNFewShot}): for each call, the
 * {@code k} training examples most similar to the call's inputs (cosine similarity of embeddings) become the
 * training set of a {@link BootstrapFewShot} compile of the student, and the compiled program answers the call.
 * An example is embedded as DSPy renders it, {@code "key: value | key: value"} over its input keys in order
 * (values as Python's {@code str} prints them); the call's inputs likewise. The training set is embedded once, on the first call (concurrent first calls share
 * that one embedding request; a failed request is retried on the next call).
 *
 * <p>DSPy ranks by the dot product, which equals cosine similarity for the normalized vectors its usual
 * embedders return; here vectors are normalized first, so un-normalized embedders rank as by cosine too. Ties go
 * to the later training example, as numpy's {@code argsort()[-k:][::-1]} does on equal scores.
 *
 * <pre>{@code
 * OpenAiCompatibleLm lm = ...;
 * KnnFewShot knn = new KnnFewShot(3, trainset, lm::embed,
 *         BootstrapFewShot.builder().metric(Metrics.exactMatch("answer")).build());
 * Program qa = knn.compile(Predict.of("question -> answer"));
 * qa.forward(Map.of("question", "What is the capital of Belgium?")).block();
 * }</pre>
 */
public final class KnnFewShot {

    private final int k;
    private final List<Example> trainset;
    private final Function<List<String>, Mono<List<float[]>>> embedder;
    private final BootstrapFewShot bootstrap;
    private final Mono<float[][]> trainVectors;

    /**
     * With DSPy's default bootstrap settings and no metric (every teacher run counts).
     *
     * @param k        the number of nearest examples per call, at least 1
     * @param trainset the examples to search, input keys marked
     * @param embedder texts to one vector each, in order (e.g. {@code OpenAiCompatibleLm::embed})
     * @throws IllegalArgumentException when an argument is null, {@code k < 1}, or an example has no input keys
     */
    public KnnFewShot(int k, List<Example> trainset, Function<List<String>, Mono<List<float[]>>> embedder) {
        this(k, trainset, embedder, BootstrapFewShot.builder().build());
    }

    /**
     * @param k         the number of nearest examples per call, at least 1
     * @param trainset  the examples to search, input keys marked
     * @param embedder  texts to one vector each, in order
     * @param bootstrap the bootstrap run per call on the nearest examples
     * @throws IllegalArgumentException when an argument is null, {@code k < 1}, or an example has no input keys
     */
    public KnnFewShot(int k, List<Example> trainset, Function<List<String>, Mono<List<float[]>>> embedder,
                      BootstrapFewShot bootstrap) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        this.k = k;
        this.trainset = List.copyOf(Programs.trainset(trainset, "trainset"));
        this.embedder = Programs.requireArg(embedder, "embedder");
        this.bootstrap = Programs.requireArg(bootstrap, "bootstrap");
        List<String> texts = this.trainset.stream().map(e -> render(e.inputs().toMap())).toList();
        this.trainVectors = Mono.defer(() -> embed(texts, "the training set")).map(vs -> vs.toArray(float[][]::new))
                .cacheInvalidateIf(v -> false);
    }

    /**
     * The student, answering each call through a bootstrap on the call's nearest training examples.
     *
     * @param student the program to compile per call (unchanged)
     * @return the program
     * @throws IllegalArgumentException when the student is null
     */
    public Program compile(Program student) {
        return compile(student, null);
    }

    /**
     * Like {@link #compile(Program)} with a teacher for the per-call bootstraps.
     *
     * @param student the program to compile per call (unchanged)
     * @param teacher the teacher of the bootstraps; null for the student
     * @return the program
     * @throws IllegalArgumentException when the student is null
     */
    public Program compile(Program student, Program teacher) {
        Programs.requireArg(student, "student");
        BootstrapFewShot perCall = teacher == null ? bootstrap : bootstrap.toBuilder().teacher(teacher).build();
        return new Compiled(student.reset(), student, perCall);
    }

    /** @param inputs a call's inputs @return the k nearest training examples, nearest first */
    Mono<List<Example>> nearest(Map<String, Object> inputs) {
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
        return Mono.defer(() -> embedder.apply(texts))
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("the embedder returned nothing for " + what)))
                .map(vs -> {
                    if (vs.size() != texts.size()) {
                        throw new IllegalStateException("the embedder returned " + vs.size() + " vectors for "
                                + texts.size() + " texts of " + what);
                    }
                    int dim = -1;
                    for (int i = 0; i < vs.size(); i++) {
                        float[] v = vs.get(i);
                        if (v == null || v.length == 0 || (dim >= 0 && v.length != dim)) {
                            throw new IllegalStateException("the embedder returned an empty or mismatched vector at "
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
            throw new IllegalStateException("embedding dimensions differ: " + a.length + " and " + b.length);
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /** The per-call program: the reset student's predictors, demos chosen per call. */
    private final class Compiled implements Program {
        private final Program shown;
        private final Program student;
        private final BootstrapFewShot perCall;

        Compiled(Program shown, Program student, BootstrapFewShot perCall) {
            this.shown = shown;
            this.student = student;
            this.perCall = perCall;
        }

        @Override
        public Mono<Prediction> forward(Example inputs) {
            return Mono.defer(() -> {
                Map<String, Object> in = inputs.inputKeys().isEmpty() ? inputs.toMap() : inputs.inputs().toMap();
                return nearest(in)
                        .flatMap(near -> perCall.compile(student, near))
                        .flatMap(compiled -> compiled.forward(inputs));
            });
        }

        @Override
        public Map<String, Predictor> namedPredictors() {
            return shown.namedPredictors();
        }

        @Override
        public Program withNamedPredictors(Map<String, ? extends Predictor> replacements) {
            return new Compiled(shown.withNamedPredictors(replacements), student.withNamedPredictors(replacements),
                    perCall);
        }

        @Override
        public String toString() {
            return "KnnFewShot(k=" + k + ", " + student + ")";
        }
    }

    @Override
    public String toString() {
        return "KnnFewShot(k=" + k + ", trainset=" + trainset.size() + ")";
    }
}

package io.dspex.retrieve;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * The retrieval step of a program (DSPy's {@code dspy.Retrieve}, over an {@link Embeddings} index): a
 * {@link Module} that answers the input {@code query} with the {@code k} most similar passages. Its prediction has
 * {@code passages} (the texts, best first), {@code indices} (their corpus positions) and {@code scores} (their
 * similarities), as DSPy's {@code EmbeddingsWithScores} returns them. It holds no predictor, so optimizers leave it
 * alone.
 *
 * <pre>{@code
 * final class Rag extends Module {
 *     Rag(Embeddings corpus) {
 *         register("retrieve", Retrieve.of(corpus, 3));
 *         register("generate_answer", ChainOfThought.of("context, question -> answer"));
 *     }
 *
 *     @Override
 *     protected Mono<Prediction> run(Example in) {
 *         return child("retrieve").forward(Map.of("query", in.get("question")))
 *                 .flatMap(found -> child("generate_answer").forward(Map.of(
 *                         "context", found.get("passages"), "question", in.get("question"))));
 *     }
 * }
 * }</pre>
 */
public final class Retrieve extends Module {

    private final Embeddings index;
    private final int k;

    private Retrieve(Embeddings index, int k) {
        this.index = index;
        this.k = k;
    }

    /**
     * @param index the index to search
     * @param k     passages per query, from 1 to the index's size (DSPy's default is 3)
     * @return the step
     * @throws IllegalArgumentException when {@code index} is null or {@code k} is out of range
     */
    public static Retrieve of(Embeddings index, int k) {
        if (index == null) {
            throw new IllegalArgumentException("Retrieve.of: index must not be null");
        }
        if (k < 1 || k > index.size()) {
            throw new IllegalArgumentException("k must be 1.." + index.size() + " (the corpus' size), got " + k);
        }
        return new Retrieve(index, k);
    }

    /**
     * @param k passages per query, from 1 to the index's size
     * @return a copy with another {@code k}
     * @throws IllegalArgumentException when out of range
     */
    public Retrieve withK(int k) {
        return of(index, k);
    }

    /** @return the passages per query */
    public int k() {
        return k;
    }

    /** @return the index searched */
    public Embeddings index() {
        return index;
    }

    /**
     * Searches the index for the input {@code query}.
     *
     * @param inputs an example with the key {@code query} (a non-blank string)
     * @return the prediction {@code passages}, {@code indices}, {@code scores}; an {@link IllegalArgumentException}
     *         signal naming the keys present when {@code query} is missing or not a string
     */
    @Override
    protected Mono<Prediction> run(Example inputs) {
        Object query = inputs.get("query");
        if (!(query instanceof String q)) {
            return Mono.error(new IllegalArgumentException("Retrieve needs the input 'query' as a string; got "
                    + (query == null ? "no 'query' among the keys " + inputs.keys() : query.getClass().getName())));
        }
        return index.search(q, k).map(found -> {
            List<String> passages = new ArrayList<>(found.size());
            List<Integer> indices = new ArrayList<>(found.size());
            List<Double> scores = new ArrayList<>(found.size());
            for (Passage p : found) {
                passages.add(p.text());
                indices.add(p.index());
                scores.add(p.score());
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("passages", passages);
            out.put("indices", indices);
            out.put("scores", scores);
            return Prediction.of(out);
        });
    }

    @Override
    public Retrieve copy() {
        return (Retrieve) super.copy();
    }

    @Override
    public Retrieve reset() {
        return (Retrieve) super.reset();
    }

    @Override
    public Retrieve load(Path path) {
        return (Retrieve) super.load(path);
    }

    @Override
    public String toString() {
        return "Retrieve(k=" + k + ", " + index + ")";
    }
}

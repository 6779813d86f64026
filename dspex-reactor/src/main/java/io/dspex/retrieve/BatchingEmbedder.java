package io.dspex.retrieve;

import io.dspex.internal.BoundedRunner;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** What {@link Embedder.Builder} builds: batches, an optional cache, checks, optional normalization. */
final class BatchingEmbedder implements Embedder {

    private final Embedder model;
    private final String id;
    private final int batchSize;
    private final int concurrency;
    private final boolean normalize;
    private final @Nullable EmbeddingCache cache;

    BatchingEmbedder(Embedder model, String id, int batchSize, int concurrency, boolean normalize,
                     @Nullable EmbeddingCache cache) {
        this.model = model;
        this.id = id;
        this.batchSize = batchSize;
        this.concurrency = concurrency;
        this.normalize = normalize;
        this.cache = cache;
    }

    @Override
    public Mono<List<float[]>> embed(List<String> texts) {
        try {
            Vectors.checkTexts(texts, "texts");
        } catch (IllegalArgumentException e) {
            return Mono.error(e);
        }
        if (texts.isEmpty()) {
            return Mono.just(List.of());
        }
        List<String> all = List.copyOf(texts);
        List<List<String>> batches = new ArrayList<>();
        for (int from = 0; from < all.size(); from += batchSize) {
            batches.add(all.subList(from, Math.min(all.size(), from + batchSize)));
        }
        return BoundedRunner.run(Flux.fromIterable(batches), (i, batch) -> batch(batch, i * batchSize),
                        concurrency, true)
                .collectList()
                .map(results -> {
                    List<float[]> out = new ArrayList<>(all.size());
                    int dim = -1;
                    for (BoundedRunner.Indexed<List<float[]>> r : results) {
                        for (float[] v : r.value()) {
                            if (dim >= 0 && v.length != dim) {
                                throw new EmbeddingException("embedder '" + id + "' returned vectors of different "
                                        + "dimensions: " + dim + " for text 0, " + v.length + " for text "
                                        + out.size());
                            }
                            dim = v.length;
                            out.add(normalize ? Vectors.normalized(v) : v);
                        }
                    }
                    return out;
                });
    }

    private Mono<List<float[]>> batch(List<String> batch, int offset) {
        Mono<List<float[]>> call = Mono.defer(() -> {
            Mono<List<float[]>> m = model.embed(batch);
            return m != null ? m : Mono.error(new IllegalStateException(
                    "embedder '" + id + "' returned null instead of a Mono"));
        }).switchIfEmpty(Mono.error(() -> new EmbeddingException("embedder '" + id + "' completed without vectors"
                + " for texts " + offset + ".." + (offset + batch.size() - 1))))
                .map(vs -> {
                    Vectors.check(vs, batch.size(), offset, "embedder '" + id + "'");
                    return vs;
                });
        return cache == null ? call : cache.get(id, batch, call);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return "Embedder(" + id + ", batchSize=" + batchSize + (normalize ? ", normalized" : "")
                + (cache != null ? ", cached" : "") + ")";
    }
}

package io.dspex.retrieve;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * A deterministic test embedder: each lower-cased word adds 1 to a bucket chosen by its hash, so texts that share
 * words are similar. Counts its calls and the texts it embedded.
 */
final class WordsEmbedder implements Embedder {

    final int dim;
    final AtomicInteger calls = new AtomicInteger();
    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

    WordsEmbedder(int dim) {
        this.dim = dim;
    }

    static float[] vectorOf(String text, int dim) {
        float[] v = new float[dim];
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                v[Math.floorMod(w.hashCode(), dim)] += 1;
            }
        }
        return v;
    }

    @Override
    public Mono<List<float[]>> embed(List<String> texts) {
        return Mono.fromSupplier(() -> {
            calls.incrementAndGet();
            batchSizes.add(texts.size());
            List<float[]> out = new ArrayList<>();
            for (String t : texts) {
                out.add(vectorOf(t, dim));
            }
            return out;
        });
    }

    @Override
    public String id() {
        return "words-" + dim;
    }
}

package io.dspex.optimize;

import io.dspex.internal.PythonRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * gepa's {@code EpochShuffledBatchSampler}: the training ids are shuffled once per epoch and padded to a multiple of
 * the minibatch size with the least frequent ids; iteration {@code i} takes the {@code i}-th slice. The shuffle
 * uses the run's shared generator, as gepa does.
 */
final class EpochShuffledSampler {

    private final int minibatch;
    private final PythonRandom rng;
    private List<Integer> shuffled = new ArrayList<>();
    private int epoch = -1;
    private int lastSize;

    EpochShuffledSampler(int minibatch, PythonRandom rng) {
        this.minibatch = minibatch;
        this.rng = rng;
    }

    /** The minibatch of iteration {@code iteration} over a training set of {@code size} examples. */
    List<Integer> next(int size, int iteration) {
        if (size == 0) {
            throw new IllegalArgumentException("cannot sample a minibatch from an empty training set");
        }
        int base = iteration * minibatch;
        int current = epoch == -1 ? 0 : base / Math.max(shuffled.size(), 1);
        if (shuffled.isEmpty() || size != lastSize || current > epoch) {
            epoch = current;
            reshuffle(size);
        }
        int start = base % shuffled.size();
        return List.copyOf(shuffled.subList(start, start + minibatch));
    }

    private void reshuffle(int size) {
        lastSize = size;
        shuffled = new ArrayList<>(size + minibatch);
        for (int i = 0; i < size; i++) {
            shuffled.add(i);
        }
        rng.shuffle(shuffled);
        // Counter(shuffled): insertion order is the shuffled order
        Map<Integer, Integer> freq = new LinkedHashMap<>();
        for (int id : shuffled) {
            freq.merge(id, 1, Integer::sum);
        }
        int mod = size % minibatch;
        int pad = mod != 0 ? minibatch - mod : 0;
        for (int k = 0; k < pad; k++) {
            // most_common()[::-1][0]: the least frequent id, the last inserted among equals
            int pick = -1;
            int least = Integer.MAX_VALUE;
            for (Map.Entry<Integer, Integer> e : freq.entrySet()) {
                if (e.getValue() <= least) {
                    least = e.getValue();
                    pick = e.getKey();
                }
            }
            shuffled.add(pick);
            freq.merge(pick, 1, Integer::sum);
        }
    }
}

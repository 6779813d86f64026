package io.dspex.retrieve;

/**
 * The k best (highest score) of a stream of {@code (score, index)} pairs: a bounded min-heap over two primitive
 * arrays. Ties go to the lower index, so a search is deterministic.
 */
final class TopK {

    private final int k;
    private final float[] scores;
    private final int[] indices;
    private int size;

    TopK(int k) {
        this.k = k;
        this.scores = new float[k];
        this.indices = new int[k];
    }

    /** @return the score a new pair must beat to enter (negative infinity until k pairs are held) */
    float threshold() {
        return size < k ? Float.NEGATIVE_INFINITY : scores[0];
    }

    void offer(float score, int index) {
        if (size < k) {
            scores[size] = score;
            indices[size] = index;
            siftUp(size++);
        } else if (worse(scores[0], indices[0], score, index)) {
            scores[0] = score;
            indices[0] = index;
            siftDown(0);
        }
    }

    /** @return the held indices, best first; their scores in {@code scoresOut} (of length at least size) */
    int[] sorted(float[] scoresOut) {
        int n = size;
        float[] s = scores.clone();
        int[] ix = indices.clone();
        int[] out = new int[n];
        // Pop the worst repeatedly into the back of the result.
        TopK heap = new TopK(k);
        System.arraycopy(s, 0, heap.scores, 0, n);
        System.arraycopy(ix, 0, heap.indices, 0, n);
        heap.size = n;
        for (int i = n - 1; i >= 0; i--) {
            out[i] = heap.indices[0];
            scoresOut[i] = heap.scores[0];
            heap.size--;
            heap.scores[0] = heap.scores[heap.size];
            heap.indices[0] = heap.indices[heap.size];
            heap.siftDown(0);
        }
        return out;
    }

    int size() {
        return size;
    }

    /** @return whether (s1, i1) ranks below (s2, i2): a lower score, or an equal score and a higher index */
    private static boolean worse(float s1, int i1, float s2, int i2) {
        return s1 < s2 || (s1 == s2 && i1 > i2);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!worse(scores[i], indices[i], scores[parent], indices[parent])) {
                break;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int r = l + 1;
            int worst = r < size && worse(scores[r], indices[r], scores[l], indices[l]) ? r : l;
            if (!worse(scores[worst], indices[worst], scores[i], indices[i])) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
        int x = indices[a];
        indices[a] = indices[b];
        indices[b] = x;
    }
}

package io.dspex.retrieve;

import java.util.List;

/** Vector arithmetic and checks shared by the embedders and the indexes. */
final class Vectors {

    private Vectors() {
    }

    /**
     * The dot product, in four independent float sums (the JIT keeps them in registers and overlaps them), then
     * added in double.
     */
    static float dot(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        int upper = dim & ~3;
        for (; i < upper; i += 4) {
            s0 += a[aOffset + i] * b[bOffset + i];
            s1 += a[aOffset + i + 1] * b[bOffset + i + 1];
            s2 += a[aOffset + i + 2] * b[bOffset + i + 2];
            s3 += a[aOffset + i + 3] * b[bOffset + i + 3];
        }
        for (; i < dim; i++) {
            s0 += a[aOffset + i] * b[bOffset + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** @return {@code v} scaled to unit length in place (a zero vector stays zero) */
    static float[] normalizeInPlace(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        double norm = Math.sqrt(sum);
        if (norm > 1e-12) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] / norm);
            }
        }
        return v;
    }

    /** @return a unit-length copy of {@code v} (a zero vector stays zero) */
    static float[] normalized(float[] v) {
        return normalizeInPlace(v.clone());
    }

    /**
     * Checks a model's answer for {@code expected} texts: the count, non-empty finite vectors of one dimension.
     *
     * @param vectors  the answer
     * @param expected the number of texts
     * @param offset   the position of the first text in the caller's whole list (for messages)
     * @param what     who answered (for messages)
     * @return the common dimension
     * @throws EmbeddingException naming the first problem
     */
    static int check(List<float[]> vectors, int expected, int offset, String what) {
        if (vectors.size() != expected) {
            throw new EmbeddingException(what + " returned " + vectors.size() + " vectors for " + expected
                    + " texts (texts " + offset + ".." + (offset + expected - 1) + ")");
        }
        int dim = -1;
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            if (v == null || v.length == 0) {
                throw new EmbeddingException(what + " returned " + (v == null ? "no" : "an empty") + " vector for text "
                        + (offset + i));
            }
            if (dim >= 0 && v.length != dim) {
                throw new EmbeddingException(what + " returned vectors of different dimensions: " + dim + " for text "
                        + offset + ", " + v.length + " for text " + (offset + i));
            }
            dim = v.length;
            for (int j = 0; j < v.length; j++) {
                if (!Float.isFinite(v[j])) {
                    throw new EmbeddingException(what + " returned " + v[j] + " at component " + j + " of the vector for"
                            + " text " + (offset + i));
                }
            }
        }
        return dim;
    }

    /**
     * @throws IllegalArgumentException naming the position of a null, empty or blank text, or when the list is null
     */
    static void checkTexts(List<String> texts, String what) {
        if (texts == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null) {
                throw new IllegalArgumentException(what + "[" + i + "] is null");
            }
            if (t.isBlank()) {
                throw new IllegalArgumentException(what + "[" + i + "] is " + (t.isEmpty() ? "empty" : "blank")
                        + ": there is nothing to embed");
            }
        }
    }
}

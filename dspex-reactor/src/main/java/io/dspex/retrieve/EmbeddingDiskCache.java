package io.dspex.retrieve;

import io.dspex.internal.KeyedFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The persistent half of {@link EmbeddingCache}: one file per batch at {@code <dir>/<key[0..2]>/<key>.emb}, all file
 * work on {@link Schedulers#boundedElastic()}.
 *
 * <p>File form: the 8 bytes {@code DSPXEMB1}, the 64 ASCII bytes of the key, then big-endian the write time (epoch
 * milliseconds, 8 bytes), the vector count and the dimension (4 bytes each), then {@code count * dimension}
 * little-endian 32-bit floats.
 */
final class EmbeddingDiskCache {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingCache.class);
    private static final byte[] MAGIC = "DSPXEMB1".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = MAGIC.length + 64 + 8 + 4 + 4;

    private final KeyedFiles files;
    private final @Nullable Duration expireAfterWrite;
    private final LongSupplier nowMillis;

    EmbeddingDiskCache(Path directory, @Nullable Duration expireAfterWrite, LongSupplier nowMillis) {
        this.files = new KeyedFiles(directory, ".emb", "embedding cache", LOG);
        this.expireAfterWrite = expireAfterWrite;
        this.nowMillis = nowMillis;
    }

    Path directory() {
        return files.directory();
    }

    Path pathOf(String key) {
        return files.pathOf(key);
    }

    /** The stored vectors, or empty when absent, expired, corrupt or unreadable (the last two logged once). */
    Mono<List<float[]>> read(String key, int expectedCount) {
        return Mono.fromCallable(() -> readNow(key, expectedCount)).subscribeOn(Schedulers.boundedElastic());
    }

    Mono<Void> write(String key, List<float[]> vectors) {
        return Mono.<Void>fromRunnable(() -> writeNow(key, vectors)).subscribeOn(Schedulers.boundedElastic());
    }

    Mono<Void> clear() {
        return Mono.<Void>fromRunnable(files::clear).subscribeOn(Schedulers.boundedElastic());
    }

    private @Nullable List<float[]> readNow(String key, int expectedCount) {
        byte[] bytes = files.read(key);
        if (bytes == null) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length < HEADER || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || !key.equals(new String(bytes, MAGIC.length, 64, StandardCharsets.US_ASCII))) {
            files.warnOnce(key, "is not an embedding cache entry for its key");
            return null;
        }
        in.position(MAGIC.length + 64);
        long written = in.getLong();
        int count = in.getInt();
        int dim = in.getInt();
        if (count != expectedCount) {
            files.warnOnce(key, "holds " + count + " vectors for a batch of " + expectedCount);
            return null;
        }
        if (dim < 1 || (long) count * dim * 4 != bytes.length - HEADER) {
            files.warnOnce(key, "is truncated (" + bytes.length + " bytes for " + count + " vectors of " + dim
                    + ")");
            return null;
        }
        if (expireAfterWrite != null && nowMillis.getAsLong() - written >= expireAfterWrite.toMillis()) {
            return null;
        }
        in.order(ByteOrder.LITTLE_ENDIAN);
        List<float[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            float[] v = new float[dim];
            in.asFloatBuffer().get(v);
            in.position(in.position() + dim * 4);
            out.add(v);
        }
        return out;
    }

    private void writeNow(String key, List<float[]> vectors) {
        int dim = vectors.get(0).length;
        ByteBuffer out = ByteBuffer.allocate(HEADER + vectors.size() * dim * 4);
        out.put(MAGIC).put(key.getBytes(StandardCharsets.US_ASCII)).putLong(nowMillis.getAsLong())
                .putInt(vectors.size()).putInt(dim);
        out.order(ByteOrder.LITTLE_ENDIAN);
        for (float[] v : vectors) {
            for (float x : v) {
                out.putFloat(x);
            }
        }
        files.write(key, out.array());
    }
}

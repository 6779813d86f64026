package io.dspex.retrieve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
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
    private static final Pattern SHARD = Pattern.compile("[0-9a-f]{2}");
    private static final Pattern ENTRY = Pattern.compile("[0-9a-f]{64}\\.emb|[0-9a-f]{64}.*\\.tmp");

    private final Path directory;
    private final @Nullable Duration expireAfterWrite;
    private final LongSupplier nowMillis;
    private final Set<Path> warned = ConcurrentHashMap.newKeySet();

    EmbeddingDiskCache(Path directory, @Nullable Duration expireAfterWrite, LongSupplier nowMillis) {
        this.directory = directory;
        this.expireAfterWrite = expireAfterWrite;
        this.nowMillis = nowMillis;
    }

    Path directory() {
        return directory;
    }

    Path pathOf(String key) {
        return directory.resolve(key.substring(0, 2)).resolve(key + ".emb");
    }

    /** The stored vectors, or empty when absent, expired, corrupt or unreadable (the last two logged once). */
    Mono<List<float[]>> read(String key, int expectedCount) {
        return Mono.fromCallable(() -> readNow(key, expectedCount)).subscribeOn(Schedulers.boundedElastic());
    }

    Mono<Void> write(String key, List<float[]> vectors) {
        return Mono.<Void>fromRunnable(() -> writeNow(key, vectors)).subscribeOn(Schedulers.boundedElastic());
    }

    Mono<Void> clear() {
        return Mono.<Void>fromRunnable(this::clearNow).subscribeOn(Schedulers.boundedElastic());
    }

    private @Nullable List<float[]> readNow(String key, int expectedCount) {
        Path path = pathOf(key);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            warnOnce(path, "cannot be read (" + e.getClass().getSimpleName() + ")");
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length < HEADER || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || !key.equals(new String(bytes, MAGIC.length, 64, StandardCharsets.US_ASCII))) {
            warnOnce(path, "is not an embedding cache entry for its key");
            return null;
        }
        in.position(MAGIC.length + 64);
        long written = in.getLong();
        int count = in.getInt();
        int dim = in.getInt();
        if (count != expectedCount) {
            warnOnce(path, "holds " + count + " vectors for a batch of " + expectedCount);
            return null;
        }
        if (dim < 1 || (long) count * dim * 4 != bytes.length - HEADER) {
            warnOnce(path, "is truncated (" + bytes.length + " bytes for " + count + " vectors of " + dim + ")");
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

    private void warnOnce(Path path, String what) {
        if (warned.add(path)) {
            LOG.warn("embedding cache file {} {}; treating it as a miss", path, what);
        }
    }

    private void writeNow(String key, List<float[]> vectors) {
        Path target = pathOf(key);
        @Nullable Path temp = null;
        try {
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
            Path shard = Files.createDirectories(target.getParent());
            temp = Files.createTempFile(shard, key, ".tmp");
            Files.write(temp, out.array());
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
            warned.remove(target);
        } catch (IOException | RuntimeException e) {
            LOG.warn("embedding cache could not write {}; the entry stays in memory only ({})", target,
                    e.getClass().getSimpleName());
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // Best effort: clear() removes a stray temporary file.
                }
            }
        }
    }

    private void clearNow() {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(directory)) {
            for (Path shard : shards) {
                if (!Files.isDirectory(shard) || !SHARD.matcher(shard.getFileName().toString()).matches()) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path file : files) {
                        if (ENTRY.matcher(file.getFileName().toString()).matches()) {
                            Files.deleteIfExists(file);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("embedding cache could not clear " + directory, e);
        }
        warned.clear();
    }
}

package io.dspex.retrieve;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A cache of embedding batches, under the rules of the LM cache ({@code io.dspex.lm.LmCache}): a bounded in-memory
 * cache plus, optionally, a directory that survives a restart. Set it on an embedder with
 * {@link Embedder.Builder#cache(EmbeddingCache)}; each batch the embedder sends is one entry (DSPy caches each
 * batch's request the same way).
 *
 * <pre>{@code
 * EmbeddingCache cache = EmbeddingCache.builder().maxEntries(5_000).directory(Path.of(".dspex_cache/embeddings"))
 *         .build();
 * Embedder embedder = Embedder.builder(Embedder.of(lm)).cache(cache).build();
 * }</pre>
 *
 * <p><b>Key.</b> The SHA-256 of the embedder's {@link Embedder#id() id} and the batch's texts, each
 * length-prefixed, so two batches collide only when both are equal. Neither holds a secret, so keys and files hold
 * none.
 *
 * <p><b>Lookup.</b> Memory, then disk (a disk hit also fills memory), then the model. Every answer is a fresh copy:
 * changing a returned vector does not change the cache.
 *
 * <p><b>Sharing.</b> Concurrent identical batches share one model call; each subscriber gets its result. The shared
 * call belongs to the cache: cancelling a subscriber does not cancel it, and its answer is still cached. A failure is
 * not cached: it reaches the subscribers waiting on that call, and the next request asks the model again.
 *
 * <p><b>Disk.</b> One file per entry, {@code <directory>/<first 2 hex of key>/<key>.emb} (a header, then the vectors
 * as little-endian 32-bit floats), written atomically. A corrupt or unreadable file counts as a miss and is logged
 * once; a failed write is logged and the answer returned anyway. File work runs on
 * {@code Schedulers.boundedElastic()}. Entries are found after a restart only when the embedder's id is stable
 * across runs.
 *
 * <p>Thread-safe and meant to be shared; it holds no thread or file handle, so there is nothing to close.
 */
public final class EmbeddingCache {

    private final AsyncCache<String, Outcome> memory;
    private final @Nullable EmbeddingDiskCache disk;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder diskHits = new LongAdder();
    private final LongAdder coalesced = new LongAdder();

    private EmbeddingCache(Builder b) {
        Caffeine<Object, Object> caffeine = Caffeine.newBuilder().maximumSize(b.maxEntries);
        if (b.expireAfterWrite != null) {
            caffeine.expireAfterWrite(b.expireAfterWrite);
            LongSupplier now = b.nowMillis;
            caffeine.ticker(() -> TimeUnit.MILLISECONDS.toNanos(now.getAsLong()));
        }
        this.memory = caffeine.buildAsync();
        this.disk = b.directory == null ? null : new EmbeddingDiskCache(b.directory, b.expireAfterWrite, b.nowMillis);
    }

    /**
     * A memory-only cache of at most {@code maxEntries} batches.
     *
     * <pre>{@code
     * Embedder cached = Embedder.builder(embedder).cache(EmbeddingCache.inMemory(1_000)).build();
     * }</pre>
     *
     * @param maxEntries the bound, at least 1
     * @return the cache
     * @throws IllegalArgumentException when {@code maxEntries < 1}
     */
    public static EmbeddingCache inMemory(long maxEntries) {
        return builder().maxEntries(maxEntries).build();
    }

    /**
     * A builder: 10,000 batches in memory, no expiry, no directory unless set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Answers a batch from the cache or through {@code call}, caching the answer. Lazy.
     *
     * @param embedderId the embedder's id (part of the key)
     * @param texts      the batch
     * @param call       the model call, subscribed at most once per miss
     * @return the vectors (a copy)
     */
    Mono<List<float[]>> get(String embedderId, List<String> texts, Mono<List<float[]>> call) {
        return Mono.deferContextual(ctx -> {
            String key = key(embedderId, texts);
            CompletableFuture<Outcome> created = new CompletableFuture<>();
            CompletableFuture<Outcome> shared = memory.get(key, (k, executor) -> created);
            if (shared != created) {
                if (shared.isDone()) {
                    hits.increment();
                } else {
                    coalesced.increment();
                }
                return Mono.fromFuture(shared, true).flatMap(Outcome::toMono);
            }
            Mono<List<float[]>> fromModel = Mono.defer(() -> {
                misses.increment();
                return call;
            });
            Mono<List<float[]>> load;
            if (disk == null) {
                load = fromModel;
            } else {
                load = disk.read(key, texts.size())
                        .doOnNext(v -> diskHits.increment())
                        .switchIfEmpty(fromModel.flatMap(v -> disk.write(key, v).thenReturn(v)));
            }
            CompletableFuture<Outcome> settled = new CompletableFuture<>();
            load.contextWrite(ctx).subscribe(v -> {
                Outcome o = new Outcome(copy(v), null);
                created.complete(o);
                settled.complete(o);
            }, error -> {
                memory.asMap().remove(key, created);
                Outcome o = new Outcome(null, error);
                created.complete(o);
                settled.complete(o);
            });
            return Mono.fromFuture(settled, true).flatMap(Outcome::toMono);
        });
    }

    /** The key: SHA-256 over the id and every text, each as its UTF-8 length then its bytes. */
    static String key(String embedderId, List<String> texts) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256 MessageDigest", e);
        }
        update(sha, "dspex-embeddings-v1");
        update(sha, embedderId);
        for (String t : texts) {
            update(sha, t);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void update(MessageDigest sha, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        sha.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        sha.update(bytes);
    }

    private static List<float[]> copy(List<float[]> vectors) {
        List<float[]> out = new ArrayList<>(vectors.size());
        for (float[] v : vectors) {
            out.add(v.clone());
        }
        return List.copyOf(out);
    }

    /** A finished load: the vectors, or the error of a failed call (never cached). */
    private record Outcome(@Nullable List<float[]> vectors, @Nullable Throwable error) {
        Mono<List<float[]>> toMono() {
            if (error != null) {
                return Mono.error(error);
            }
            return Mono.just(copy(vectors));
        }
    }

    /**
     * Removes every entry from memory and, when there is a directory, every entry file in it (other files are left
     * alone).
     *
     * @return completes when cleared; the work runs on {@code Schedulers.boundedElastic()}
     */
    public Mono<Void> clear() {
        Mono<Void> inMemory = Mono.<Void>fromRunnable(() -> memory.synchronous().invalidateAll())
                .subscribeOn(Schedulers.boundedElastic());
        return disk == null ? inMemory : inMemory.then(disk.clear());
    }

    /** @return the estimated number of batches in memory (including calls in flight) */
    public long size() {
        return memory.synchronous().estimatedSize();
    }

    /**
     * Counters since this cache was built; every batch looked up counts once, in one of them.
     *
     * <pre>{@code
     * EmbeddingCache.Stats s = cache.stats();
     * System.out.printf("%d model calls, %d answered from the cache%n", s.misses(), s.requests() - s.misses());
     * }</pre>
     *
     * @return a snapshot
     */
    public Stats stats() {
        return new Stats(hits.sum(), misses.sum(), diskHits.sum(), coalesced.sum());
    }

    @Override
    public String toString() {
        return "EmbeddingCache[size=" + size() + (disk == null ? "" : ", directory=" + disk.directory()) + ", "
                + stats() + "]";
    }

    /**
     * A snapshot of a cache's counters.
     *
     * @param hits      batches answered from memory
     * @param misses    batches answered by calling the model
     * @param diskHits  batches answered from a file
     * @param coalesced batches answered by joining an identical call in flight
     */
    public record Stats(long hits, long misses, long diskHits, long coalesced) {

        /** @return all lookups: {@code hits + misses + diskHits + coalesced} */
        public long requests() {
            return hits + misses + diskHits + coalesced;
        }
    }

    /**
     * Configures an {@link EmbeddingCache}.
     *
     * <pre>{@code
     * EmbeddingCache cache = EmbeddingCache.builder().maxEntries(1_000).expireAfterWrite(Duration.ofDays(30)).build();
     * }</pre>
     */
    public static final class Builder {
        private long maxEntries = 10_000;
        private @Nullable Duration expireAfterWrite;
        private @Nullable Path directory;
        private LongSupplier nowMillis = System::currentTimeMillis;

        private Builder() {
        }

        /**
         * @param maxEntries the in-memory bound in batches, at least 1 (the disk is not bounded)
         * @return this builder
         * @throws IllegalArgumentException when {@code maxEntries < 1}
         */
        public Builder maxEntries(long maxEntries) {
            if (maxEntries < 1) {
                throw new IllegalArgumentException("EmbeddingCache maxEntries must be >= 1, got " + maxEntries);
            }
            this.maxEntries = maxEntries;
            return this;
        }

        /**
         * @param expireAfterWrite entries older than this are misses, in memory and on disk; null for no expiry
         * @return this builder
         * @throws IllegalArgumentException when zero or negative
         */
        public Builder expireAfterWrite(@Nullable Duration expireAfterWrite) {
            if (expireAfterWrite != null && (expireAfterWrite.isZero() || expireAfterWrite.isNegative())) {
                throw new IllegalArgumentException("EmbeddingCache expireAfterWrite must be positive, got "
                        + expireAfterWrite);
            }
            this.expireAfterWrite = expireAfterWrite;
            return this;
        }

        /**
         * Keeps entries in this directory too. Created by {@link #build()} if missing; use a directory of its own
         * (not an LM cache's).
         *
         * @param directory the directory, or null for memory only (the default)
         * @return this builder
         */
        public Builder directory(@Nullable Path directory) {
            this.directory = directory;
            return this;
        }

        /** Test hook: the wall clock in epoch milliseconds. */
        Builder clock(LongSupplier nowMillis) {
            this.nowMillis = nowMillis;
            return this;
        }

        /**
         * Builds the cache, creating the directory when set and missing (blocking file work: call at set-up).
         *
         * @return the cache
         * @throws IllegalArgumentException when the directory path exists and is not a directory
         * @throws UncheckedIOException     when the directory cannot be created
         */
        public EmbeddingCache build() {
            if (directory != null) {
                if (Files.exists(directory) && !Files.isDirectory(directory)) {
                    throw new IllegalArgumentException("EmbeddingCache directory " + directory
                            + " is not a directory");
                }
                try {
                    Files.createDirectories(directory);
                } catch (IOException e) {
                    throw new UncheckedIOException("EmbeddingCache cannot create directory " + directory, e);
                }
            }
            return new EmbeddingCache(this);
        }
    }
}

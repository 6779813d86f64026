package io.dspex.lm;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A cache of LM calls, DSPy's {@code dspy.cache}: a bounded in-memory cache plus, optionally, a directory of
 * JSON files that survives a restart. It is offered one way, as a decorator: wrap a model with
 * {@link #wrap(LanguageModel)} and identical requests through the wrapped model are answered once. Every program
 * using the wrapped model shares the cache; a program using the bare model bypasses it.
 *
 * <pre>{@code
 * LmCache cache = LmCache.builder()
 *     .maxEntries(10_000)
 *     .directory(Path.of(System.getProperty("user.home"), ".dspex_cache"))
 *     .build();
 * LanguageModel lm = cache.wrap(OpenAiCompatibleLm.builder()
 *     .baseUrl("http://localhost:11434/v1").model("llama3.2").build());
 * }</pre>
 *
 * <p><b>Key.</b> The SHA-256 of a canonical JSON form (keys sorted at every depth) of the model's
 * {@link LanguageModel#id() id} and every request field: messages, model, temperature, max tokens, n, stop,
 * response format, seed, extra parameters and the {@linkplain CallConfig#rolloutId() rollout id}, so a fresh
 * rollout id bypasses earlier entries, as in DSPy. Neither the request nor the id holds a secret, so keys and
 * files hold none.
 *
 * <p><b>Lookup.</b> Memory, then disk (a disk hit also fills memory), then the model. A cached answer reports
 * {@link Usage#ZERO}: only the subscriber whose request actually reached the model sees its usage, so summing
 * the usage of all predictions gives what was spent.
 *
 * <p><b>Sharing.</b> Concurrent identical requests share one underlying call; each subscriber gets its result.
 * The shared call belongs to the cache, not to a subscriber: cancelling one subscriber (or all of them) does not
 * cancel it, and its answer is still cached. It runs with the Reactor {@code Context} of the subscriber that
 * started it. A failure is not cached: it reaches the subscribers waiting on that call, and the next request
 * calls the model again.
 *
 * <p><b>Disk.</b> One file per entry, {@code <directory>/<first 2 hex of key>/<key>.json}, written atomically
 * (temporary file, then an atomic move). A corrupt or unreadable file counts as a miss and is logged at WARN
 * once with its path (never its content); a failed write is logged and the answer is returned anyway. All
 * file work runs on {@code Schedulers.boundedElastic()}, never on the subscriber's thread. Entries are found
 * again after a restart only when the model's {@code id()} is stable across runs ({@link OpenAiCompatibleLm}'s
 * is; the default {@code id()} of a lambda is not, and the cache logs a warning for it once).
 *
 * <p>The cache holds no thread, file handle or connection, so there is nothing to close. It is thread-safe and
 * meant to be shared.
 */
public final class LmCache {

    private static final Logger LOG = LoggerFactory.getLogger(LmCache.class);

    static {
        LmCacheKey.warmUp();
    }

    /**
     * Values are outcomes rather than failing futures: the entry of a failed call is removed by this class before
     * the outcome completes, and Caffeine never sees a failed future (it would log each one at WARNING with its
     * stack trace, e.g. every rate-limit error).
     */
    private final AsyncCache<String, Outcome> memory;
    private final @Nullable LmDiskCache disk;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder diskHits = new LongAdder();
    private final LongAdder coalesced = new LongAdder();
    private volatile boolean warnedUnstableId;

    private LmCache(Builder b) {
        Caffeine<Object, Object> caffeine = Caffeine.newBuilder().maximumSize(b.maxEntries);
        if (b.expireAfterWrite != null) {
            caffeine.expireAfterWrite(b.expireAfterWrite);
            LongSupplier now = b.nowMillis;
            caffeine.ticker(() -> TimeUnit.MILLISECONDS.toNanos(now.getAsLong()));
        }
        this.memory = caffeine.buildAsync();
        this.disk = b.directory == null ? null : new LmDiskCache(b.directory, b.expireAfterWrite, b.nowMillis);
    }

    /**
     * A memory-only cache of at most {@code maxEntries} answers (least recently and frequently used go first).
     *
     * <pre>{@code
     * LanguageModel lm = LmCache.inMemory(1_000).wrap(rawLm);
     * }</pre>
     *
     * @param maxEntries the bound, at least 1
     * @return the cache
     * @throws IllegalArgumentException when {@code maxEntries < 1}
     */
    public static LmCache inMemory(long maxEntries) {
        return builder().maxEntries(maxEntries).build();
    }

    /**
     * A builder: 10,000 entries in memory, no expiry, no directory unless set.
     *
     * <pre>{@code
     * LmCache cache = LmCache.builder().maxEntries(500).expireAfterWrite(Duration.ofHours(1)).build();
     * }</pre>
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Answers a request from the cache, or through {@code lm} on a miss and caches the answer: what a
     * {@link #wrap wrapped} model does for each call. Lazy: nothing happens until subscription. See the class
     * description for the key, the lookup order and sharing.
     *
     * @param lm      the model to call on a miss; its {@link LanguageModel#id() id} is part of the key
     * @param request the request
     * @return the answer ({@link Usage#ZERO} usage unless this subscription made the call), or the model's error;
     *         an {@link IllegalArgumentException} when {@code lm} or {@code request} is null, or a value of
     *         {@code extra}/{@code responseFormat} cannot be serialized for the key
     */
    Mono<LmResponse> call(LanguageModel lm, LmRequest request) {
        return Mono.deferContextual(ctx -> {
            if (lm == null) {
                return Mono.error(new IllegalArgumentException("LmCache.call: lm must not be null"));
            }
            if (request == null) {
                return Mono.error(new IllegalArgumentException("LmCache.call: request must not be null"));
            }
            String key = LmCacheKey.of(lm, request);
            if (disk != null && !warnedUnstableId && lm.id().contains("$$Lambda")) {
                warnedUnstableId = true;
                LOG.warn("LM cache directory {} is used with a model whose id() is a lambda class name ({}), which"
                        + " changes between runs, so its entries will not be found after a restart;"
                        + " implement LanguageModel.id()", disk.directory(), lm.id());
            }
            CompletableFuture<Outcome> created = new CompletableFuture<>();
            CompletableFuture<Outcome> shared = memory.get(key, (k, executor) -> created);
            if (shared != created) {
                if (shared.isDone()) {
                    hits.increment();
                } else {
                    coalesced.increment();
                }
                return Mono.fromFuture(shared, true).flatMap(o -> o.toMono(false));
            }
            // This subscription owns the load. It runs detached, so no subscriber's cancel stops it.
            boolean[] fromModel = {false};
            Mono<LmResponse> fromLm = Mono.defer(() -> {
                misses.increment();
                fromModel[0] = true;
                Mono<LmResponse> m = lm.call(request);
                if (m == null) {
                    return Mono.error(new IllegalStateException(
                            "LanguageModel '" + lm.id() + "' returned null from call(request)"));
                }
                return m;
            }).switchIfEmpty(Mono.error(() -> new IllegalStateException(
                    "LanguageModel '" + lm.id() + "' completed without a response")));
            Mono<LmResponse> load;
            if (disk == null) {
                load = fromLm;
            } else {
                load = disk.read(key)
                        .doOnNext(r -> diskHits.increment())
                        .switchIfEmpty(fromLm.flatMap(r -> disk.write(key, r).thenReturn(r)));
            }
            // The owner resumes only once created.complete(..) has returned, that is after every callback on it ran,
            // the cache's own (which stamps the entry's write time) included: callbacks of a CompletableFuture run
            // newest first, so resuming from `created` itself could run ahead of the cache's bookkeeping.
            CompletableFuture<Outcome> settled = new CompletableFuture<>();
            load.contextWrite(ctx).subscribe(r -> {
                Outcome o = new Outcome(r, null);
                created.complete(o);
                settled.complete(o);
            }, error -> {
                // Remove before completing, so whoever sees the failure and retries reaches the model again.
                memory.asMap().remove(key, created);
                Outcome o = new Outcome(null, error);
                created.complete(o);
                settled.complete(o);
            });
            return Mono.fromFuture(settled, true).flatMap(o -> o.toMono(fromModel[0]));
        });
    }

    /** A finished load: the response, or the error of a failed call (never cached: removed before completing). */
    private record Outcome(@Nullable LmResponse response, @Nullable Throwable error) {
        Mono<LmResponse> toMono(boolean keepUsage) {
            if (error != null) {
                return Mono.error(error);
            }
            return Mono.just(keepUsage || response.usage().equals(Usage.ZERO) ? response
                    : response.withUsage(Usage.ZERO));
        }
    }

    /**
     * A model that answers through this cache and otherwise behaves as {@code lm}: same {@link LanguageModel#id()
     * id}. {@link LanguageModel#stream(LmRequest) stream(..)} passes straight through to {@code lm} uncached: a
     * stream is consumed as it arrives and has no single answer to store.
     *
     * <pre>{@code
     * LanguageModel cached = cache.wrap(lm);
     * cached.call(request);   // cached
     * cached.stream(request); // not cached
     * }</pre>
     *
     * @param lm the model to wrap
     * @return the caching model
     * @throws IllegalArgumentException when {@code lm} is null
     */
    public LanguageModel wrap(LanguageModel lm) {
        if (lm == null) {
            throw new IllegalArgumentException("LmCache.wrap: lm must not be null");
        }
        return new CachedLanguageModel(this, lm);
    }

    /**
     * Removes every entry from memory and, when there is a directory, every entry file in it (other files are
     * left alone). Calls in flight still complete for their subscribers.
     *
     * <pre>{@code
     * cache.clear().then(cached.call(request)); // reaches the model again
     * }</pre>
     *
     * @return completes when cleared; the work (a lock, files) runs on {@code Schedulers.boundedElastic()}
     */
    public Mono<Void> clear() {
        // invalidateAll takes Caffeine's eviction lock, which may park: keep it off non-blocking threads too.
        Mono<Void> inMemory = Mono.<Void>fromRunnable(() -> memory.synchronous().invalidateAll())
                .subscribeOn(Schedulers.boundedElastic());
        return disk == null ? inMemory : inMemory.then(disk.clear());
    }

    /**
     * The number of entries in memory (including calls in flight); approximate while writes are in progress.
     * Entries only on disk are not counted.
     *
     * <pre>{@code
     * long entries = cache.size();
     * }</pre>
     *
     * @return the estimated in-memory entry count
     */
    public long size() {
        return memory.synchronous().estimatedSize();
    }

    /**
     * Counters since this cache was built. Every subscription to {@link #call(LanguageModel, LmRequest)} counts
     * exactly once, in one of them.
     *
     * <pre>{@code
     * LmCache.Stats s = cache.stats();
     * System.out.printf("%d hits, %d model calls%n", s.hits() + s.diskHits() + s.coalesced(), s.misses());
     * }</pre>
     *
     * @return a snapshot of the counters
     */
    public Stats stats() {
        return new Stats(hits.sum(), misses.sum(), diskHits.sum(), coalesced.sum());
    }

    @Override
    public String toString() {
        return "LmCache[size=" + size() + (disk == null ? "" : ", directory=" + disk.directory()) + ", " + stats()
                + "]";
    }

    /**
     * A snapshot of a cache's counters.
     *
     * <pre>{@code
     * assert cache.stats().misses() == 1; // one model call for 50 identical concurrent requests
     * }</pre>
     *
     * @param hits      answered from memory with the answer already there
     * @param misses    answered by calling the model (the number of underlying calls)
     * @param diskHits  answered from a file on disk (then kept in memory too)
     * @param coalesced answered by joining an identical call (or disk read) already in flight
     */
    public record Stats(long hits, long misses, long diskHits, long coalesced) {

        /** @return all subscriptions counted: {@code hits + misses + diskHits + coalesced} */
        public long requests() {
            return hits + misses + diskHits + coalesced;
        }
    }

    /**
     * Configures an {@link LmCache}.
     *
     * <pre>{@code
     * LmCache cache = LmCache.builder()
     *     .maxEntries(10_000)
     *     .expireAfterWrite(Duration.ofDays(7))
     *     .directory(Path.of(".dspex_cache"))
     *     .build();
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
         * @param maxEntries the in-memory bound, at least 1 (the disk is not bounded)
         * @return this builder
         * @throws IllegalArgumentException when {@code maxEntries < 1}
         */
        public Builder maxEntries(long maxEntries) {
            if (maxEntries < 1) {
                throw new IllegalArgumentException("LmCache maxEntries must be >= 1, got " + maxEntries);
            }
            this.maxEntries = maxEntries;
            return this;
        }

        /**
         * Entries older than this are misses, in memory and on disk (by the time written into the file).
         *
         * @param expireAfterWrite a positive duration, or null for no expiry (the default)
         * @return this builder
         * @throws IllegalArgumentException when zero or negative
         */
        public Builder expireAfterWrite(@Nullable Duration expireAfterWrite) {
            if (expireAfterWrite != null && (expireAfterWrite.isZero() || expireAfterWrite.isNegative())) {
                throw new IllegalArgumentException("LmCache expireAfterWrite must be positive, got "
                        + expireAfterWrite);
            }
            this.expireAfterWrite = expireAfterWrite;
            return this;
        }

        /**
         * Keeps entries on disk in this directory too, so they survive a restart. Created by {@link #build()}
         * if missing. Share a directory only between caches of the same format (this class).
         *
         * @param directory the directory, or null for memory only (the default)
         * @return this builder
         */
        public Builder directory(@Nullable Path directory) {
            this.directory = directory;
            return this;
        }

        /** Test hook: the wall clock in epoch milliseconds, for expiry in memory and on disk. */
        Builder clock(LongSupplier nowMillis) {
            this.nowMillis = nowMillis;
            return this;
        }

        /**
         * Builds the cache, creating the directory when one is set and missing (blocking file work: call this at
         * set-up, not on an event loop).
         *
         * @return the cache
         * @throws IllegalArgumentException when the directory path exists and is not a directory
         * @throws UncheckedIOException     when the directory cannot be created
         */
        public LmCache build() {
            if (directory != null) {
                if (Files.exists(directory) && !Files.isDirectory(directory)) {
                    throw new IllegalArgumentException("LmCache directory " + directory + " is not a directory");
                }
                try {
                    Files.createDirectories(directory);
                } catch (IOException e) {
                    throw new UncheckedIOException("LmCache cannot create directory " + directory, e);
                }
            }
            return new LmCache(this);
        }
    }
}

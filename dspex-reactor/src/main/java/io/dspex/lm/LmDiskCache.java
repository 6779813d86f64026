package io.dspex.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;
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
 * The persistent half of {@link LmCache}: one JSON file per entry at {@code <dir>/<key[0..2]>/<key>.json}.
 * Every method returns a lazy publisher whose file work runs on {@link Schedulers#boundedElastic()}.
 *
 * <p>File form (version 1): {@code {"v":1,"key":"<sha256>","written":<epoch ms>,"response":{"choices":[{"text":..,
 * "finishReason":..}],"usage":{..},"model":..,"requestId":..,"raw":"<body as received>"}}}. The raw body is kept
 * as a string so it reads back byte for byte.
 */
final class LmDiskCache {

    private static final Logger LOG = LoggerFactory.getLogger(LmCache.class);
    private static final int FORMAT = 1;
    private static final Pattern SHARD = Pattern.compile("[0-9a-f]{2}");
    private static final Pattern ENTRY = Pattern.compile("[0-9a-f]{64}\\.json|[0-9a-f]{64}.*\\.tmp");

    private final Path directory;
    private final @Nullable Duration expireAfterWrite;
    private final LongSupplier nowMillis;
    /** Paths already reported as unreadable, so each is logged once. */
    private final Set<Path> warned = ConcurrentHashMap.newKeySet();

    LmDiskCache(Path directory, @Nullable Duration expireAfterWrite, LongSupplier nowMillis) {
        this.directory = directory;
        this.expireAfterWrite = expireAfterWrite;
        this.nowMillis = nowMillis;
    }

    Path directory() {
        return directory;
    }

    Path pathOf(String key) {
        return directory.resolve(key.substring(0, 2)).resolve(key + ".json");
    }

    /** The stored response, or empty when absent, expired, corrupt or unreadable (the last two logged once). */
    Mono<LmResponse> read(String key) {
        return Mono.fromCallable(() -> readNow(key).orElse(null)).subscribeOn(Schedulers.boundedElastic());
    }

    /** Stores the response atomically; a failure is logged and swallowed (the answer is still good). */
    Mono<Void> write(String key, LmResponse response) {
        return Mono.<Void>fromRunnable(() -> writeNow(key, response)).subscribeOn(Schedulers.boundedElastic());
    }

    /** Deletes every entry file (and stray temporary file) this cache wrote; other files are left alone. */
    Mono<Void> clear() {
        return Mono.<Void>fromRunnable(this::clearNow).subscribeOn(Schedulers.boundedElastic());
    }

    private Optional<LmResponse> readNow(String key) {
        Path path = pathOf(key);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            warnOnce(path, "cannot be read", e);
            return Optional.empty();
        }
        try {
            JsonNode root = Json.MAPPER.readTree(bytes);
            if (root == null || !root.isObject() || root.path("v").asInt() != FORMAT
                    || !key.equals(root.path("key").asText()) || !root.path("response").isObject()) {
                warnOnce(path, "is not an LM cache entry of format " + FORMAT + " for its key", null);
                return Optional.empty();
            }
            if (expireAfterWrite != null) {
                long written = root.path("written").asLong(0);
                if (nowMillis.getAsLong() - written >= expireAfterWrite.toMillis()) {
                    return Optional.empty();
                }
            }
            LmResponse response = Json.MAPPER.treeToValue(root.get("response"), LmResponse.class);
            if (response == null) {
                warnOnce(path, "holds no response", null);
                return Optional.empty();
            }
            return Optional.of(response);
        } catch (IOException | RuntimeException e) {
            warnOnce(path, "is corrupt", e);
            return Optional.empty();
        }
    }

    private void warnOnce(Path path, String what, @Nullable Exception e) {
        if (warned.add(path)) {
            // The exception's class only: a parser message could quote the file's content.
            LOG.warn("LM cache file {} {}; treating it as a miss{}", path, what,
                    e == null ? "" : " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private void writeNow(String key, LmResponse response) {
        Path target = pathOf(key);
        @Nullable Path temp = null;
        try {
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.put("v", FORMAT);
            root.put("key", key);
            root.put("written", nowMillis.getAsLong());
            root.set("response", Json.MAPPER.valueToTree(response));
            byte[] bytes = Json.MAPPER.writeValueAsBytes(root);
            Path shard = Files.createDirectories(target.getParent());
            temp = Files.createTempFile(shard, key, ".tmp");
            Files.write(temp, bytes);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
            warned.remove(target);
        } catch (IOException | RuntimeException e) {
            LOG.warn("LM cache could not write {}; the entry stays in memory only ({}: {})", target,
                    e.getClass().getSimpleName(), e instanceof IOException ? e.getMessage() : "");
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // Best effort: a stray temporary file is removed by clear().
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
            throw new UncheckedIOException("LM cache could not clear " + directory, e);
        }
        warned.clear();
    }
}

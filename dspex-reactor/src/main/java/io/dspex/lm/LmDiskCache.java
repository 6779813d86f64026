package io.dspex.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.internal.Json;
import io.dspex.internal.KeyedFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongSupplier;
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

    private final KeyedFiles files;
    private final @Nullable Duration expireAfterWrite;
    private final LongSupplier nowMillis;

    LmDiskCache(Path directory, @Nullable Duration expireAfterWrite, LongSupplier nowMillis) {
        this.files = new KeyedFiles(directory, ".json", "LM cache", LOG);
        this.expireAfterWrite = expireAfterWrite;
        this.nowMillis = nowMillis;
    }

    Path directory() {
        return files.directory();
    }

    Path pathOf(String key) {
        return files.pathOf(key);
    }

    /** The stored response, or empty when absent, expired, corrupt or unreadable (the last two logged once). */
    Mono<LmResponse> read(String key) {
        return Mono.fromCallable(() -> readNow(key)).subscribeOn(Schedulers.boundedElastic());
    }

    /** Stores the response atomically; a failure is logged and swallowed (the answer is still good). */
    Mono<Void> write(String key, LmResponse response) {
        return Mono.<Void>fromRunnable(() -> writeNow(key, response)).subscribeOn(Schedulers.boundedElastic());
    }

    /** Deletes every entry file (and stray temporary file) this cache wrote; other files are left alone. */
    Mono<Void> clear() {
        return Mono.<Void>fromRunnable(files::clear).subscribeOn(Schedulers.boundedElastic());
    }

    private @Nullable LmResponse readNow(String key) {
        byte[] bytes = files.read(key);
        if (bytes == null) {
            return null;
        }
        try {
            JsonNode root = Json.MAPPER.readTree(bytes);
            if (root == null || !root.isObject() || root.path("v").asInt() != FORMAT
                    || !key.equals(root.path("key").asText()) || !root.path("response").isObject()) {
                files.warnOnce(key, "is not an LM cache entry of format " + FORMAT + " for its key");
                return null;
            }
            if (expireAfterWrite != null) {
                long written = root.path("written").asLong(0);
                if (nowMillis.getAsLong() - written >= expireAfterWrite.toMillis()) {
                    return null;
                }
            }
            LmResponse response = Json.MAPPER.treeToValue(root.get("response"), LmResponse.class);
            if (response == null) {
                files.warnOnce(key, "holds no response");
            }
            return response;
        } catch (IOException | RuntimeException e) {
            // The exception's class only: a parser message could quote the file's content.
            files.warnOnce(key, "is corrupt (" + e.getClass().getSimpleName() + ")");
            return null;
        }
    }

    private void writeNow(String key, LmResponse response) {
        byte[] bytes;
        try {
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.put("v", FORMAT);
            root.put("key", key);
            root.put("written", nowMillis.getAsLong());
            root.set("response", Json.MAPPER.valueToTree(response));
            bytes = Json.MAPPER.writeValueAsBytes(root);
        } catch (IOException | RuntimeException e) {
            LOG.warn("LM cache could not encode the entry {}; it stays in memory only ({})", key,
                    e.getClass().getSimpleName());
            return;
        }
        files.write(key, bytes);
    }
}

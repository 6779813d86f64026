package io.dspex.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The file side of the library's disk caches (the LM cache, the embedding cache): one file per entry at
 * {@code <dir>/<key[0..2]>/<key><suffix>}, for keys of 64 lowercase hex digits (SHA-256). Writes are atomic (a
 * temporary file moved over the entry), a failed write or an unreadable file is logged and treated as a miss, and
 * each unreadable file is reported once. Every method does blocking file work: callers run it on
 * {@code Schedulers.boundedElastic()}. Not for users.
 */
public final class KeyedFiles {

    private static final Pattern SHARD = Pattern.compile("[0-9a-f]{2}");

    private final Path directory;
    private final String suffix;
    private final String name;
    private final Logger log;
    private final Pattern entry;
    /** Paths already reported as unreadable, so each is logged once. */
    private final Set<Path> warned = ConcurrentHashMap.newKeySet();

    /**
     * @param directory where the entries live
     * @param suffix    the entry files' suffix, e.g. {@code .json}
     * @param name      what the log lines call the cache, e.g. {@code LM cache}
     * @param log       the cache's logger
     */
    public KeyedFiles(Path directory, String suffix, String name, Logger log) {
        this.directory = directory;
        this.suffix = suffix;
        this.name = name;
        this.log = log;
        this.entry = Pattern.compile("[0-9a-f]{64}" + Pattern.quote(suffix) + "|[0-9a-f]{64}.*\\.tmp");
    }

    /** @return the directory */
    public Path directory() {
        return directory;
    }

    /**
     * @param key the entry's key
     * @return the entry's file
     */
    public Path pathOf(String key) {
        return directory.resolve(key.substring(0, 2)).resolve(key + suffix);
    }

    /**
     * @param key the entry's key
     * @return the file's bytes, or null when there is none or it cannot be read (logged once)
     */
    public byte @Nullable [] read(String key) {
        Path path = pathOf(key);
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            warnOnce(key, "cannot be read (" + e.getClass().getSimpleName() + ")");
            return null;
        }
    }

    /**
     * Logs, once per file, that an entry's file is unusable and treated as a miss.
     *
     * @param key  the entry's key
     * @param what what is wrong with it (never the file's content: it could hold prompts)
     */
    public void warnOnce(String key, String what) {
        Path path = pathOf(key);
        if (warned.add(path)) {
            log.warn("{} file {} {}; treating it as a miss", name, path, what);
        }
    }

    /**
     * Writes an entry atomically; a failure is logged and swallowed (the entry stays in memory only).
     *
     * @param key   the entry's key
     * @param bytes its content
     */
    public void write(String key, byte[] bytes) {
        Path target = pathOf(key);
        @Nullable Path temp = null;
        try {
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
            log.warn("{} could not write {}; the entry stays in memory only ({}: {})", name, target,
                    e.getClass().getSimpleName(), e instanceof IOException ? e.getMessage() : "");
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

    /**
     * Deletes every entry file (and stray temporary file) of this suffix; other files are left alone.
     *
     * @throws UncheckedIOException when the directory cannot be listed or a file deleted
     */
    public void clear() {
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
                        if (entry.matcher(file.getFileName().toString()).matches()) {
                            Files.deleteIfExists(file);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(name + " could not clear " + directory, e);
        }
        warned.clear();
    }
}

package io.dspex.retrieve;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A directory given to {@link Embeddings#load} does not hold a readable index: a file is missing, truncated,
 * of another format or version, or disagrees with another file (the corpus size and the vector count, for
 * example). The message names the directory and the file.
 *
 * <pre>{@code
 * Embeddings.load(dir, embedder)
 *         .onErrorResume(IndexFormatException.class, e -> Embeddings.of(corpus, embedder));
 * }</pre>
 */
public final class IndexFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The directory (not serialized). */
    private final transient @Nullable Path directory;

    IndexFormatException(Path directory, String problem, @Nullable Throwable cause) {
        super("index directory " + directory + ": " + problem, cause);
        this.directory = directory;
    }

    /** @return the directory that was read (null only in a copy deserialized elsewhere) */
    public @Nullable Path directory() {
        return directory;
    }
}

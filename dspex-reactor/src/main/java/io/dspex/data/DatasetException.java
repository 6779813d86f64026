package io.dspex.data;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A dataset file could not be read into examples: it is malformed, or a record lacks an input key. The message
 * starts with {@code file:line:column:} and says what was wrong; the parts are also available as
 * {@link #file()}, {@link #line()} and {@link #column()}.
 *
 * <pre>{@code
 * try {
 *     Datasets.readJsonl(path, "question");
 * } catch (DatasetException e) {
 *     System.err.println("fix line " + e.line() + " of " + e.file() + ": " + e.getMessage());
 * }
 * }</pre>
 */
public final class DatasetException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The file being read (not serialized). */
    private final transient @Nullable Path file;
    /** The 1-based line, or 0. */
    private final long line;
    /** The 1-based column, or 0. */
    private final long column;

    DatasetException(Path file, long line, long column, String problem, @Nullable Throwable cause) {
        super(file + (line > 0 ? ":" + line + (column > 0 ? ":" + column : "") : "") + ": " + problem, cause);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    /** @return the file being read (null only in a copy deserialized elsewhere: the path is not serialized) */
    public @Nullable Path file() {
        return file;
    }

    /** @return the 1-based line of the problem, or 0 when it concerns the whole file */
    public long line() {
        return line;
    }

    /** @return the 1-based column (character) of the problem in its line, or 0 when unknown */
    public long column() {
        return column;
    }
}

package io.dspex.evaluate;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An evaluation stopped because failures reached {@code maxErrors} (DSPy's "Execution cancelled due to errors").
 * The message says how many examples failed out of how many finished, and the first and last error; the
 * {@linkplain #getCause() cause} is the first error. In-flight examples were cancelled.
 *
 * <pre>{@code
 * evaluate.run(program).onErrorResume(EvaluationException.class, e -> {
 *     log.error("{} failed; first at example {}", e.errorCount(), e.failedRows().get(0).index(), e);
 *     return Mono.empty();
 * });
 * }</pre>
 */
public final class EvaluationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The failed rows (not serialized). */
    private final transient @Nullable List<EvaluationRow> failedRows;
    /** Examples finished when the run stopped. */
    private final int finishedCount;
    /** Size of the dev set. */
    private final int total;

    EvaluationException(String message, Throwable firstCause, List<EvaluationRow> failedRows, int finishedCount,
                        int total) {
        super(message, firstCause);
        this.failedRows = List.copyOf(failedRows);
        this.finishedCount = finishedCount;
        this.total = total;
    }

    /** @return how many examples failed before the run stopped */
    public int errorCount() {
        return failedRows().size();
    }

    /** @return the failed rows, in the order they failed */
    public List<EvaluationRow> failedRows() {
        return failedRows == null ? List.of() : failedRows;
    }

    /** @return how many examples had finished (succeeded or failed) when the run stopped */
    public int finishedCount() {
        return finishedCount;
    }

    /** @return the size of the dev set */
    public int total() {
        return total;
    }
}

package io.dspex;

/**
 * A saved program state (DSPy's JSON) that cannot be loaded onto a program: malformed JSON, a missing or extra
 * predictor, a field list that does not match the signature, a value of the wrong type. The message names the
 * file, the predictor and the field or demo at fault.
 *
 * <pre>{@code
 * try {
 *     Program loaded = program.load(Path.of("program.json"));
 * } catch (ProgramStateException e) {
 *     log.error("cannot load: {}", e.getMessage());
 * }
 * }</pre>
 */
public class ProgramStateException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, and where */
    public ProgramStateException(String message) {
        super(message);
    }

    /** @param message what is wrong, and where @param cause the underlying failure */
    public ProgramStateException(String message, Throwable cause) {
        super(message, cause);
    }
}

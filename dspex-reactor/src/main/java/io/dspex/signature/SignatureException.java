package io.dspex.signature;




/**
 * A malformed signature or type string, or an invalid edit of a {@link Signature}. The message names the
 * problem and, for a spec string, its position: the 1-based column in the string.
 *
 * <pre>{@code
 * try {
 *     Signature.parse("question answer");
 * } catch (SignatureException e) {
 *     e.getMessage(); // "missing '->' between inputs and outputs at column 16 of 'question answer'"
 *     e.column();     // 16
 * }
 * }</pre>
 */
public class SignatureException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final int column;

    /**
     * @param problem what is wrong
     * @param spec    the string being parsed
     * @param column  1-based column of the problem in {@code spec}
     */
    public SignatureException(String problem, String spec, int column) {
        super(problem + " at column " + column + " of '" + spec + "'");
        this.column = column;
    }

    /** @param message what is wrong (an edit or builder error, with no spec string) */
    public SignatureException(String message) {
        super(message);
        this.column = -1;
    }

    /** @return the 1-based column of the problem in the spec string, or -1 when the error is not about a string */
    public int column() {
        return column;
    }
}

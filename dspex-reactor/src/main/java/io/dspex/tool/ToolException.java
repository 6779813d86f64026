package io.dspex.tool;

/**
 * A tool call that could not run or did not finish: invalid arguments (unknown, missing, or not fitting the
 * argument's JSON schema), a tool name that matches no tool, a tool that timed out, or one whose function returned
 * {@code null} instead of a {@code Mono}. Its message says which, in DSPy's words where DSPy has them
 * ({@code Arg x is invalid: ...}); {@code ReAct} shows it to the model as {@code Execution error in NAME: MESSAGE}.
 * Errors the tool's own function signals reach the caller unchanged.
 */
public class ToolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String toolName;

    /**
     * @param toolName the tool's name
     * @param message  what went wrong
     */
    public ToolException(String toolName, String message) {
        super(message);
        this.toolName = toolName;
    }

    /**
     * @param toolName the tool's name
     * @param message  what went wrong
     * @param cause    the underlying error
     */
    public ToolException(String toolName, String message, Throwable cause) {
        super(message, cause);
        this.toolName = toolName;
    }

    /** @return the name of the tool the call was for */
    public String toolName() {
        return toolName;
    }
}

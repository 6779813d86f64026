package io.dspex.adapter;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An adapter could not read the outputs out of a model's reply (DSPy's {@code AdapterParseError}). The message is
 * exactly DSPy's:
 *
 * <pre>
 * Adapter ChatAdapter failed to parse the LM response. \n\nLM Response: {reply} \n\n
 * Expected to find output fields in the LM response: [a, b] \n\n
 * Actual output fields parsed from the LM response: [a] \n\n
 * </pre>
 *
 * <p>(one string, shown wrapped here), preceded by a specific problem and {@code \n\n} when there is one (a value
 * that does not fit its type, a reply that is no JSON object). Unchecked.
 */
public class AdapterParseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String adapterName;
    private final String completion;
    private final List<String> expectedFields;
    private final List<String> parsedFields;

    /**
     * @param adapterName    {@code ChatAdapter} or {@code JSONAdapter}
     * @param completion     the reply (or the part of it that was read)
     * @param expectedFields the signature's output field names
     * @param parsedFields   the fields read before the failure; null when the failure is not about missing fields
     *                       (then DSPy's message has no "Actual output fields" line)
     * @param problem        a specific problem put first
     * @param cause          the cause
     */
    public AdapterParseException(String adapterName, String completion, List<String> expectedFields,
                                 @Nullable List<String> parsedFields, @Nullable String problem,
                                 @Nullable Throwable cause) {
        super(message(adapterName, completion, expectedFields, parsedFields, problem), cause);
        this.adapterName = adapterName;
        this.completion = completion;
        this.expectedFields = List.copyOf(expectedFields);
        this.parsedFields = parsedFields == null ? List.of() : List.copyOf(parsedFields);
    }

    /** The longest completion quoted in full in the message; {@link #completion()} always holds all of it. */
    static final int MAX_QUOTED = 4_000;

    private static String shown(String completion) {
        if (completion == null || completion.length() <= MAX_QUOTED) {
            return completion;
        }
        return completion.substring(0, MAX_QUOTED) + "…(" + completion.length() + " chars in total; the whole reply "
                + "is in completion())";
    }

    private static String message(String adapter, String completion, List<String> expected,
                                  @Nullable List<String> parsed, @Nullable String problem) {
        StringBuilder sb = new StringBuilder(Math.min(completion == null ? 0 : completion.length(), MAX_QUOTED) + 400);
        if (problem != null && !problem.isEmpty()) {
            sb.append(shown(problem)).append("\n\n");
        }
        sb.append("Adapter ").append(adapter).append(" failed to parse the LM response. \n\n")
                .append("LM Response: ").append(shown(completion)).append(" \n\n")
                .append("Expected to find output fields in the LM response: [")
                .append(String.join(", ", expected)).append("] \n\n");
        if (parsed != null) {
            sb.append("Actual output fields parsed from the LM response: [").append(String.join(", ", parsed))
                    .append("] \n\n");
        }
        return sb.toString();
    }

    /** @return the adapter's DSPy name: {@code ChatAdapter} or {@code JSONAdapter} */
    public String adapterName() {
        return adapterName;
    }

    /** @return the reply that failed to parse */
    public String completion() {
        return completion;
    }

    /** @return the signature's output field names */
    public List<String> expectedFields() {
        return expectedFields;
    }

    /** @return the output fields that were read before the failure, in reply order (possibly empty) */
    public List<String> parsedFields() {
        return parsedFields;
    }
}

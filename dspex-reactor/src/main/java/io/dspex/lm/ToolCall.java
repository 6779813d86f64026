package io.dspex.lm;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One function call a model asked for (OpenAI's {@code tool_calls[i]}, Anthropic's {@code tool_use} block, Gemini's
 * {@code functionCall}): which tool, with which arguments, under which id (a {@link Message#tool tool message}
 * answers it by that id).
 *
 * <pre>{@code
 * LmResponse response = lm.call(request.withTools(List.of(weatherTool))).block();
 * for (ToolCall call : response.toolCalls()) {
 *     System.out.println(call.name() + " " + call.arguments());   // get_weather {"city": "Paris"}
 * }
 * }</pre>
 *
 * @param id        the call's id, unique within the response (providers that send none get {@code call_<n>})
 * @param name      the tool's name
 * @param arguments the arguments as the model wrote them: a JSON object's text (not validated here; it may be
 *                  malformed — the tool layer parses and validates it)
 */
public record ToolCall(@JsonProperty("id") String id, @JsonProperty("name") String name,
                       @JsonProperty("arguments") String arguments) {

    /**
     * @throws IllegalArgumentException naming the component when the id or name is null or blank, or the arguments
     *                                  are null
     */
    public ToolCall {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("tool call id must not be blank");
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("tool call name must not be blank (id " + id + ")");
        }
        if (arguments == null) {
            throw new IllegalArgumentException("tool call arguments must not be null (use \"{}\"); call " + name);
        }
    }

    /** @return the call, its arguments cut at 200 characters */
    @Override
    public String toString() {
        String shown = arguments.length() > 200
                ? arguments.substring(0, 200) + "…(" + arguments.length() + " chars)" : arguments;
        return "ToolCall[id=" + id + ", name=" + name + ", arguments=" + shown + "]";
    }
}

package io.dspex.observe;

import io.dspex.internal.Json;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationFilter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opts in to recording prompts and completions: adds OpenTelemetry's {@code gen_ai.input.messages} and
 * {@code gen_ai.output.messages} (JSON, in the GenAI conventions' message format: role, parts of type {@code text},
 * {@code uri}, {@code tool_call} or {@code tool_call_response}, and each output's {@code finish_reason}) to every LM
 * call's observation as high-cardinality key values, which a tracing handler writes as span attributes. Without it
 * no observation holds a prompt or a reply. Prompts can hold personal data: record them only where that is allowed.
 *
 * <pre>{@code
 * observations.observationConfig().observationFilter(new LmContentObservationFilter());
 * }</pre>
 */
public final class LmContentObservationFilter implements ObservationFilter {

    /** The input messages key: {@value}. */
    public static final String INPUT_MESSAGES = "gen_ai.input.messages";
    /** The output messages key: {@value}. */
    public static final String OUTPUT_MESSAGES = "gen_ai.output.messages";

    /** Creates the filter. */
    public LmContentObservationFilter() {
    }

    @Override
    public Observation.Context map(Observation.Context context) {
        if (!(context instanceof LmObservationContext lc)) {
            return context;
        }
        List<Object> input = new ArrayList<>();
        for (Message m : lc.request().messages()) {
            input.add(message(m));
        }
        context.addHighCardinalityKeyValue(io.micrometer.common.KeyValue.of(INPUT_MESSAGES, json(input)));
        LmResponse response = lc.response();
        if (response != null) {
            List<Object> output = new ArrayList<>();
            for (LmResponse.Choice c : response.choices()) {
                List<Object> parts = new ArrayList<>();
                if (!c.text().isEmpty()) {
                    parts.add(text(c.text()));
                }
                for (ToolCall call : c.toolCalls()) {
                    parts.add(toolCall(call));
                }
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("role", "assistant");
                out.put("parts", parts);
                out.put("finish_reason", c.finishReason() == null ? "" : c.finishReason());
                output.add(out);
            }
            context.addHighCardinalityKeyValue(io.micrometer.common.KeyValue.of(OUTPUT_MESSAGES, json(output)));
        }
        return context;
    }

    private static Map<String, Object> message(Message m) {
        List<Object> parts = new ArrayList<>();
        if (m.role() == Message.Role.TOOL) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("type", "tool_call_response");
            p.put("id", m.toolCallId());
            p.put("response", m.content());
            parts.add(p);
        } else if (m.hasParts()) {
            for (Message.Part part : m.parts()) {
                if (part instanceof Message.Part.Text t) {
                    parts.add(text(t.text()));
                } else if (part instanceof Message.Part.ImageUrl i) {
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("type", "uri");
                    p.put("modality", "image");
                    p.put("uri", i.url());
                    parts.add(p);
                }
            }
        } else if (!m.content().isEmpty()) {
            parts.add(text(m.content()));
        }
        for (ToolCall call : m.toolCalls()) {
            parts.add(toolCall(call));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", m.role().toString());
        out.put("parts", parts);
        return out;
    }

    private static Map<String, Object> text(String content) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", "text");
        p.put("content", content);
        return p;
    }

    private static Map<String, Object> toolCall(ToolCall call) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", "tool_call");
        p.put("id", call.id());
        p.put("name", call.name());
        Object args;
        try {
            args = Json.MAPPER.readValue(call.arguments(), Object.class);
        } catch (java.io.IOException e) {
            args = call.arguments();
        }
        p.put("arguments", args);
        return p;
    }

    private static String json(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "[]";
        }
    }
}

package io.dspex.tool;

import io.dspex.internal.Json;
import io.dspex.internal.PyFormat;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The tools of an MCP server as {@link Tool}s (DSPy's {@code dspy.Tool.from_mcp_tool}), through the official MCP
 * Java SDK's {@link McpAsyncClient}: names, descriptions and input schemas from {@code tools/list}, calls through
 * {@code tools/call}, all non-blocking.
 *
 * <pre>{@code
 * McpAsyncClient client = McpClient.async(new StdioClientTransport(
 *         ServerParameters.builder("npx").args("-y", "@modelcontextprotocol/server-everything").build(),
 *         McpJsonDefaults.getMapper())).build();
 * List<Tool> tools = client.initialize().then(McpTools.from(client)).block();
 * ReAct agent = ReAct.of("question -> answer", tools).withLm(lm);
 * }</pre>
 *
 * <p><b>As DSPy converts them.</b> Each tool's arguments are its input schema's {@code properties}, with references
 * into {@code $defs} resolved; a call must give the arguments the schema lists as {@code required}, and they are
 * validated against their schemas before the call (as any {@link Tool}'s). The result is the text of the result's
 * text content — one text as a {@code String}, several as a {@code List<String>} — or, when there is no text, the
 * other content items as JSON objects. A result flagged {@code isError} fails the call with
 * {@code Failed to call a MCP tool: TEXT}, which {@code ReAct} shows as {@code Execution error in NAME: ...}; so does
 * an MCP error (a JSON-RPC error, a closed transport).
 *
 * <p>The SDK is an optional dependency of this library: add {@code io.modelcontextprotocol.sdk:mcp-core} and a JSON
 * binding ({@code mcp-json-jackson2}) to use this class. The client is the caller's: these tools do not initialize,
 * close or otherwise manage it (the SDK initializes a client on its first request when it was not initialized).
 */
public final class McpTools {

    private McpTools() {
    }

    /**
     * Lists the server's tools (every page) and wraps each as a {@link Tool} whose calls go to this client.
     *
     * @param client the client of the MCP server
     * @return the tools, in the server's order; an {@link IllegalArgumentException} signal naming a tool whose name is
     *         not OpenAI's function-name rule ({@code [a-zA-Z0-9_-]{1,64}}) or whose input schema is not an object
     *         schema; the SDK's error when listing fails
     */
    public static Mono<List<Tool>> from(McpAsyncClient client) {
        if (client == null) {
            return Mono.error(new IllegalArgumentException("the MCP client must not be null"));
        }
        return client.listTools()
                .expand(page -> page.nextCursor() == null || page.nextCursor().isEmpty() ? Mono.empty()
                        : client.listTools(page.nextCursor()))
                .concatMapIterable(McpSchema.ListToolsResult::tools)
                .map(t -> toTool(client, t))
                .collectList();
    }

    /**
     * Wraps one MCP tool (DSPy's {@code convert_mcp_tool}).
     *
     * @param client the client its calls go to
     * @param tool   the tool as {@code tools/list} described it
     * @return the tool
     * @throws IllegalArgumentException naming the tool when its name or input schema cannot be a {@link Tool}'s
     */
    public static Tool from(McpAsyncClient client, McpSchema.Tool tool) {
        if (client == null || tool == null) {
            throw new IllegalArgumentException("the MCP client and tool must not be null");
        }
        return toTool(client, tool);
    }

    @SuppressWarnings("unchecked")
    private static Tool toTool(McpAsyncClient client, McpSchema.Tool tool) {
        String name = tool.name();
        Map<String, Object> schema = tool.inputSchema() == null ? Map.of() : tool.inputSchema();
        Object type = schema.get("type");
        if (type != null && !"object".equals(type)) {
            throw new IllegalArgumentException("MCP tool '" + name + "' has an input schema of type " + type
                    + "; a tool's arguments are an object schema");
        }
        Map<String, Map<String, Object>> args = new LinkedHashMap<>();
        Object properties = schema.get("properties");
        if (properties != null && !(properties instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("MCP tool '" + name + "' has input schema properties that are not an "
                    + "object: " + properties);
        }
        Object defs = schema.get("$defs");
        if (properties instanceof Map<?, ?> props) {
            for (Map.Entry<?, ?> e : props.entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> prop)) {
                    throw new IllegalArgumentException("argument '" + e.getKey() + "' of MCP tool '" + name
                            + "' has a schema that is not an object: " + e.getValue());
                }
                Map<String, Object> p = new LinkedHashMap<>();
                if (defs instanceof Map<?, ?> d && !d.isEmpty()) {
                    p.put("$defs", d);
                }
                ((Map<String, Object>) prop).forEach(p::put);
                String arg = String.valueOf(e.getKey());
                args.put(arg, Tool.deepCopy(Tool.resolveRefs(p, name, arg)));
            }
        }
        Set<String> required = new LinkedHashSet<>();
        if (schema.get("required") instanceof List<?> req) {
            for (Object r : req) {
                if (args.containsKey(String.valueOf(r))) {
                    required.add(String.valueOf(r));
                }
            }
        }
        return Tool.create(name, tool.description(), args, required,
                a -> client.callTool(new McpSchema.CallToolRequest(name, a)).map(r -> result(name, r)), false);
    }

    /** DSPy's {@code _convert_mcp_tool_result} in text mode. */
    private static Object result(String name, McpSchema.CallToolResult result) {
        List<String> texts = new ArrayList<>();
        List<Object> others = new ArrayList<>();
        for (McpSchema.Content c : result.content()) {
            if (c instanceof McpSchema.TextContent t) {
                texts.add(t.text());
            } else {
                others.add(jsonOf(c));
            }
        }
        Object content = texts.size() == 1 ? texts.get(0) : texts;
        if (Boolean.TRUE.equals(result.isError())) {
            throw new ToolException(name, "Failed to call a MCP tool: " + PyFormat.str(content));
        }
        return texts.isEmpty() ? others : content;
    }

    private static @Nullable Object jsonOf(McpSchema.Content c) {
        try {
            return Json.MAPPER.convertValue(c, Object.class);
        } catch (IllegalArgumentException e) {
            return String.valueOf(c);
        }
    }
}

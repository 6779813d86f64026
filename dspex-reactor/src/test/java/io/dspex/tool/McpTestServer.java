package io.dspex.tool;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import reactor.core.publisher.Mono;

/**
 * A small MCP server for the tests, built with the MCP Java SDK's server side: in-process over streamable HTTP, and as
 * a process of its own over stdio ({@link #main}, launched with the test class path).
 *
 * <p>Its tools: {@code add(a: integer, b: integer)} (one text), {@code echo(text: string, times?: integer)} (as many
 * texts), {@code fail(path: string)} (an {@code isError} result), {@code picture()} (image content only) and
 * {@code place(where: Place)} (an argument whose schema is a reference into {@code $defs}).
 */
final class McpTestServer {

    private McpTestServer() {
    }

    static List<McpServerFeatures.AsyncToolSpecification> tools(McpJsonMapper json) {
        return List.of(
                tool(json, "add", "Add two integers.", """
                        {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                         "required": ["a", "b"]}""",
                        args -> text(String.valueOf(((Number) args.get("a")).longValue()
                                + ((Number) args.get("b")).longValue()))),
                tool(json, "echo", "Echo a text, several times.", """
                        {"type": "object", "properties": {"text": {"type": "string", "description": "what to say"},
                         "times": {"type": "integer"}}, "required": ["text"]}""",
                        args -> {
                            int times = args.containsKey("times") ? ((Number) args.get("times")).intValue() : 1;
                            McpSchema.CallToolResult.Builder b = McpSchema.CallToolResult.builder();
                            for (int i = 0; i < times; i++) {
                                b.addTextContent(String.valueOf(args.get("text")));
                            }
                            return b.build();
                        }),
                tool(json, "fail", "Read a file that is not there.", """
                        {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}""",
                        args -> McpSchema.CallToolResult.builder().addTextContent("no such file: " + args.get("path"))
                                .isError(true).build()),
                tool(json, "picture", null, """
                        {"type": "object", "properties": {}}""",
                        args -> McpSchema.CallToolResult.builder().addContent(new McpSchema.ImageContent(null,
                                "iVBORw0KGgo=", "image/png")).build()),
                tool(json, "place", "Describe a place.", """
                        {"type": "object", "$defs": {"Place": {"type": "object",
                         "properties": {"city": {"type": "string"}}, "required": ["city"]}},
                         "properties": {"where": {"$ref": "#/$defs/Place"}}, "required": ["where"]}""",
                        args -> text("somewhere in " + ((Map<?, ?>) args.get("where")).get("city"))));
    }

    private interface Handler {
        McpSchema.CallToolResult apply(Map<String, Object> args);
    }

    private static McpServerFeatures.AsyncToolSpecification tool(McpJsonMapper json, String name, String description,
                                                                 String schema, Handler handler) {
        McpSchema.Tool.Builder t = McpSchema.Tool.builder().name(name).inputSchema(json, schema);
        if (description != null) {
            t.description(description);
        }
        return new McpServerFeatures.AsyncToolSpecification(t.build(),
                (exchange, request) -> Mono.fromCallable(() -> handler.apply(request.arguments())));
    }

    private static McpSchema.CallToolResult text(String text) {
        return McpSchema.CallToolResult.builder().addTextContent(text).build();
    }

    static McpJsonMapper mapper() {
        return new JacksonMcpJsonMapper(new ObjectMapper());
    }

    static McpAsyncServer serve(McpStreamableServerTransportProvider transport, McpJsonMapper json) {
        return McpServer.async(transport).serverInfo("dspex-test", "1.0").jsonMapper(json)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(tools(json)).build();
    }

    static McpAsyncServer serve(McpServerTransportProvider transport, McpJsonMapper json) {
        return McpServer.async(transport).serverInfo("dspex-test", "1.0").jsonMapper(json)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(tools(json)).build();
    }

    /**
     * The server over stdio, until the process is ended. Standard output carries the protocol only: everything else
     * printed (logging) goes to standard error.
     *
     * @param args none
     * @throws InterruptedException never in practice
     */
    public static void main(String[] args) throws InterruptedException {
        PrintStream protocol = System.out;
        System.setOut(System.err);
        McpJsonMapper json = mapper();
        serve(new StdioServerTransportProvider(json, System.in, protocol), json);
        new CountDownLatch(1).await();
    }
}

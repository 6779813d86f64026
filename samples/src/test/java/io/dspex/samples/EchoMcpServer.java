package io.dspex.samples;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import reactor.core.publisher.Mono;

/**
 * A tiny MCP server over stdio for {@link AgentTest}: one tool, {@code echo(message: string)}. Started as a process of
 * its own with the test class path, as {@code MCP_SERVER_CMD} would start any server.
 */
public final class EchoMcpServer {

    private EchoMcpServer() {
    }

    /**
     * Serves until the process is ended; standard output carries the protocol only.
     *
     * @param args none
     * @throws InterruptedException never in practice
     */
    public static void main(String[] args) throws InterruptedException {
        PrintStream protocol = System.out;
        System.setOut(System.err);
        McpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
        McpSchema.Tool echo = McpSchema.Tool.builder().name("echo").description("Echo a message back.")
                .inputSchema(json, "{\"type\": \"object\", \"properties\": {\"message\": {\"type\": \"string\"}}, "
                        + "\"required\": [\"message\"]}").build();
        McpServer.async(new StdioServerTransportProvider(json, System.in, protocol)).jsonMapper(json)
                .serverInfo("echo", "1.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(new McpServerFeatures.AsyncToolSpecification(echo, (exchange, request) -> Mono.just(
                        McpSchema.CallToolResult.builder().addTextContent("echo: " + request.arguments().get("message"))
                                .build())))
                .build();
        new CountDownLatch(1).await();
    }
}

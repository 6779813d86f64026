package io.dspex.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Prediction;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.predict.ReAct;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * {@link McpTools} against real MCP servers built with the SDK's server side ({@link McpTestServer}): one in a process
 * of its own over stdio (a Java main launched with the test class path) and one in-process over streamable HTTP (the
 * SDK's servlet transport in an embedded Tomcat). Each: the tools are listed with their schemas as DSPy converts them,
 * calls return text, several texts, non-text content, and an MCP error as a failure; and a ReAct agent uses them.
 */
class McpToolsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void toolsOfAServerOverStdio() throws Exception {
        McpJsonMapper json = McpTestServer.mapper();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ServerParameters params = ServerParameters.builder(java)
                .args("-cp", classPath, McpTestServer.class.getName()).build();
        McpAsyncClient client = McpClient.async(new StdioClientTransport(params, json))
                .requestTimeout(WAIT).initializationTimeout(WAIT).build();
        try {
            client.initialize().block(WAIT);
            checkTools(client);
        } finally {
            client.closeGracefully().block(WAIT);
        }
    }

    @Test
    void toolsOfAServerOverStreamableHttp() throws Exception {
        McpJsonMapper json = McpTestServer.mapper();
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(json).mcpEndpoint("/mcp").build();
        McpAsyncServer server = McpTestServer.serve(transport, json);
        Tomcat tomcat = new Tomcat();
        tomcat.setPort(0);
        tomcat.setHostname("127.0.0.1");
        tomcat.setBaseDir(System.getProperty("java.io.tmpdir"));
        Context context = tomcat.addContext("", System.getProperty("java.io.tmpdir"));
        Wrapper wrapper = context.createWrapper();
        wrapper.setName("mcp");
        wrapper.setServlet(transport);
        wrapper.setLoadOnStartup(1);
        wrapper.setAsyncSupported(true);
        context.addChild(wrapper);
        context.addServletMappingDecoded("/*", "mcp");
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.start();
        McpAsyncClient client = null;
        try {
            int port = tomcat.getConnector().getLocalPort();
            client = McpClient.async(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + port)
                            .endpoint("/mcp").jsonMapper(json).build())
                    .requestTimeout(WAIT).initializationTimeout(WAIT).build();
            client.initialize().block(WAIT);
            checkTools(client);
        } finally {
            if (client != null) {
                client.closeGracefully().block(WAIT);
            }
            server.closeGracefully().block(WAIT);
            tomcat.stop();
            tomcat.destroy();
        }
    }

    private static void checkTools(McpAsyncClient client) {
        List<Tool> tools = McpTools.from(client).block(WAIT);
        assertThat(tools).extracting(Tool::name).containsExactly("add", "echo", "fail", "picture", "place");
        Map<String, Tool> byName = new java.util.LinkedHashMap<>();
        tools.forEach(t -> byName.put(t.name(), t));

        Tool add = byName.get("add");
        assertThat(add.format()).isEqualTo("add, whose description is <desc>Add two integers.</desc>. It takes "
                + "arguments {'a': {'type': 'integer'}, 'b': {'type': 'integer'}}.");
        assertThat(add.call(Map.of("a", 1, "b", 2.0)).block(WAIT)).isEqualTo("3");
        StepVerifier.create(add.call(Map.of("a", "one", "b", 2)))
                .expectErrorMessage("Arg a is invalid: string found, integer expected").verify(WAIT);

        Tool echo = byName.get("echo");
        assertThat(echo.requiredArgs()).containsExactly("text");
        assertThat(echo.args().get("text")).isEqualTo(Map.of("type", "string", "description", "what to say"));
        assertThat(echo.call(Map.of("text", "hi")).block(WAIT)).isEqualTo("hi");
        assertThat(echo.call(Map.of("text", "hi", "times", 2)).block(WAIT)).isEqualTo(List.of("hi", "hi"));

        StepVerifier.create(byName.get("fail").call(Map.of("path", "/nope")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ToolException.class)
                        .hasMessage("Failed to call a MCP tool: no such file: /nope"))
                .verify(WAIT);

        Tool picture = byName.get("picture");
        assertThat(picture.description()).isNull();
        assertThat(picture.call(Map.of()).block(WAIT)).isEqualTo(List.of(Map.of("type", "image", "data",
                "iVBORw0KGgo=", "mimeType", "image/png")));

        Tool place = byName.get("place");
        assertThat(place.args().get("where")).isEqualTo(Map.of("type", "object", "properties",
                Map.of("city", Map.of("type", "string")), "required", List.of("city")));
        assertThat(place.call(Map.of("where", Map.of("city", "Lyon"))).block(WAIT)).isEqualTo("somewhere in Lyon");

        AtomicInteger calls = new AtomicInteger();
        List<String> replies = List.of(
                "[[ ## next_thought ## ]]\nAdd them.\n\n[[ ## next_tool_name ## ]]\nadd\n\n"
                        + "[[ ## next_tool_args ## ]]\n{\"a\": 20, \"b\": 22}",
                "[[ ## next_thought ## ]]\nRead it.\n\n[[ ## next_tool_name ## ]]\nfail\n\n"
                        + "[[ ## next_tool_args ## ]]\n{\"path\": \"/x\"}",
                "[[ ## next_thought ## ]]\nDone.\n\n[[ ## next_tool_name ## ]]\nfinish\n\n"
                        + "[[ ## next_tool_args ## ]]\n{}",
                "[[ ## reasoning ## ]]\nThe tool said 42.\n\n[[ ## answer ## ]]\n42");
        List<LmRequest> seen = new ArrayList<>();
        LanguageModel lm = request -> Mono.fromCallable(() -> {
            seen.add(request);
            return LmResponse.of(replies.get(calls.getAndIncrement()));
        });
        Prediction p = ReAct.of("question -> answer", tools).withLm(lm).forward(Map.of("question", "20 + 22?"))
                .block(WAIT);
        Map<?, ?> trajectory = (Map<?, ?>) p.get("trajectory");
        assertThat(trajectory.get("observation_0")).isEqualTo("42");
        assertThat(trajectory.get("observation_1"))
                .isEqualTo("Execution error in fail: Failed to call a MCP tool: no such file: /x");
        assertThat(p.get("answer")).isEqualTo("42");
        assertThat(seen.get(0).messages().get(0).content()).contains("(5) place, whose description is <desc>Describe "
                + "a place.</desc>. It takes arguments {'where': {'type': 'object', 'properties': {'city': {'type': "
                + "'string'}}, 'required': ['city']}}.");
    }

    @Test
    void toolsThatCannotBeToolsAreTypedErrors() {
        McpAsyncClient unused = McpClient.async(new StdioClientTransport(ServerParameters.builder("true").build(),
                McpTestServer.mapper())).build();
        McpSchema.Tool dotted = McpSchema.Tool.builder().name("fs.read").inputSchema(Map.of("type", "object")).build();
        assertThatThrownBy(() -> McpTools.from(unused, dotted)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid tool name 'fs.read'");
        McpSchema.Tool array = McpSchema.Tool.builder().name("list").inputSchema(Map.of("type", "array")).build();
        assertThatThrownBy(() -> McpTools.from(unused, array)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MCP tool 'list' has an input schema of type array");
        McpSchema.Tool hyphen = McpSchema.Tool.builder().name("get-weather").inputSchema(Map.of("type", "object",
                "properties", Map.of("city", Map.of("type", "string")))).build();
        Tool t = McpTools.from(unused, hyphen);
        assertThat(t.name()).isEqualTo("get-weather");
        assertThat(t.requiredArgs()).as("MCP's required list, not DSPy's every-argument rule").isEmpty();
        assertThat(t.toFunctionSchema()).isEqualTo(Map.of("type", "function", "function", Map.of("name",
                "get-weather", "parameters", Map.of("type", "object", "properties", Map.of("city",
                        Map.of("type", "string")), "required", List.of("city")))));
    }
}

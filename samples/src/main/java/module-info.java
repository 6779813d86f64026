/**
 * The DSPEx samples, compiled as a module of their own: they can use only what {@code io.dspex.reactor} and
 * {@code io.dspex.reactor.test} export, so a sample that reached into the library's internals would not compile.
 * An application: it exports nothing, and runs with {@code java --module-path ... --module io.dspex.samples/io.dspex.samples.Samples NAME}.
 */
module io.dspex.samples {
    requires io.dspex.reactor;
    requires io.dspex.reactor.test;
    // The rag sample's in-process embedding model.
    requires io.dspex.embeddings.local;

    requires reactor.netty.core;
    requires reactor.netty.http;
    requires io.netty.codec.http;
    requires io.netty.common;
    requires io.netty.transport;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires me.tongfei.progressbar;
    requires org.slf4j;
    // The agent sample takes the tools of an MCP server (MCP_SERVER_CMD) through the MCP Java SDK.
    requires io.modelcontextprotocol.sdk.mcp.core;
    // The server sample's GET /metrics.
    requires micrometer.core;
    requires micrometer.registry.prometheus;
}

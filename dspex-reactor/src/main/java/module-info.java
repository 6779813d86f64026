/**
 * DSPEx for Java: programming language models the way DSPy does, on Project Reactor.
 *
 * <p>Exports the public packages only; {@code io.dspex.internal} (shared JSON, formatting and scheduling helpers)
 * is exported to no module. Jackson reads and writes the library's own value types ({@code Example},
 * {@code Prediction}, {@code LmResponse}...), so their packages are open to Jackson, and to Jackson alone.
 *
 * <p>On the module path, a program whose signatures use its own records, enums or classes as field types must
 * open their package to this module and to Jackson, which build and render those values by reflection:
 *
 * <pre>{@code
 * module my.app {
 *     requires io.dspex.reactor;
 *     opens my.app.model to io.dspex.reactor, com.fasterxml.jackson.databind;
 * }
 * }</pre>
 */
module io.dspex.reactor {
    // In the public API: Mono, Flux, Context, Scheduler, Retry and Publisher appear in method signatures.
    requires transitive reactor.core;
    requires transitive org.reactivestreams;
    // Nullness annotations of the public API: needed to compile against it, not to run it.
    requires static transitive org.jspecify;
    // In the public API: Settings.withObservationRegistry(ObservationRegistry), and LmObservationContext extends
    // Observation.Context (whose key values are micrometer-commons' KeyValues).
    requires transitive micrometer.observation;
    requires transitive micrometer.commons;
    // Only LmMeterObservationHandler (the gen_ai meters) needs it: an application that records meters has it; one
    // that does not never loads that class.
    requires static micrometer.core;

    requires reactor.netty.core;
    requires reactor.netty.http;
    // Reactor Netty has no module descriptor, so nothing declares the Netty modules it loads at run time: its
    // HTTP client and server need HTTP/2's classes and the DNS resolver. Requiring them here resolves them on the
    // module path without an --add-modules (the class path has them anyway).
    requires io.netty.codec.http2;
    requires io.netty.resolver.dns;
    requires io.netty.buffer;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires io.netty.common;
    requires io.netty.handler;
    requires io.netty.transport;
    requires com.fasterxml.jackson.annotation;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.datatype.jdk8;
    requires com.github.benmanes.caffeine;
    requires org.slf4j;
    requires me.tongfei.progressbar;
    // Tool arguments are validated against their JSON schemas.
    requires com.networknt.schema;
    // McpTools only: an optional dependency (an automatic module), present when the application uses MCP.
    requires static io.modelcontextprotocol.sdk.mcp.core;
    requires org.apache.lucene.core;

    exports io.dspex;
    exports io.dspex.adapter;
    exports io.dspex.data;
    exports io.dspex.evaluate;
    exports io.dspex.lm;
    exports io.dspex.observe;
    exports io.dspex.optimize;
    exports io.dspex.predict;
    exports io.dspex.retrieve;
    exports io.dspex.signature;
    exports io.dspex.tool;
    exports io.dspex.types;

    opens io.dspex to com.fasterxml.jackson.databind;
    opens io.dspex.lm to com.fasterxml.jackson.databind;
}

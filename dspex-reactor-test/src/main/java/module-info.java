/**
 * The DSPEx test kit: {@code ScriptedLm}, {@code MockLmServer}, {@code Fault} and the JUnit 5 contract suites, for
 * users' tests and the library's own.
 *
 * <p>Exports {@code io.dspex.test} only, and opens it to JUnit so that a user's test class in another module can
 * run the contract tests it inherits. BlockHound is optional: on the class path the kit registers
 * {@code LibraryLocksBlockHoundIntegration} as a BlockHound service; on the module path pass it to
 * {@code BlockHound.install(..)} yourself.
 */
module io.dspex.reactor.test {
    requires transitive io.dspex.reactor;
    // The contract suites are JUnit 5 classes users extend; their assertions are AssertJ's and StepVerifier's.
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;
    requires org.assertj.core;
    requires reactor.test;
    requires static transitive org.jspecify;
    // Only LibraryLocksBlockHoundIntegration uses it (BlockHound's SPI): present where a user installs BlockHound,
    // and not needed elsewhere, to compile against the kit or to run it.
    requires static reactor.blockhound;

    requires reactor.netty.core;
    requires reactor.netty.http;
    requires io.netty.buffer;
    requires io.netty.codec.http;
    requires io.netty.common;
    requires io.netty.transport;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;

    exports io.dspex.test;

    opens io.dspex.test to org.junit.platform.commons;
}

/**
 * A user's module on the module path, as ModulePathTest compiles and runs it: it requires the library and opens
 * the package of its own record to the library and to Jackson, as the library's module description asks; it
 * requires micrometer-core for the gen_ai meters, which the library needs only when they are used.
 */
module check {
    requires io.dspex.reactor;
    requires com.fasterxml.jackson.databind;
    // Observations and the gen_ai meters: micrometer-core is an optional (static) dependency of the library.
    requires micrometer.core;

    opens check to io.dspex.reactor, com.fasterxml.jackson.databind;
}

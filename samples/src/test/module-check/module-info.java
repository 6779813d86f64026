/**
 * A user's module on the module path, as ModulePathTest compiles and runs it: it requires the library and opens
 * the package of its own record to the library and to Jackson, as the library's module description asks.
 */
module check {
    requires io.dspex.reactor;
    requires com.fasterxml.jackson.databind;

    opens check to io.dspex.reactor, com.fasterxml.jackson.databind;
}

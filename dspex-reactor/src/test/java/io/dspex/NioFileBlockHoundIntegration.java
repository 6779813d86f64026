package io.dspex;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Makes BlockHound (installed in every test JVM) also flag NIO file work on non-blocking threads. Out of the
 * box it catches {@code java.io} streams but not {@code java.nio.file.Files} ({@code Files.readAllBytes} on a
 * parallel thread passes unnoticed on JDK 17), which is what a disk cache uses. Marks the Unix file-system
 * calls that open, create, rename, delete and list files; on other platforms the class is absent and this
 * does nothing.
 */
// Tests compile patched into the library's module, whose lint sees a public class of an exported package here;
// it is a test-only BlockHound service, found on the class path the tests run on.
@SuppressWarnings({"exports", "missing-explicit-ctor"})
public final class NioFileBlockHoundIntegration implements BlockHoundIntegration {

    private static final String UNIX = "sun.nio.fs.UnixNativeDispatcher";

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.markAsBlocking(UNIX, "open0", "(JII)I")
                .markAsBlocking(UNIX, "rename0", "(JJ)V")
                .markAsBlocking(UNIX, "mkdir0", "(JI)V")
                .markAsBlocking(UNIX, "unlink0", "(J)V")
                .markAsBlocking(UNIX, "opendir0", "(J)J");
    }
}

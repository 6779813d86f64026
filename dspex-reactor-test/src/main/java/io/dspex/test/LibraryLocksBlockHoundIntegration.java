package io.dspex.test;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Allows two brief lock waits inside libraries that BlockHound reports as blocking calls on event loops, which
 * made the test kit's MockLmServer answer 500 to a first burst of concurrent requests (the client then retried
 * after a backoff, slowing the tests down by seconds). The kit registers it as a BlockHound service, so it applies
 * in every test JVM that has both the kit and BlockHound on its class path (the kit does not bring BlockHound:
 * its dependency is optional):
 *
 * <ul>
 *   <li>Jackson builds a type's deserializer once, under a {@code ReentrantLock}; the first concurrent reads of a
 *       type wait for each other there;</li>
 *   <li>Netty 4.2's adaptive buffer allocator takes a {@code StampedLock} while it adds a magazine under
 *       contention.</li>
 * </ul>
 *
 * <p>Nothing else is allowed: a blocking call in your own code still fails your tests.
 */
@SuppressWarnings("exports") // BlockHound's SPI: a user who installs BlockHound requires it too.
public final class LibraryLocksBlockHoundIntegration implements BlockHoundIntegration {

    /** Creates the integration; BlockHound's service loader calls this, and so may a test that installs it. */
    public LibraryLocksBlockHoundIntegration() {
    }

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("com.fasterxml.jackson.databind.deser.DeserializerCache",
                        "_createAndCacheValueDeserializer")
                .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup",
                        "tryExpandMagazines");
    }
}

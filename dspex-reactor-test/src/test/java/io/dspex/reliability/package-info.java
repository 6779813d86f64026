/**
 * The reliability and security suite: faults injected end to end through {@code MockLmServer}, cancellation,
 * connection-pool and buffer leaks, bad input, secrets, BlockHound.
 */
package io.dspex.reliability;

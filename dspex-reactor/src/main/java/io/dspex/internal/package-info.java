/** Implementation details shared across packages. Not part of the public API: may change at any time. */
@NullMarked
package io.dspex.internal;

import org.jspecify.annotations.NullMarked;

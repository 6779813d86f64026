/** Implementation details shared across packages. Not part of the public API: may change at any time. */
package io.dspex.internal;

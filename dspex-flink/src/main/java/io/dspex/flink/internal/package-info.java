/**
 * Not for users: Flink's type information and serializers of the records that flow between the operators of
 * {@code io.dspex.flink} (JSON, length-prefixed), and the JSON they are written as. Public only because Flink
 * instantiates type-info factories and serializer snapshots by reflection.
 */
@NullMarked
package io.dspex.flink.internal;

import org.jspecify.annotations.NullMarked;

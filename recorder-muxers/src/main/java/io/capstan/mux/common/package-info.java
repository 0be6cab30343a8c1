/**
 * Building blocks shared by the container muxers: a buffered output that always drains its buffer and can patch
 * bytes it already wrote ({@link io.capstan.mux.common.OutputWriter}), a growable byte builder for headers and
 * elements ({@link io.capstan.mux.common.ByteBuilder}), and Opus packet arithmetic from RFC 6716 / RFC 7845
 * ({@link io.capstan.mux.common.OpusPackets}).
 */
package io.capstan.mux.common;

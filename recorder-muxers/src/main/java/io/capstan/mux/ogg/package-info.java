/**
 * Ogg Opus (RFC 7845 on the Ogg framing of RFC 3533): one Opus stream, written strictly forward. See
 * {@link io.capstan.mux.ogg.OggOpusMuxer} for the layout and the timing rules (gaps, start offset).
 */
package io.capstan.mux.ogg;

package io.capstan.mux;

import io.capstan.media.Codec;

import java.util.List;

/**
 * Chooses the muxer factory for a file holding the given codecs (one file per session, or one per track). The
 * standard implementation lives in {@code recorder-muxers} ({@code StandardMuxers.selector(...)}); hosts can
 * supply their own.
 */
@FunctionalInterface
public interface MuxerSelector {

    /**
     * @throws IllegalArgumentException with a message a user can act on when no container can hold the codecs
     */
    MuxerFactory select(List<Codec> codecs);
}

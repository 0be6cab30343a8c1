package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;
import io.capstan.storage.SeekableOutput;

import java.util.List;
import java.util.Objects;

/**
 * Makes crash-safe progressive {@link Mp4Muxer}s for {@link Container#MP4}. Seekable: each fragment is made
 * visible by a 4-byte patch, and close() reads the fragments back and writes the final moov in front of the
 * media. Holds H.264, H.265, AV1, VP9, VP8 (vp08), Opus, AAC and G.711 (ulaw/alaw, QuickTime-registered).
 */
public final class Mp4MuxerFactory implements MuxerFactory.Seekable {

    private final Mp4Muxer.Options options;

    public Mp4MuxerFactory() {
        this(Mp4Muxer.Options.DEFAULT);
    }

    public Mp4MuxerFactory(Mp4Muxer.Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public Container container() {
        return Container.MP4;
    }

    @Override
    public String rejectReason(List<Codec> codecs) {
        return reject("mp4", codecs);
    }

    static String reject(String name, List<Codec> codecs) {
        if (codecs.isEmpty()) {
            return name + " needs at least one track";
        }
        return null;
    }

    /** {@code mp4}, or {@code m4a} for audio only. */
    @Override
    public String extension(List<Codec> codecs) {
        return codecs.stream().anyMatch(Codec::isVideo) ? "mp4" : "m4a";
    }

    @Override
    public Muxer create(SeekableOutput out) {
        return Mp4Muxer.progressive(out, options);
    }
}

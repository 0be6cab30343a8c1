package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;

import io.capstan.storage.SeekableOutput;
import java.util.List;
import java.util.Objects;

/**
 * Makes fragmented MP4 writers ({@link Container#FMP4}): ftyp + init moov, then a moof + mdat per second of media,
 * never rewritten and not finalized. Seekable only for crash safety: each moof is written typed {@code free} and
 * retyped {@code moof} (a 4-byte patch) once its mdat is complete, so a file left by a killed process plays
 * without errors up to its last fragment. Same codecs as {@link Mp4MuxerFactory}. ({@code Mp4Muxer.fragmented}
 * also writes to a plain channel, strictly append-only, e.g. for segment objects.)
 */
public final class FragmentedMp4MuxerFactory implements MuxerFactory.Seekable {

    private final Mp4Muxer.Options options;

    public FragmentedMp4MuxerFactory() {
        this(Mp4Muxer.Options.DEFAULT);
    }

    public FragmentedMp4MuxerFactory(Mp4Muxer.Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public Container container() {
        return Container.FMP4;
    }

    @Override
    public String rejectReason(List<Codec> codecs) {
        return Mp4MuxerFactory.reject("fmp4", codecs);
    }

    /** {@code mp4}, or {@code m4a} for audio only (a fragmented MP4 is an MP4 file). */
    @Override
    public String extension(List<Codec> codecs) {
        return codecs.stream().anyMatch(Codec::isVideo) ? "mp4" : "m4a";
    }

    @Override
    public Muxer create(SeekableOutput out) {
        return Mp4Muxer.fragmented(out, options);
    }
}

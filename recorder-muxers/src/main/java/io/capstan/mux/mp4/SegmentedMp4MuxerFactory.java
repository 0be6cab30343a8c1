package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;
import io.capstan.storage.ObjectGroup;

import java.util.List;
import java.util.Objects;

/**
 * Makes DASH ({@link Container#DASH}: an MPD and per-track segments) or HLS ({@link Container#HLS}: an fMP4 media
 * playlist and muxed segments) writers; see {@link SegmentedMp4Muxer}. Same codecs as {@link Mp4MuxerFactory}.
 */
public final class SegmentedMp4MuxerFactory implements MuxerFactory.Grouped {

    private final SegmentedMp4Muxer.Kind kind;
    private final SegmentedMp4Muxer.Options options;

    public SegmentedMp4MuxerFactory(SegmentedMp4Muxer.Kind kind, SegmentedMp4Muxer.Options options) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.options = Objects.requireNonNull(options, "options");
    }

    public static SegmentedMp4MuxerFactory dash() {
        return new SegmentedMp4MuxerFactory(SegmentedMp4Muxer.Kind.DASH, SegmentedMp4Muxer.Options.DEFAULT);
    }

    public static SegmentedMp4MuxerFactory hls() {
        return new SegmentedMp4MuxerFactory(SegmentedMp4Muxer.Kind.HLS, SegmentedMp4Muxer.Options.DEFAULT);
    }

    @Override
    public Container container() {
        return kind == SegmentedMp4Muxer.Kind.DASH ? Container.DASH : Container.HLS;
    }

    @Override
    public String rejectReason(List<Codec> codecs) {
        return Mp4MuxerFactory.reject(container().id(), codecs);
    }

    /** The manifest's extension: {@code mpd} or {@code m3u8}. */
    @Override
    public String extension(List<Codec> codecs) {
        return kind.extension();
    }

    @Override
    public Muxer create(ObjectGroup out, String manifestName) {
        return new SegmentedMp4Muxer(out, manifestName, kind, options);
    }
}

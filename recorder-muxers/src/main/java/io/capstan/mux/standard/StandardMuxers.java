package io.capstan.mux.standard;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.MuxerFactory;
import io.capstan.mux.MuxerSelector;
import io.capstan.mux.ivf.IvfMuxerFactory;
import io.capstan.mux.mp4.FragmentedMp4MuxerFactory;
import io.capstan.mux.mp4.Mp4MuxerFactory;
import io.capstan.mux.mp4.SegmentedMp4MuxerFactory;
import io.capstan.mux.ogg.OggOpusMuxerFactory;
import io.capstan.mux.ts.TsMuxerFactory;
import io.capstan.mux.webm.DocType;
import io.capstan.mux.webm.MatroskaMuxerFactory;

import java.util.List;
import java.util.Objects;

/**
 * The standard muxer factories and how {@link Container#AUTO} chooses among them:
 * <pre>
 *                            combined (one file, all tracks)          per track (one file per track)
 * VP8/VP9/AV1 (+Opus)        WebM                                      VP8/VP9/AV1: IVF
 * Opus alone                 Ogg Opus                                  Opus: Ogg Opus
 * H.264/H.265 (+AAC or Opus) MP4 (crash-safe, moov-first)              H.264/H.265, AAC: MP4 (.mp4 / .m4a)
 * anything else              Matroska (.mkv, or .mka when audio-only)  the rest: Matroska
 * </pre>
 * An explicit container gets its factory, or an {@link IllegalArgumentException} saying why it cannot hold the
 * codecs and what to use instead.
 */
public final class StandardMuxers {

    private StandardMuxers() {
    }

    /** The factory for one concrete container (not {@link Container#AUTO}). */
    public static MuxerFactory factory(Container container) {
        Objects.requireNonNull(container, "container");
        return switch (container) {
            case WEBM -> MatroskaMuxerFactory.webm();
            case MKV -> MatroskaMuxerFactory.matroska();
            case IVF -> new IvfMuxerFactory();
            case OGG -> new OggOpusMuxerFactory();
            case MP4 -> new Mp4MuxerFactory();
            case FMP4 -> new FragmentedMp4MuxerFactory();
            case TS -> new TsMuxerFactory();
            case DASH -> SegmentedMp4MuxerFactory.dash();
            case HLS -> SegmentedMp4MuxerFactory.hls();
            case AUTO -> throw new IllegalArgumentException("auto is not a container; use selector(AUTO, ...)");
        };
    }

    /** Every concrete factory, in {@link Container} order. */
    public static List<MuxerFactory> factories() {
        return List.of(MatroskaMuxerFactory.webm(), MatroskaMuxerFactory.matroska(), new Mp4MuxerFactory(),
                new FragmentedMp4MuxerFactory(), SegmentedMp4MuxerFactory.dash(), SegmentedMp4MuxerFactory.hls(),
                new TsMuxerFactory(), new IvfMuxerFactory(),
                new OggOpusMuxerFactory());
    }

    /**
     * The selector for a requested container. {@code perTrack} says each file holds one track (AUTO then prefers
     * the simplest container for the codec).
     */
    public static MuxerSelector selector(Container requested, boolean perTrack) {
        Objects.requireNonNull(requested, "requested");
        return codecs -> select(requested, perTrack, codecs);
    }

    static MuxerFactory select(Container requested, boolean perTrack, List<Codec> codecs) {
        Objects.requireNonNull(codecs, "codecs");
        if (codecs.isEmpty()) {
            throw new IllegalArgumentException("no tracks to record");
        }
        MuxerFactory f = requested == Container.AUTO ? auto(perTrack, codecs) : factory(requested);
        String reason = f.rejectReason(codecs);
        if (reason != null) {
            throw new IllegalArgumentException(reason);
        }
        return f;
    }

    /**
     * MP4 for H.264/H.265 video with at most AAC or Opus audio besides; per track also for AAC alone. G.711 (and
     * VP8 with anything) stays in Matroska.
     */
    private static boolean mp4Preferred(boolean perTrack, List<Codec> codecs) {
        boolean video = false;
        for (Codec c : codecs) {
            switch (c) {
                case H264, H265 -> video = true;
                case AAC, OPUS -> {
                }
                default -> {
                    return false;
                }
            }
        }
        return video || (perTrack && codecs.size() == 1 && codecs.get(0) == Codec.AAC);
    }

    private static MuxerFactory auto(boolean perTrack, List<Codec> codecs) {
        if (codecs.size() == 1) {
            Codec c = codecs.get(0);
            if (c == Codec.OPUS) {
                return new OggOpusMuxerFactory();
            }
            if (perTrack && (c == Codec.VP8 || c == Codec.VP9 || c == Codec.AV1)) {
                return new IvfMuxerFactory();
            }
        }
        if (DocType.webmLegal(codecs)) {
            return MatroskaMuxerFactory.webm();
        }
        if (mp4Preferred(perTrack, codecs)) {
            return new Mp4MuxerFactory();
        }
        return MatroskaMuxerFactory.matroska();
    }
}

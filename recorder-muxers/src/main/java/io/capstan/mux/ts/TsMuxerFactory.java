package io.capstan.mux.ts;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;

import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.Objects;

/**
 * Makes {@link TsMuxer}s: MPEG-2 transport streams ({@code .ts}), append-only (Streaming). Holds H.264, H.265,
 * AAC and Opus, up to {@value TsMuxer#MAX_TRACKS} tracks.
 */
public final class TsMuxerFactory implements MuxerFactory.Streaming {

    private final TsMuxer.Options options;

    public TsMuxerFactory() {
        this(TsMuxer.Options.DEFAULT);
    }

    public TsMuxerFactory(TsMuxer.Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public Container container() {
        return Container.TS;
    }

    @Override
    public String rejectReason(List<Codec> codecs) {
        if (codecs.isEmpty()) {
            return "ts needs at least one track";
        }
        if (codecs.size() > TsMuxer.MAX_TRACKS) {
            return "ts holds at most " + TsMuxer.MAX_TRACKS + " tracks, got " + codecs.size();
        }
        for (Codec c : codecs) {
            if (!holds(c)) {
                return reason(c);
            }
        }
        return null;
    }

    static boolean holds(Codec c) {
        return c == Codec.H264 || c == Codec.H265 || c == Codec.AAC || c == Codec.OPUS;
    }

    /** Why TS cannot take a codec, and what to use instead. */
    static String reason(Codec c) {
        String instead = switch (c) {
            case VP8, VP9 -> "use --container webm (or mkv)";
            case AV1 -> "use --container webm, mkv or mp4";
            case PCMU, PCMA -> "use --container mkv or mp4";
            default -> "use --container mkv";
        };
        return "ts cannot hold " + c + " (MPEG-TS here carries H.264, H.265, AAC and Opus; no registered mapping "
                + "for " + c + " is widely played); " + instead;
    }

    @Override
    public String extension(List<Codec> codecs) {
        return "ts";
    }

    @Override
    public Muxer create(WritableByteChannel out) {
        return new TsMuxer(out, options);
    }
}

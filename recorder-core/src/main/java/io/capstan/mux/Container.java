package io.capstan.mux;

import java.util.Locale;
import java.util.Optional;

/**
 * Container formats by their CLI / configuration name. {@link #AUTO} picks one from the tracks' codecs.
 * <ul>
 *   <li>{@link #MP4}: progressive MP4, moov first; fragmented while recording so a crash leaves a playable file</li>
 *   <li>{@link #FMP4}: one fragmented MP4 file (CMAF-style init + fragments), never rewritten</li>
 *   <li>{@link #DASH} / {@link #HLS}: init and media segments as separate objects plus a manifest</li>
 *   <li>{@link #TS}: MPEG-2 transport stream</li>
 * </ul>
 */
public enum Container {
    AUTO("auto"),
    WEBM("webm"),
    MKV("mkv"),
    MP4("mp4"),
    FMP4("fmp4"),
    DASH("dash"),
    HLS("hls"),
    TS("ts"),
    IVF("ivf"),
    OGG("ogg");

    private final String id;

    Container(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Optional<Container> fromId(String s) {
        if (s == null) {
            return Optional.empty();
        }
        String n = s.trim().toLowerCase(Locale.ROOT);
        for (Container c : values()) {
            if (c.id.equals(n) || (c == MKV && (n.equals("matroska") || n.equals("mka")))
                    || (c == TS && (n.equals("mpegts") || n.equals("m2ts")))
                    || (c == MP4 && (n.equals("m4a") || n.equals("mov")))
                    || (c == FMP4 && n.equals("cmaf"))) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}

package io.capstan.media;

import java.util.Locale;
import java.util.Optional;

/**
 * Codecs Capstan knows by name. The RTP encoding name (SDP {@code a=rtpmap}) maps to one of these, and the
 * default clock rate is the one the payload format RFC fixes.
 */
public enum Codec {
    VP8(MediaKind.VIDEO, 90000, "VP8"),
    VP9(MediaKind.VIDEO, 90000, "VP9"),
    AV1(MediaKind.VIDEO, 90000, "AV1"),
    H264(MediaKind.VIDEO, 90000, "H264"),
    H265(MediaKind.VIDEO, 90000, "H265"),
    /** RFC 7587: always signalled as opus/48000/2. */
    OPUS(MediaKind.AUDIO, 48000, "opus"),
    /** RFC 3640 mpeg4-generic, AAC-hbr mode. */
    AAC(MediaKind.AUDIO, 48000, "MPEG4-GENERIC"),
    /** G.711 mu-law, static payload type 0 (RFC 3551). */
    PCMU(MediaKind.AUDIO, 8000, "PCMU"),
    /** G.711 A-law, static payload type 8 (RFC 3551). */
    PCMA(MediaKind.AUDIO, 8000, "PCMA");

    private final MediaKind kind;
    private final int defaultClockRate;
    private final String rtpName;

    Codec(MediaKind kind, int defaultClockRate, String rtpName) {
        this.kind = kind;
        this.defaultClockRate = defaultClockRate;
        this.rtpName = rtpName;
    }

    public MediaKind kind() {
        return kind;
    }

    public boolean isVideo() {
        return kind == MediaKind.VIDEO;
    }

    public int defaultClockRate() {
        return defaultClockRate;
    }

    /** The encoding name as written in SDP rtpmap lines. */
    public String rtpName() {
        return rtpName;
    }

    /** Looks a codec up by its SDP encoding name, case-insensitively ({@code H265} and {@code HEVC} alike). */
    public static Optional<Codec> fromRtpName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toUpperCase(Locale.ROOT);
        return switch (n) {
            case "VP8" -> Optional.of(VP8);
            case "VP9" -> Optional.of(VP9);
            case "AV1", "AV1X" -> Optional.of(AV1);
            case "H264" -> Optional.of(H264);
            case "H265", "HEVC" -> Optional.of(H265);
            case "OPUS" -> Optional.of(OPUS);
            case "MPEG4-GENERIC" -> Optional.of(AAC);
            case "PCMU" -> Optional.of(PCMU);
            case "PCMA" -> Optional.of(PCMA);
            default -> Optional.empty();
        };
    }

    /** RFC 3551 static payload types that need no rtpmap line. */
    public static Optional<Codec> fromStaticPayloadType(int pt) {
        return switch (pt) {
            case 0 -> Optional.of(PCMU);
            case 8 -> Optional.of(PCMA);
            default -> Optional.empty();
        };
    }
}

package io.capstan.session;

import io.capstan.media.Codec;
import io.capstan.storage.SegmentKey;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a track is: a name (used in file names and events), the codec and its RTP payload type and clock, the
 * codec parameters from SDP ({@code a=fmtp}, keys lower-case), and optionally the SSRC expected (0 = take the
 * first one seen).
 */
public record TrackSpec(String id, Codec codec, int payloadType, int clockRate, int channels,
                        Map<String, String> fmtp, long ssrc) {

    public TrackSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(codec, "codec");
        if (payloadType < 0 || payloadType > 127) {
            throw new IllegalArgumentException("payload type out of range: " + payloadType);
        }
        if (clockRate <= 0) {
            clockRate = codec.defaultClockRate();
        }
        id = SegmentKey.sanitizeComponent(id);
        fmtp = fmtp == null ? Map.of() : Map.copyOf(lowerKeys(fmtp));
    }

    public static TrackSpec of(String id, Codec codec, int payloadType) {
        return new TrackSpec(id, codec, payloadType, codec.defaultClockRate(), 0, Map.of(), 0);
    }

    public TrackSpec withFmtp(Map<String, String> params) {
        return new TrackSpec(id, codec, payloadType, clockRate, channels, params, ssrc);
    }

    public TrackSpec withClock(int rate, int ch) {
        return new TrackSpec(id, codec, payloadType, rate, ch, fmtp, ssrc);
    }

    public TrackSpec withSsrc(long expected) {
        return new TrackSpec(id, codec, payloadType, clockRate, channels, fmtp, expected);
    }

    private static Map<String, String> lowerKeys(Map<String, String> m) {
        java.util.LinkedHashMap<String, String> r = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> r.put(k.toLowerCase(Locale.ROOT), v));
        return r;
    }
}

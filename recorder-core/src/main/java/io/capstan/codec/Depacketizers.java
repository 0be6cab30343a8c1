package io.capstan.codec;

import io.capstan.media.Codec;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Creates the {@link Depacketizer} for a track from what the SDP says about it (rtpmap and fmtp). */
public final class Depacketizers {

    private Depacketizers() {
    }

    /**
     * @param codec     the codec from the rtpmap encoding name (or a static payload type)
     * @param clockRate the rtpmap clock rate, or 0 for the codec's default
     * @param channels  the rtpmap encoding parameters (channel count), 0 when absent
     * @param fmtp      the fmtp parameters (keys lowercase; null or empty when there is no fmtp line)
     * @throws IllegalArgumentException for fmtp parameters that make the stream unreadable (e.g. an AAC
     *                                  {@code config} that is missing or not an AudioSpecificConfig, H.264
     *                                  {@code packetization-mode=2}, an H.265 {@code sprop-sps} that is not an SPS)
     */
    public static Depacketizer create(Codec codec, int clockRate, int channels, Map<String, String> fmtp) {
        if (codec == null) {
            throw new IllegalArgumentException("no codec");
        }
        Map<String, String> p = new HashMap<>();
        if (fmtp != null) {
            fmtp.forEach((k, v) -> p.put(k.trim().toLowerCase(Locale.ROOT), v == null ? "" : v.trim()));
        }
        return switch (codec) {
            case VP8 -> new Vp8Depacketizer();
            case VP9 -> new Vp9Depacketizer();
            case H264 -> {
                String mode = p.getOrDefault("packetization-mode", "0");
                if (!mode.equals("0") && !mode.equals("1")) {
                    throw new IllegalArgumentException("H264 packetization-mode=" + mode
                            + " is not supported (only 0, single NAL unit, and 1, non-interleaved; RFC 6184 6.2-6.4)");
                }
                yield new H264Depacketizer(p.get("sprop-parameter-sets"));
            }
            case H265 -> {
                // RFC 7798 7.1: sprop-max-don-diff > 0 means DONL/DOND fields are in the payloads
                String donDiff = p.getOrDefault("sprop-max-don-diff", "0");
                int maxDonDiff;
                try {
                    maxDonDiff = Integer.parseInt(donDiff);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("H265 sprop-max-don-diff=" + donDiff + " is not a number", e);
                }
                yield new H265Depacketizer(p.get("sprop-vps"), p.get("sprop-sps"), p.get("sprop-pps"), maxDonDiff);
            }
            case AV1 -> new Av1Depacketizer();
            case OPUS -> new OpusDepacketizer("0".equals(p.get("sprop-stereo")) ? 1 : 2);
            case PCMU, PCMA -> new G711Depacketizer(codec, clockRate, channels);
            case AAC -> {
                String streamType = p.get("streamtype");
                if (streamType != null && !streamType.equals("5")) {
                    throw new IllegalArgumentException("mpeg4-generic streamtype=" + streamType
                            + " is not audio (5); only AAC is supported");
                }
                yield new AacDepacketizer(clockRate > 0 ? clockRate : 0, channels, p);
            }
            // every Codec has a depacketizer today; a codec added to the enum later lands here
            default -> throw new IllegalArgumentException("no RTP depacketizer for " + codec + " (supported: VP8, "
                    + "VP9, AV1, H264, H265, OPUS, AAC, PCMU, PCMA)");
        };
    }
}

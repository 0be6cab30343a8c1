package io.capstan.mux.mp4;

import io.capstan.media.TrackFormat;

/**
 * The RFC 6381 {@code codecs} parameter of a track ("avc1.42e01f", "opus", ...) as DASH manifests, HLS
 * playlists and {@code MediaSource.isTypeSupported} want it, derived from the codec configuration record in
 * {@link TrackFormat#codecPrivate()}.
 */
public final class CodecStrings {

    private CodecStrings() {
    }

    public static String of(TrackFormat f) {
        byte[] p = f.codecPrivate();
        return switch (f.codec()) {
            // ISO/IEC 14496-15 annex E.2: avc1.PPCCLL from AVCProfileIndication, profile_compatibility, AVCLevelIndication
            case H264 -> p.length >= 4 ? String.format("avc1.%02x%02x%02x", p[1] & 0xFF, p[2] & 0xFF, p[3] & 0xFF)
                    : "avc1.42e01f";
            case H265 -> hevc(p);
            case AV1 -> av1(p);
            // vp-codec-ISOBMFF "Codecs Parameter String": vp09.PP.LL.DD / vp08.PP.LL.DD (profile, level, bit depth)
            case VP9 -> "vp09.00.10.08";
            case VP8 -> "vp08.00.10.08";
            case OPUS -> "opus";
            // RFC 6381 3.3: mp4a.40.<audioObjectType> from the AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1)
            case AAC -> p.length >= 1 ? "mp4a.40." + ((p[0] & 0xFF) >> 3) : "mp4a.40.2";
            case PCMU -> "ulaw";
            case PCMA -> "alaw";
        };
    }

    /**
     * ISO/IEC 14496-15 annex E.3: hvc1.[profile_space letter]profile_idc.compatibility flags (bit-reversed, hex)
     * .tier letter + level_idc.constraint bytes (hex, trailing zero bytes left out), from the
     * HEVCDecoderConfigurationRecord (8.3.3.1).
     */
    static String hevc(byte[] p) {
        if (p.length < 13) {
            return "hvc1.1.6.L93.B0";
        }
        int space = (p[1] & 0xFF) >> 6;
        boolean high = (p[1] & 0x20) != 0;
        int profile = p[1] & 0x1F;
        long compat = ((p[2] & 0xFFL) << 24) | ((p[3] & 0xFF) << 16) | ((p[4] & 0xFF) << 8) | (p[5] & 0xFF);
        long reversed = Integer.reverse((int) compat) & 0xFFFFFFFFL;
        StringBuilder sb = new StringBuilder("hvc1.");
        if (space > 0) {
            sb.append((char) ('A' + space - 1));
        }
        sb.append(profile).append('.').append(Long.toHexString(reversed).toUpperCase());
        sb.append('.').append(high ? 'H' : 'L').append(p[12] & 0xFF);
        int last = 11;
        while (last >= 6 && p[last] == 0) {
            last--;
        }
        for (int i = 6; i <= last; i++) {
            sb.append('.').append(String.format("%02X", p[i] & 0xFF));
        }
        return sb.toString();
    }

    /** AV1-ISOBMFF "Codecs Parameter String": av01.P.LLT.DD from the AV1CodecConfigurationRecord (2.3.3). */
    static String av1(byte[] p) {
        if (p.length < 3) {
            return "av01.0.04M.08";
        }
        int profile = (p[1] & 0xFF) >> 5;
        int level = p[1] & 0x1F;
        boolean tier = (p[2] & 0x80) != 0;
        boolean high = (p[2] & 0x40) != 0;
        boolean twelve = (p[2] & 0x20) != 0;
        int depth = high ? (twelve ? 12 : 10) : 8;
        return String.format("av01.%d.%02d%s.%02d", profile, level, tier ? "H" : "M", depth);
    }
}

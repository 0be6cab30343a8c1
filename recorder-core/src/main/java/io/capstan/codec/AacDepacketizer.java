package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * AAC over RTP as {@code mpeg4-generic}, RFC 3640, modes AAC-hbr and AAC-lbr (section 3.3.6, 3.3.5) and any other
 * AU-header layout the fmtp describes. A packet (section 3.2) is
 * <pre>
 *  +---------+-----------+-----------+---------------+
 *  | RTP     | AU Header | Auxiliary | Access Unit   |
 *  | Header  | Section   | Section   | Data Section  |
 *  +---------+-----------+-----------+---------------+
 *
 *  AU Header Section (3.2.1): AU-headers-length (16 bits, in bits) | AU-header(1) .. AU-header(n) | pad to octet
 *  AU-header: AU-size (sizeLength) | AU-Index (indexLength) or AU-Index-delta (indexDeltaLength) |
 *             [CTS-flag (1) CTS-delta (ctsDeltaLength)] | [DTS-flag (1) DTS-delta (dtsDeltaLength)] |
 *             [RAP-flag (1)] | [Stream-state (streamStateIndication)]
 *  Auxiliary Section (3.2.2): auxiliary-data-size (auxiliaryDataSizeLength) | data | pad to octet
 * </pre>
 * Each access unit becomes its own unit of the frame ({@link FrameBuilder#beginUnit}) with timestamp
 * {@code packet timestamp + i * constantDuration} (section 3.2.3.1). An access unit too large for one packet is
 * fragmented (section 3.2.3.3): every fragment carries one AU-header with the size of the whole access unit, and
 * the marker bit is set on the last fragment only; the reassembled size must match. Interleaving (a non-zero
 * AU-Index-delta) is not supported and rejected. The codec private data is the AudioSpecificConfig of the fmtp
 * {@code config} parameter (ISO/IEC 14496-3 1.6.2.1).
 */
public final class AacDepacketizer extends AbstractDepacketizer {

    private final int sizeLength;
    private final int indexLength;
    private final int indexDeltaLength;
    private final int ctsDeltaLength;
    private final int dtsDeltaLength;
    private final boolean randomAccessIndication;
    private final int streamStateIndication;
    private final int auxDataSizeLength;
    private final int constantSize;
    private final int constantDuration;
    private final boolean hasAuHeaders;

    private final BitReader bits = new BitReader();
    private int[] auSizes = new int[16];
    // result of parse(): AU count, where the AU data starts and how long it is
    private int auCount;
    private int dataOff;
    private int dataLen;
    // per-frame state
    private long frameRtpTs32;
    private long frameTs;
    private int fragSize = -1;   // declared size of the fragmented AU being reassembled, -1 when none
    private int fragWritten;

    /**
     * @param clockRate the RTP clock rate from rtpmap
     * @param channels  the channel count from rtpmap (0 when absent)
     * @param fmtp      the fmtp parameters, keys lowercase
     * @throws IllegalArgumentException when the fmtp cannot describe an AAC stream we can read
     */
    public AacDepacketizer(int clockRate, int channels, Map<String, String> fmtp) {
        super(initialFormat(clockRate, channels, fmtp));
        String mode = fmtp.getOrDefault("mode", "").trim().toLowerCase(Locale.ROOT);
        int defSize = 0;
        int defIndex = 0;
        if (mode.equals("aac-hbr")) {
            defSize = 13; // 3.3.6: sizeLength 13, indexLength 3, indexDeltaLength 3
            defIndex = 3;
        } else if (mode.equals("aac-lbr")) {
            defSize = 6;  // 3.3.5: sizeLength 6, indexLength 2, indexDeltaLength 2
            defIndex = 2;
        } else if (mode.startsWith("celp")) {
            throw new IllegalArgumentException("mpeg4-generic mode " + mode + " is CELP, not AAC");
        }
        sizeLength = intParam(fmtp, "sizelength", defSize, 0, 31);
        indexLength = intParam(fmtp, "indexlength", defIndex, 0, 31);
        indexDeltaLength = intParam(fmtp, "indexdeltalength", defIndex, 0, 31);
        ctsDeltaLength = intParam(fmtp, "ctsdeltalength", 0, 0, 31);
        dtsDeltaLength = intParam(fmtp, "dtsdeltalength", 0, 0, 31);
        randomAccessIndication = intParam(fmtp, "randomaccessindication", 0, 0, 1) == 1;
        streamStateIndication = intParam(fmtp, "streamstateindication", 0, 0, 31);
        auxDataSizeLength = intParam(fmtp, "auxiliarydatasizelength", 0, 0, 31);
        constantSize = intParam(fmtp, "constantsize", 0, 0, Integer.MAX_VALUE);
        hasAuHeaders = sizeLength + indexLength + indexDeltaLength + ctsDeltaLength + dtsDeltaLength
                + (randomAccessIndication ? 1 : 0) + streamStateIndication > 0;
        if (sizeLength == 0 && constantSize == 0) {
            throw new IllegalArgumentException("mpeg4-generic: neither sizeLength nor constantSize in fmtp, "
                    + "access unit sizes unknown (mode=" + mode + ")");
        }
        AudioSpecificConfig asc = AudioSpecificConfig.parse(configBytes(fmtp));
        int clock = clockRate > 0 ? clockRate : asc.sampleRate;
        int def = asc.frameLength;
        if ((long) asc.frameLength * clock % asc.coreSampleRate == 0) {
            def = (int) ((long) asc.frameLength * clock / asc.coreSampleRate); // frame duration in RTP ticks
        }
        constantDuration = intParam(fmtp, "constantduration", def, 1, Integer.MAX_VALUE);
    }

    private static TrackFormat initialFormat(int clockRate, int channels, Map<String, String> fmtp) {
        byte[] config = configBytes(fmtp);
        AudioSpecificConfig asc = AudioSpecificConfig.parse(config);
        int ch = asc.channels > 0 ? asc.channels : channels;
        if (ch <= 0) {
            throw new IllegalArgumentException("mpeg4-generic: channelConfiguration 0 (program config element) and "
                    + "no channel count in rtpmap");
        }
        int clock = clockRate > 0 ? clockRate : asc.sampleRate;
        return TrackFormat.audio(Codec.AAC, clock, asc.sampleRate, ch, config);
    }

    private static byte[] configBytes(Map<String, String> fmtp) {
        String hex = fmtp.get("config");
        if (hex == null || hex.isBlank()) {
            throw new IllegalArgumentException("mpeg4-generic: fmtp has no config= (AudioSpecificConfig)");
        }
        try {
            return HexFormat.of().parseHex(hex.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mpeg4-generic: config=" + hex + " is not hex", e);
        }
    }

    private static int intParam(Map<String, String> fmtp, String key, int def, int min, int max) {
        String v = fmtp.get(key);
        if (v == null || v.isBlank()) {
            return def;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new IllegalArgumentException("mpeg4-generic: " + key + "=" + v + " out of range " + min + ".." + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mpeg4-generic: " + key + "=" + v + " is not a number", e);
        }
    }

    /** AudioSpecificConfig fields we need, ISO/IEC 14496-3 1.6.2.1. */
    static final class AudioSpecificConfig {
        int audioObjectType;
        int sampleRate;       // output rate (the SBR extension rate for explicit HE-AAC)
        int coreSampleRate;   // the rate of the core coder, whose frames are frameLength samples
        int channels;         // 0 when given by a program config element
        int frameLength;      // samples per access unit at the core rate

        private static final int[] RATES = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
            11025, 8000, 7350};

        /**
         * <pre>
         * audioObjectType 5 bits (31: 32 + 6 more bits) | samplingFrequencyIndex 4 bits (15: 24-bit frequency) |
         * channelConfiguration 4 bits | [SBR/PS (5, 29): extensionSamplingFrequencyIndex 4 (+24), audioObjectType]
         * | GASpecificConfig: frameLengthFlag 1 bit (960 / 1024, LD and ELD: 480 / 512)
         * </pre>
         */
        static AudioSpecificConfig parse(byte[] c) {
            BitReader r = new BitReader().reset(c, 0, c.length);
            AudioSpecificConfig a = new AudioSpecificConfig();
            a.audioObjectType = objectType(r);
            a.coreSampleRate = frequency(r);
            int channelConfig = r.bits(4);
            a.sampleRate = a.coreSampleRate;
            if (a.audioObjectType == 5 || a.audioObjectType == 29) {
                a.sampleRate = frequency(r);           // extensionSamplingFrequency
                a.audioObjectType = objectType(r);     // the core's object type
            }
            a.channels = switch (channelConfig) {
                case 1, 2, 3, 4, 5, 6 -> channelConfig;
                case 7 -> 8;
                case 11 -> 7;
                case 12, 14 -> 8;
                case 13 -> 24;
                default -> 0;
            };
            int aot = a.audioObjectType;
            boolean flag = r.flag(); // GASpecificConfig / ELDSpecificConfig frameLengthFlag
            if (aot == 23 || aot == 39) {
                a.frameLength = flag ? 480 : 512;
            } else if (aot == 1 || aot == 2 || aot == 3 || aot == 4 || aot == 6 || aot == 7 || aot == 17
                    || (aot >= 19 && aot <= 22)) {
                a.frameLength = flag ? 960 : 1024;
            } else {
                a.frameLength = 1024;
            }
            if (r.overrun() || a.coreSampleRate <= 0 || a.sampleRate <= 0 || aot == 0) {
                throw new IllegalArgumentException("mpeg4-generic: config=" + HexFormat.of().formatHex(c)
                        + " is not a valid AudioSpecificConfig");
            }
            return a;
        }

        private static int objectType(BitReader r) {
            int t = r.bits(5);
            return t == 31 ? 32 + r.bits(6) : t;
        }

        private static int frequency(BitReader r) {
            int i = r.bits(4);
            if (i == 15) {
                return r.bits(24);
            }
            return i < RATES.length ? RATES[i] : -1;
        }
    }

    @Override
    public Codec codec() {
        return Codec.AAC;
    }

    @Override
    public boolean isFrameStart(RtpPacket packet) {
        return parse(packet.buffer(), packet.payloadOffset(), packet.payloadLength());
    }

    @Override
    public boolean isFrameEnd(RtpPacket packet) {
        // 3.2.3.3: the marker ends a fragmented AU; a packet of whole AUs (M = 1 as well) is complete by itself
        return packet.marker() || !parse(packet.buffer(), packet.payloadOffset(), packet.payloadLength())
                || !isFragment();
    }

    private boolean isFragment() {
        return auCount == 1 && auSizes[0] > dataLen;
    }

    @Override
    public boolean append(RtpPacket packet, FrameBuilder frame) {
        if (freshFrame(frame)) {
            fragSize = -1;
            frameRtpTs32 = packet.timestamp();
            frameTs = frame.timestamp();
        }
        boolean ok = appendPacket(packet, frame);
        if (ok) {
            appended(frame);
        } else {
            forgetFrame();
            fragSize = -1;
        }
        return ok;
    }

    private boolean appendPacket(RtpPacket packet, FrameBuilder frame) {
        byte[] b = packet.buffer();
        if (!parse(b, packet.payloadOffset(), packet.payloadLength())) {
            return false;
        }
        long ts = frameTs + (int) (packet.timestamp() - frameRtpTs32); // 32-bit wrap-aware offset in this frame
        if (fragSize >= 0) {
            // continuation of a fragmented AU: one AU-header with the same size, same timestamp
            if (auCount != 1 || auSizes[0] != fragSize || packet.timestamp() != frameRtpTs32) {
                return false;
            }
            fragWritten += dataLen;
            if (fragWritten > fragSize || !frame.write(b, dataOff, dataLen)) {
                return false;
            }
            if (fragWritten == fragSize) {
                fragSize = -1;
            }
            return true;
        }
        if (isFragment()) {
            frame.beginUnit(ts);
            fragSize = auSizes[0];
            fragWritten = dataLen;
            return frame.write(b, dataOff, dataLen);
        }
        int pos = dataOff;
        for (int i = 0; i < auCount; i++) {
            frame.beginUnit(ts + (long) i * constantDuration);
            if (!frame.write(b, pos, auSizes[i])) {
                return false;
            }
            pos += auSizes[i];
        }
        return true;
    }

    /**
     * Parses the AU header and auxiliary sections. Sets {@link #auCount}, {@link #auSizes}, {@link #dataOff},
     * {@link #dataLen}.
     *
     * @return false when the sections are malformed, an AU size is 0, AU-Index-delta is not 0 (interleaving),
     *         or the sizes do not match the data (except a single AU larger than the packet: a fragment)
     */
    boolean parse(byte[] b, int off, int len) {
        auCount = 0;
        int pos = off;
        int end = off + len;
        if (hasAuHeaders) {
            if (len < 2) {
                return false;
            }
            int headerBits = ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF); // AU-headers-length, in bits
            int headerBytes = (headerBits + 7) >>> 3;
            pos += 2;
            if (headerBits == 0 || pos + headerBytes > end) {
                return false;
            }
            BitReader r = bits.reset(b, pos, headerBytes);
            int limit = r.bitPosition() + headerBits;
            while (r.bitPosition() < limit) {
                int size = sizeLength > 0 ? r.bits(sizeLength) : constantSize;     // AU-size
                int index = r.bits(auCount == 0 ? indexLength : indexDeltaLength); // AU-Index / AU-Index-delta
                if (auCount > 0 && index != 0) {
                    return false; // interleaving (3.2.3.2) is not supported
                }
                if (ctsDeltaLength > 0 && r.flag()) {   // CTS-flag
                    r.skip(ctsDeltaLength);             // CTS-delta
                }
                if (dtsDeltaLength > 0 && r.flag()) {   // DTS-flag
                    r.skip(dtsDeltaLength);             // DTS-delta
                }
                if (randomAccessIndication) {
                    r.bit();                            // RAP-flag
                }
                r.skip(streamStateIndication);          // Stream-state
                if (r.overrun() || r.bitPosition() > limit || size <= 0) {
                    return false;
                }
                addSize(size);
            }
            pos += headerBytes;
        }
        if (auxDataSizeLength > 0) {
            // 3.2.2: auxiliary-data-size in bits, then the data, padded to an octet
            if (pos >= end) {
                return false;
            }
            BitReader r = bits.reset(b, pos, end - pos);
            int auxBits = r.bits(auxDataSizeLength);
            r.skip(auxBits);
            if (r.overrun()) {
                return false;
            }
            pos += (auxDataSizeLength + auxBits + 7) >>> 3;
            if (pos > end) {
                return false;
            }
        }
        dataOff = pos;
        dataLen = end - pos;
        if (!hasAuHeaders) {
            // no AU headers: the data section is whole constant-size AUs
            if (dataLen == 0 || dataLen % constantSize != 0) {
                return false;
            }
            for (int i = 0; i < dataLen / constantSize; i++) {
                addSize(constantSize);
            }
        }
        if (auCount == 0 || dataLen == 0) {
            return false;
        }
        if (auCount == 1 && auSizes[0] > dataLen) {
            return true; // a fragment of a larger AU (3.2.3.3)
        }
        long sum = 0;
        for (int i = 0; i < auCount; i++) {
            sum += auSizes[i];
        }
        return sum == dataLen; // the AUs fill the data section exactly
    }

    private void addSize(int size) {
        if (auCount == auSizes.length) {
            auSizes = java.util.Arrays.copyOf(auSizes, auCount * 2);
        }
        auSizes[auCount++] = size;
    }

    @Override
    public boolean finish(FrameBuilder frame) {
        forgetFrame();
        if (fragSize >= 0) {
            fragSize = -1;
            return false; // the marker came before the fragmented AU was complete
        }
        frame.keyframe(true);
        return frame.length() > 0;
    }

    @Override
    public void reset() {
        super.reset();
        fragSize = -1;
    }
}

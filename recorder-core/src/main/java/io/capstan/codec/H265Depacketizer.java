package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Base64;

/**
 * H.265/HEVC over RTP, RFC 7798, one RTP stream (single-session transmission, section 3.1): single NAL unit packets
 * (section 4.4.1), Aggregation Packets (AP, type 48, section 4.4.2) and Fragmentation Units (FU, type 49, section
 * 4.4.3). PACI packets (type 50, section 4.4.4) are not supported and count as malformed, as do the types 51-63 that
 * RFC 7798 leaves undefined. Every NAL unit header and RTP payload header (section 1.1.4, H.265 7.3.1.2) is
 * <pre>
 *  +---------------+---------------+
 *  |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |F|   Type    |  LayerId  | TID |
 *  +-------------+-----------------+
 * </pre>
 * When the SDP says {@code sprop-max-don-diff} is greater than 0 (section 7.1), the packets carry decoding order
 * numbers (DONL 16 bits, DOND 8 bits; sections 4.4.1-4.4.3): they are read, and the NAL units of an access unit are
 * put back into decoding order (section 6) before the access unit is emitted. Access units themselves are taken in
 * RTP timestamp order as the frame assembler delivers them; NAL units interleaved across access units (possible
 * with a large sprop-max-don-diff) are not de-interleaved.
 *
 * <p>The frame is an access unit (all packets with one timestamp, ending at the marker bit, section 4.1) written as
 * 4-byte length-prefixed NAL units (ISO/IEC 14496-15 8.3.4 sample format). In-band VPS, SPS and PPS stay in the
 * access unit and also become, with those from {@code sprop-vps}, {@code sprop-sps} and {@code sprop-pps}, the track's
 * HEVCDecoderConfigurationRecord ({@link TrackFormat#codecPrivate()}). The resolution is read from the SPS (H.265
 * 7.3.2.2.1, minus the conformance window). An access unit holding an IRAP picture (NAL types 16-23: BLA, IDR, CRA
 * and the reserved IRAP types, H.265 table 7-1) is a keyframe.
 */
public final class H265Depacketizer extends AbstractDepacketizer {

    static final int NAL_IRAP_FIRST = 16;  // BLA_W_LP
    static final int NAL_IRAP_LAST = 23;   // RSV_IRAP_VCL23
    static final int NAL_VPS = 32;
    static final int NAL_SPS = 33;
    static final int NAL_PPS = 34;
    static final int AP = 48;
    static final int FU = 49;
    static final int PACI = 50;

    // parameter sets by id (H.265 7.4.3: vps_video_parameter_set_id 0..15, sps_seq_parameter_set_id 0..15,
    // pps_pic_parameter_set_id 0..63)
    private final byte[][] vps = new byte[16][];
    private final byte[][] sps = new byte[16][];
    private final byte[][] pps = new byte[64][];
    private final BitReader bits = new BitReader();
    /** sprop-max-don-diff > 0: DONL/DOND fields are present (RFC 7798 4.4.1-4.4.3, 7.1). */
    private final boolean donPresent;

    // per-frame state: position of the length prefix of the FU NAL unit being reassembled, -1 when none
    private int fuStart = -1;
    // per-frame state with DON: where each NAL unit's length prefix starts and its decoding order number
    private int nalCount;
    private int[] nalPos = new int[16];
    private int[] nalDon = new int[16];
    // reordering scratch (grown to the largest access unit that needed reordering)
    private int[] order = new int[16];
    private byte[] scratch = new byte[0];

    /**
     * @param spropVps        SDP {@code sprop-vps} (base64 NAL units, comma separated), or null
     * @param spropSps        SDP {@code sprop-sps}, or null
     * @param spropPps        SDP {@code sprop-pps}, or null
     * @param spropMaxDonDiff SDP {@code sprop-max-don-diff} (0..32767; 0 or absent: no DONL/DOND fields)
     * @throws IllegalArgumentException when a parameter set is not base64 or cannot be parsed, or the DON difference
     *                                  is out of range
     */
    public H265Depacketizer(String spropVps, String spropSps, String spropPps, int spropMaxDonDiff) {
        super(TrackFormat.video(Codec.H265, 0, 0, null));
        if (spropMaxDonDiff < 0 || spropMaxDonDiff > 32767) {
            throw new IllegalArgumentException("H265 sprop-max-don-diff must be 0..32767 (RFC 7798 7.1): "
                    + spropMaxDonDiff);
        }
        this.donPresent = spropMaxDonDiff > 0;
        boolean any = false;
        String[] names = {"sprop-vps", "sprop-sps", "sprop-pps"};
        String[] values = {spropVps, spropSps, spropPps};
        int[] types = {NAL_VPS, NAL_SPS, NAL_PPS};
        for (int k = 0; k < 3; k++) {
            if (values[k] == null || values[k].isBlank()) {
                continue;
            }
            // RFC 7798 7.1: a comma-separated list of base64 parameter set NAL units of the parameter's type
            for (String part : values[k].split(",")) {
                String s = part.trim();
                if (s.isEmpty()) {
                    continue;
                }
                byte[] nal;
                try {
                    nal = Base64.getDecoder().decode(s);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("H265 " + names[k] + ": not base64: " + s, e);
                }
                boolean ok = nal.length >= 3 && ((nal[0] >> 1) & 0x3F) == types[k] && switch (types[k]) {
                    case NAL_VPS -> storeVps(nal, 0, nal.length);
                    case NAL_SPS -> storeSps(nal, 0, nal.length);
                    default -> storePps(nal, 0, nal.length);
                };
                if (!ok) {
                    throw new IllegalArgumentException("H265 " + names[k] + ": not a parseable "
                            + names[k].substring(6).toUpperCase(java.util.Locale.ROOT) + " NAL unit: " + s);
                }
                any = true;
            }
        }
        if (any) {
            refreshFormat(lastSps);
            resetVersion(); // what the SDP says is the starting point: version 0
        }
    }

    public H265Depacketizer() {
        this(null, null, null, 0);
    }

    @Override
    public Codec codec() {
        return Codec.H265;
    }

    @Override
    public boolean isFrameStart(RtpPacket p) {
        // every packet but an FU continuation (S=0 in the FU header, RFC 7798 4.4.3) begins at a NAL unit
        // boundary; PACI, undefined types and truncated payloads "start" too, so append() counts them as malformed
        if (p.payloadLength() < 3 || ((p.payloadByte(0) >> 1) & 0x3F) != FU) {
            return true;
        }
        return (p.payloadByte(2) & 0x80) != 0;
    }

    @Override
    public boolean isFrameEnd(RtpPacket p) {
        return p.marker(); // 4.1: the marker bit is set on the last packet of the access unit
    }

    @Override
    public boolean append(RtpPacket p, FrameBuilder frame) {
        if (freshFrame(frame)) {
            fuStart = -1;
            nalCount = 0;
        }
        boolean ok = appendPayload(p.buffer(), p.payloadOffset(), p.payloadLength(), frame);
        if (ok) {
            appended(frame);
        } else {
            forgetFrame();
            fuStart = -1;
        }
        return ok;
    }

    /**
     * Checks a 2-byte NAL unit header / payload header (1.1.4): F (forbidden_zero_bit) must be 0 (RFC 7798 lets a
     * sender set it to flag a syntax violation, e.g. an FU missing fragments); TID (nuh_temporal_id_plus1) must not
     * be 0 (H.265 7.4.2.2).
     */
    private static boolean headerOk(int b0, int b1) {
        return (b0 & 0x80) == 0 && (b1 & 0x07) != 0;
    }

    private boolean appendPayload(byte[] b, int off, int len, FrameBuilder frame) {
        if (len < 2) {
            return false; // no payload header
        }
        int h0 = b[off] & 0xFF;
        int h1 = b[off + 1] & 0xFF;
        if (!headerOk(h0, h1)) {
            return false;
        }
        int type = (h0 >> 1) & 0x3F;
        if (type == FU) {
            return appendFu(b, off, len, frame, h0, h1);
        }
        if (fuStart >= 0) {
            return false; // a new NAL unit while a fragmented one never got its E bit
        }
        if (type < AP) {
            // 4.4.1: single NAL unit packet: PayloadHdr (the NAL unit header), [DONL (16)], NAL unit payload
            if (!donPresent) {
                return startNal(frame, -1) && frame.writeInt(len) && frame.write(b, off, len);
            }
            if (len < 4) {
                return false;
            }
            int don = ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
            return startNal(frame, don) && frame.writeInt(len - 2) && frame.write(b, off, 2)
                    && frame.write(b, off + 4, len - 4);
        }
        if (type == AP) {
            return appendAp(b, off, len, frame);
        }
        // 50 = PACI (4.4.4) is not supported; 51-63 are not defined by RFC 7798
        return false;
    }

    /**
     * 4.4.2, AP: PayloadHdr (type 48), then aggregation units:
     * <pre>
     *  first:  [DONL (16)] | NALU size (16) | NAL unit
     *  others: [DOND (8)]  | NALU size (16) | NAL unit      DON = (previous DON + DOND + 1) % 65536
     * </pre>
     * An AP "MUST carry at least two aggregation units"; one is accepted, as it is unambiguous.
     */
    private boolean appendAp(byte[] b, int off, int len, FrameBuilder frame) {
        int pos = off + 2;
        int end = off + len;
        if (pos == end) {
            return false; // no aggregation unit at all
        }
        int don = -1;
        boolean first = true;
        while (pos < end) {
            if (donPresent) {
                if (first) {
                    if (pos + 2 > end) {
                        return false;
                    }
                    don = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF); // DONL
                    pos += 2;
                } else {
                    if (pos + 1 > end) {
                        return false;
                    }
                    don = (don + (b[pos] & 0xFF) + 1) & 0xFFFF;          // DOND
                    pos += 1;
                }
            }
            first = false;
            if (pos + 2 > end) {
                return false; // a dangling byte where a size should be
            }
            int size = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
            pos += 2;
            if (size < 2 || pos + size > end) {
                return false; // shorter than a NAL unit header, or past the end of the payload
            }
            int n0 = b[pos] & 0xFF;
            if (!headerOk(n0, b[pos + 1] & 0xFF) || ((n0 >> 1) & 0x3F) >= AP) {
                return false; // aggregated units are plain NAL units (4.4.2)
            }
            if (!startNal(frame, don) || !frame.writeInt(size) || !frame.write(b, pos, size)) {
                return false;
            }
            pos += size;
        }
        return true;
    }

    /**
     * 4.4.3, FU:
     * <pre>
     *  PayloadHdr (16)  |F| Type=49 | LayerId | TID |
     *  FU header (8)    |S|E|  FuType   |
     *  [DONL (16)]      only with S=1 and sprop-max-don-diff > 0
     *  FU payload       ...
     * </pre>
     * The NAL unit header is rebuilt from the payload header's F, LayerId and TID and the FU header's FuType.
     */
    private boolean appendFu(byte[] b, int off, int len, FrameBuilder frame, int h0, int h1) {
        if (len < 4) {
            return false; // payload header, FU header and at least one payload byte
        }
        int fuHeader = b[off + 2] & 0xFF;
        boolean start = (fuHeader & 0x80) != 0;
        boolean end = (fuHeader & 0x40) != 0;
        int type = fuHeader & 0x3F;
        if (start && end) {
            return false; // 4.4.3: S and E MUST NOT both be set
        }
        if (type >= AP) {
            return false; // FuType is the fragmented NAL unit's type, never AP/FU/PACI (or undefined 51-63)
        }
        int payload = off + 3;
        if (start) {
            if (fuStart >= 0) {
                return false; // a new fragmented NAL unit before the previous one ended
            }
            int don = -1;
            if (donPresent) {
                if (len < 6) {
                    return false;
                }
                don = ((b[payload] & 0xFF) << 8) | (b[payload + 1] & 0xFF); // DONL
                payload += 2;
            }
            if (!startNal(frame, don)) {
                return false;
            }
            fuStart = frame.reserve(4);
            if (fuStart < 0 || !frame.writeByte((h0 & 0x81) | (type << 1)) || !frame.writeByte(h1)) {
                return false;
            }
        } else {
            if (fuStart < 0) {
                return false; // continuation without its start fragment
            }
            // all fragments of one NAL unit carry its type (and its LayerId and TID in the payload header)
            byte[] a = frame.array();
            if (((a[fuStart + 4] >> 1) & 0x3F) != type || (a[fuStart + 5] & 0xFF) != h1) {
                return false;
            }
        }
        if (!frame.write(b, payload, off + len - payload)) {
            return false;
        }
        if (end) {
            frame.putInt(fuStart, frame.length() - fuStart - 4);
            fuStart = -1;
        }
        return true;
    }

    /** Notes where a NAL unit starts and its DON (when DONs are present). */
    private boolean startNal(FrameBuilder frame, int don) {
        if (!donPresent) {
            return true;
        }
        if (nalCount == nalPos.length) {
            nalPos = Arrays.copyOf(nalPos, nalCount * 2);
            nalDon = Arrays.copyOf(nalDon, nalCount * 2);
        }
        nalPos[nalCount] = frame.length();
        nalDon[nalCount] = don;
        nalCount++;
        return true;
    }

    @Override
    public boolean finish(FrameBuilder frame) {
        forgetFrame();
        if (fuStart >= 0) {
            fuStart = -1;
            return false; // the access unit ended inside a fragmented NAL unit
        }
        if (donPresent && nalCount > 1) {
            toDecodingOrder(frame);
        }
        nalCount = 0;
        byte[] b = frame.array();
        int end = frame.length();
        boolean key = false;
        boolean changed = false;
        byte[] newest = null;
        int pos = 0;
        while (pos + 4 <= end) {
            int size = ((b[pos] & 0xFF) << 24) | ((b[pos + 1] & 0xFF) << 16) | ((b[pos + 2] & 0xFF) << 8)
                    | (b[pos + 3] & 0xFF);
            pos += 4;
            if (size < 2 || size > end - pos) {
                return false;
            }
            int type = (b[pos] >> 1) & 0x3F;
            if (type >= NAL_IRAP_FIRST && type <= NAL_IRAP_LAST) {
                key = true;
            } else if (type == NAL_VPS) {
                // compare before parsing: repeated in-band parameter sets cost no allocation
                if (!known(vps, b, pos, size)) {
                    changed |= storeVps(b, pos, size);
                }
            } else if (type == NAL_SPS) {
                if (!known(sps, b, pos, size) && storeSps(b, pos, size)) {
                    changed = true;
                    newest = lastSps;
                }
            } else if (type == NAL_PPS) {
                if (!known(pps, b, pos, size)) {
                    changed |= storePps(b, pos, size);
                }
            }
            pos += size;
        }
        if (pos != end || end == 0) {
            return false;
        }
        frame.keyframe(key);
        if (changed) {
            refreshFormat(newest != null ? newest : lastSps);
        }
        return true;
    }

    /**
     * RFC 7798 6: NAL units are passed to the decoder in DON order. Sorts the access unit's NAL units by
     * {@code don_diff} relative to the first one (the 16-bit wrap-aware difference of section 4.5, which is
     * {@code (short) (DON(n) - DON(m))}) when they arrived out of order; stable, in place through a reused scratch
     * buffer.
     */
    private void toDecodingOrder(FrameBuilder frame) {
        int n = nalCount;
        boolean sorted = true;
        for (int i = 1; i < n && sorted; i++) {
            sorted = (short) (nalDon[i] - nalDon[i - 1]) >= 0;
        }
        if (sorted) {
            return;
        }
        if (order.length < n) {
            order = new int[nalPos.length];
        }
        for (int i = 0; i < n; i++) {
            int j = i;
            int key = (short) (nalDon[i] - nalDon[0]);
            while (j > 0 && (short) (nalDon[order[j - 1]] - nalDon[0]) > key) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        int len = frame.length();
        if (scratch.length < len) {
            scratch = new byte[Math.max(len, scratch.length * 2)];
        }
        byte[] a = frame.array();
        int out = 0;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            int from = nalPos[i];
            int to = i + 1 < n ? nalPos[i + 1] : len;
            System.arraycopy(a, from, scratch, out, to - from);
            out += to - from;
        }
        System.arraycopy(scratch, 0, a, 0, len);
    }

    // ---- parameter sets and the HEVCDecoderConfigurationRecord

    private byte[] lastSps;
    private final SpsInfo spsInfo = new SpsInfo();

    /** What we need from an SPS (H.265 7.3.2.2.1). */
    static final class SpsInfo {
        int vpsId;
        int maxSubLayersMinus1;
        boolean temporalIdNesting;
        /** general_profile_space .. general_level_idc: 12 bytes of profile_tier_level (7.3.3), RBSP bytes 3..14. */
        final byte[] generalPtl = new byte[12];
        int spsId;
        int chromaFormatIdc;
        int bitDepthLumaMinus8;
        int bitDepthChromaMinus8;
        int width;
        int height;
    }

    private boolean storeVps(byte[] b, int off, int len) {
        // 7.3.2.1: vps_video_parameter_set_id u(4) right after the NAL unit header (no emulation prevention can
        // precede it: the header's second byte is never 0)
        if (len < 3) {
            return false;
        }
        int id = (b[off + 2] >> 4) & 0x0F;
        vps[id] = Arrays.copyOfRange(b, off, off + len);
        return true;
    }

    private boolean storeSps(byte[] b, int off, int len) {
        if (!parseSps(b, off, len, spsInfo, bits)) {
            return false;
        }
        sps[spsInfo.spsId] = Arrays.copyOfRange(b, off, off + len);
        lastSps = sps[spsInfo.spsId];
        return true;
    }

    private boolean storePps(byte[] b, int off, int len) {
        byte[] rbsp = H264Depacketizer.unescape(b, off, len);
        BitReader r = bits.reset(rbsp, 0, rbsp.length);
        r.skip(16);      // NAL unit header
        int id = r.ue(); // pps_pic_parameter_set_id (7.3.2.3.1), 0..63
        int spsId = r.ue(); // pps_seq_parameter_set_id, 0..15
        if (r.overrun() || id > 63 || spsId > 15) {
            return false;
        }
        pps[id] = Arrays.copyOfRange(b, off, off + len);
        return true;
    }

    private static boolean known(byte[][] sets, byte[] b, int off, int len) {
        for (byte[] s : sets) {
            if (s != null && Arrays.equals(s, 0, s.length, b, off, off + len)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses a sequence parameter set NAL unit (with its 2-byte header), H.265 7.3.2.2.1, as far as the bit depths:
     * <pre>
     * sps_video_parameter_set_id u(4) | sps_max_sub_layers_minus1 u(3) | sps_temporal_id_nesting_flag u(1)
     * profile_tier_level(1, sps_max_sub_layers_minus1)                  7.3.3
     * sps_seq_parameter_set_id ue(v) | chroma_format_idc ue(v) | [separate_colour_plane_flag u(1) if 4:4:4]
     * pic_width_in_luma_samples ue(v) | pic_height_in_luma_samples ue(v)
     * conformance_window_flag u(1) | [conf_win_left/right/top/bottom_offset ue(v)]
     * bit_depth_luma_minus8 ue(v) | bit_depth_chroma_minus8 ue(v)
     * </pre>
     * The output size is the conformance window: {@code pic_width - SubWidthC * (left + right)} by
     * {@code pic_height - SubHeightC * (top + bottom)} (7.4.3.2.1, SubWidthC/SubHeightC of table 6-1).
     *
     * @return false when it is not a well-formed SPS
     */
    static boolean parseSps(byte[] b, int off, int len, SpsInfo out, BitReader r) {
        if (len < 15 || ((b[off] >> 1) & 0x3F) != NAL_SPS) {
            return false;
        }
        byte[] rbsp = H264Depacketizer.unescape(b, off, len);
        if (rbsp.length < 15) {
            return false;
        }
        r.reset(rbsp, 0, rbsp.length);
        r.skip(16);                                // NAL unit header
        out.vpsId = r.bits(4);                     // sps_video_parameter_set_id
        out.maxSubLayersMinus1 = r.bits(3);        // sps_max_sub_layers_minus1 (0..6)
        out.temporalIdNesting = r.flag();          // sps_temporal_id_nesting_flag
        if (out.maxSubLayersMinus1 > 6) {
            return false;
        }
        // profile_tier_level(1, maxNumSubLayersMinus1), 7.3.3: general_profile_space u(2), general_tier_flag u(1),
        // general_profile_idc u(5), general_profile_compatibility_flag[32], progressive/interlaced/non_packed/
        // frame_only flags + 43 constraint bits + 1 bit (48 in all), general_level_idc u(8): bytes 3..14
        System.arraycopy(rbsp, 3, out.generalPtl, 0, 12);
        r.skip(96);
        int subLayers = out.maxSubLayersMinus1;
        int profilePresent = 0; // bit i: sub_layer_profile_present_flag[i]
        int levelPresent = 0;   // bit i: sub_layer_level_present_flag[i]
        for (int i = 0; i < subLayers; i++) {
            profilePresent |= r.bit() << i;        // sub_layer_profile_present_flag[i]
            levelPresent |= r.bit() << i;          // sub_layer_level_present_flag[i]
        }
        if (subLayers > 0) {
            for (int i = subLayers; i < 8; i++) {
                r.skip(2);                         // reserved_zero_2bits
            }
        }
        for (int i = 0; i < subLayers; i++) {
            if ((profilePresent & (1 << i)) != 0) {
                r.skip(88);                        // sub_layer profile space .. constraint flags
            }
            if ((levelPresent & (1 << i)) != 0) {
                r.skip(8);                         // sub_layer_level_idc
            }
        }
        out.spsId = r.ue();                        // sps_seq_parameter_set_id
        if (out.spsId > 15) {
            return false;
        }
        int chroma = r.ue();                       // chroma_format_idc
        if (chroma > 3) {
            return false;
        }
        boolean separateColourPlane = chroma == 3 && r.flag(); // separate_colour_plane_flag
        out.chromaFormatIdc = chroma;
        long picWidth = r.ue();                    // pic_width_in_luma_samples
        long picHeight = r.ue();                   // pic_height_in_luma_samples
        long left = 0;
        long right = 0;
        long top = 0;
        long bottom = 0;
        if (r.flag()) {                            // conformance_window_flag
            left = r.ue();                         // conf_win_left_offset
            right = r.ue();                        // conf_win_right_offset
            top = r.ue();                          // conf_win_top_offset
            bottom = r.ue();                       // conf_win_bottom_offset
        }
        out.bitDepthLumaMinus8 = r.ue();           // bit_depth_luma_minus8 (0..8)
        out.bitDepthChromaMinus8 = r.ue();         // bit_depth_chroma_minus8 (0..8)
        if (r.overrun() || out.bitDepthLumaMinus8 > 8 || out.bitDepthChromaMinus8 > 8) {
            return false;
        }
        // table 6-1: ChromaArrayType 0 (monochrome or separate planes) and 4:4:4 -> 1x1; 4:2:0 -> 2x2; 4:2:2 -> 2x1
        int subWidthC = (chroma == 1 || chroma == 2) && !separateColourPlane ? 2 : 1;
        int subHeightC = chroma == 1 && !separateColourPlane ? 2 : 1;
        long width = picWidth - subWidthC * (left + right);
        long height = picHeight - subHeightC * (top + bottom);
        if (width <= 0 || height <= 0 || width > 16888 || height > 16888) {
            return false;
        }
        out.width = (int) width;
        out.height = (int) height;
        return true;
    }

    /** Rebuilds codec private data and resolution from the stored parameter sets; bumps the version on change. */
    private void refreshFormat(byte[] primarySps) {
        byte[] hvcc = buildHvcC();
        TrackFormat f = format();
        int w = f.width();
        int h = f.height();
        if (primarySps != null && parseSps(primarySps, 0, primarySps.length, spsInfo, bits)) {
            w = spsInfo.width;
            h = spsInfo.height;
        }
        updateFormat(new TrackFormat(Codec.H265, f.clockRate(), w, h, 0, 0, hvcc));
    }

    /**
     * HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 8.3.3.1.2:
     * <pre>
     * configurationVersion = 1 (8)
     * general_profile_space (2) | general_tier_flag (1) | general_profile_idc (5)
     * general_profile_compatibility_flags (32) | general_constraint_indicator_flags (48) | general_level_idc (8)
     * reserved '1111'b (4) | min_spatial_segmentation_idc (12)       0: not signalled (the VUI is not parsed)
     * reserved '111111'b (6) | parallelismType (2)                    0: unknown
     * reserved '111111'b (6) | chroma_format_idc (2)
     * reserved '11111'b (5) | bit_depth_luma_minus8 (3)
     * reserved '11111'b (5) | bit_depth_chroma_minus8 (3)
     * avgFrameRate (16)                                               0: unspecified
     * constantFrameRate (2) | numTemporalLayers (3) | temporalIdNested (1) | lengthSizeMinusOne = 3 (2)
     * numOfArrays (8), then per array (VPS, SPS, PPS):
     *   array_completeness (1) | reserved 0 (1) | NAL_unit_type (6) | numNalus (16) | { nalUnitLength (16), NAL unit }
     * </pre>
     * array_completeness is 0: the parameter sets also stay in the samples (in-band), so more may follow there.
     * The profile, level, chroma and bit depth fields come from the first SPS (by id). Empty when no SPS is known.
     */
    private byte[] buildHvcC() {
        byte[] first = null;
        for (byte[] s : sps) {
            if (s != null) {
                first = s;
                break;
            }
        }
        SpsInfo info = new SpsInfo();
        if (first == null || !parseSps(first, 0, first.length, info, new BitReader())) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        out.write(1);                                        // configurationVersion
        out.write(info.generalPtl, 0, 12);                   // profile space/tier/idc, compatibility, constraints, level
        out.write(0xF0);                                     // reserved 1111 | min_spatial_segmentation_idc (high 4)
        out.write(0x00);                                     // min_spatial_segmentation_idc (low 8) = 0
        out.write(0xFC);                                     // reserved 111111 | parallelismType 0
        out.write(0xFC | info.chromaFormatIdc);              // reserved 111111 | chroma_format_idc
        out.write(0xF8 | info.bitDepthLumaMinus8);           // reserved 11111 | bit_depth_luma_minus8
        out.write(0xF8 | info.bitDepthChromaMinus8);         // reserved 11111 | bit_depth_chroma_minus8
        out.write(0);                                        // avgFrameRate
        out.write(0);
        out.write(((info.maxSubLayersMinus1 + 1) << 3)      // constantFrameRate 0 | numTemporalLayers
                | (info.temporalIdNesting ? 0x04 : 0)        // | temporalIdNested
                | 0x03);                                     // | lengthSizeMinusOne 3
        byte[][][] arrays = {vps, sps, pps};
        int[] types = {NAL_VPS, NAL_SPS, NAL_PPS};
        int numArrays = 0;
        for (byte[][] a : arrays) {
            if (count(a) > 0) {
                numArrays++;
            }
        }
        out.write(numArrays);                                // numOfArrays
        for (int i = 0; i < arrays.length; i++) {
            int n = count(arrays[i]);
            if (n == 0) {
                continue;
            }
            out.write(types[i]);                             // array_completeness 0 | reserved 0 | NAL_unit_type
            out.write(n >>> 8);                              // numNalus
            out.write(n);
            for (byte[] nal : arrays[i]) {
                if (nal != null) {
                    out.write(nal.length >>> 8);             // nalUnitLength
                    out.write(nal.length);
                    out.write(nal, 0, nal.length);
                }
            }
        }
        return out.toByteArray();
    }

    private static int count(byte[][] sets) {
        int n = 0;
        for (byte[] s : sets) {
            if (s != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void reset() {
        super.reset();
        fuStart = -1;
        nalCount = 0;
    }
}

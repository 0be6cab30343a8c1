package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Base64;

/**
 * H.264 over RTP, RFC 6184, packetization modes 0 and 1 (section 6.2, 6.3): single NAL unit packets (types 1-23,
 * section 5.6), STAP-A (type 24, section 5.7.1) and FU-A (type 28, section 5.8). STAP-B, MTAP16/24 and FU-B (25,
 * 26, 27, 29) belong to the interleaved mode and are rejected. Every NAL unit header (section 1.3) is
 * <pre>
 *  +---------------+
 *  |0|1|2|3|4|5|6|7|
 *  +-+-+-+-+-+-+-+-+
 *  |F|NRI|  Type   |
 *  +---------------+
 * </pre>
 * The frame is an access unit (all packets with one timestamp, ending at the marker bit, section 5.1) written as
 * 4-byte length-prefixed NAL units (AVCC sample format, ISO/IEC 14496-15 5.3.4.2). In-band SPS and PPS stay in the
 * access unit and also become the track's AVCDecoderConfigurationRecord ({@link TrackFormat#codecPrivate()}),
 * together with those from the SDP {@code sprop-parameter-sets} (RFC 6184 8.1). The resolution is read from the
 * SPS (H.264 7.3.2.1.1, with frame cropping). An access unit holding an IDR slice (type 5) is a keyframe.
 */
public final class H264Depacketizer extends AbstractDepacketizer {

    static final int NAL_SLICE_IDR = 5;
    static final int NAL_SPS = 7;
    static final int NAL_PPS = 8;
    /**
     * Access unit delimiter (H.264 7.3.2.4). Dropped: every container delimits access units itself, ISO/IEC
     * 14496-15 5.3.2 allows an AUD only as the first NAL unit of a sample while senders put it anywhere (GStreamer
     * aggregates SPS+PPS+AUD), and the TS muxer writes its own at the start of each access unit.
     */
    static final int NAL_AUD = 9;
    static final int STAP_A = 24;
    static final int STAP_B = 25;
    static final int MTAP16 = 26;
    static final int MTAP24 = 27;
    static final int FU_A = 28;
    static final int FU_B = 29;

    // parameter sets by id (SPS: seq_parameter_set_id 0..31, PPS: pic_parameter_set_id 0..255)
    private final byte[][] sps = new byte[32][];
    private final byte[][] pps = new byte[256][];
    private final BitReader bits = new BitReader();

    // per-frame state: position of the length prefix of the FU-A NAL unit being reassembled, -1 when none
    private int fuStart = -1;
    // per-frame state: a slice (VCL NAL unit) of this access unit has been written
    private boolean seenVcl;
    // per-frame state: the picture's first slice (first_mb_in_slice == 0) is in this access unit
    private boolean seenFirstSlice;
    // the FU-A NAL unit being reassembled is dropped (see keep)
    private boolean fuSkip;

    /**
     * @param spropParameterSets the SDP {@code sprop-parameter-sets} value (base64 NAL units, comma separated), or
     *                           null
     * @throws IllegalArgumentException when it is not base64 or holds an SPS that cannot be parsed
     */
    public H264Depacketizer(String spropParameterSets) {
        super(TrackFormat.video(Codec.H264, 0, 0, null));
        if (spropParameterSets != null && !spropParameterSets.isBlank()) {
            for (String part : spropParameterSets.split(",")) {
                String s = part.trim();
                if (s.isEmpty()) {
                    continue;
                }
                byte[] nal;
                try {
                    nal = Base64.getDecoder().decode(s);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("H264 sprop-parameter-sets: not base64: " + s, e);
                }
                if (nal.length == 0) {
                    continue;
                }
                int type = nal[0] & 0x1F;
                if (type == NAL_SPS && !storeSps(nal, 0, nal.length)) {
                    throw new IllegalArgumentException("H264 sprop-parameter-sets: unparseable SPS " + s);
                }
                if (type == NAL_PPS && !storePps(nal, 0, nal.length)) {
                    throw new IllegalArgumentException("H264 sprop-parameter-sets: unparseable PPS " + s);
                }
            }
            refreshFormat(lastSps);
            resetVersion(); // what the SDP says is the starting point: version 0
        }
    }

    public H264Depacketizer() {
        this(null);
    }

    @Override
    public Codec codec() {
        return Codec.H264;
    }

    @Override
    public boolean isFrameStart(RtpPacket p) {
        if (p.payloadLength() < 1) {
            return false;
        }
        int type = p.payloadByte(0) & 0x1F;
        if (type >= 1 && type <= STAP_A) {
            return true; // single NAL unit or STAP-A: begins with a whole NAL unit
        }
        // FU-A with the S bit (FU header bit 7, RFC 6184 5.8)
        return type == FU_A && p.payloadLength() >= 2 && (p.payloadByte(1) & 0x80) != 0;
    }

    @Override
    public boolean isFrameEnd(RtpPacket p) {
        return p.marker(); // 5.1: marker set on the last packet of the access unit
    }

    @Override
    public boolean append(RtpPacket p, FrameBuilder frame) {
        if (freshFrame(frame)) {
            fuStart = -1;
            fuSkip = false;
            seenVcl = false;
            seenFirstSlice = false;
        }
        boolean ok = appendPayload(p.buffer(), p.payloadOffset(), p.payloadLength(), frame);
        if (ok) {
            appended(frame);
        } else {
            forgetFrame();
            fuStart = -1;
            fuSkip = false;
        }
        return ok;
    }

    private boolean appendPayload(byte[] b, int off, int len, FrameBuilder frame) {
        if (len < 1) {
            return false;
        }
        // F (forbidden_zero_bit) may be set by a network element to flag bit errors (5.3); we keep such NAL units
        // and let the decoder judge, as the payload format allows
        int type = b[off] & 0x1F;
        if (type == FU_A) {
            return appendFuA(b, off, len, frame);
        }
        if (fuStart >= 0 || fuSkip) {
            return false; // a new NAL unit while a fragmented one never got its E bit
        }
        if (type >= 1 && type <= 23) {
            // 5.6: single NAL unit packet, the payload is the NAL unit
            noteSlice(type, b, off + 1, len - 1);
            return !keep(type) || (frame.writeInt(len) && frame.write(b, off, len));
        }
        if (type == STAP_A) {
            // 5.7.1: STAP-A NAL HDR, then (16-bit NALU size, NAL unit) repeated
            int pos = off + 1;
            int end = off + len;
            if (pos == end) {
                return false; // no aggregation unit at all
            }
            while (pos < end) {
                if (pos + 2 > end) {
                    return false; // a dangling byte where a size should be
                }
                int size = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
                pos += 2;
                if (size == 0 || pos + size > end) {
                    return false; // empty NAL unit, or size past the end of the payload
                }
                int nalType = b[pos] & 0x1F;
                if (nalType == 0 || nalType > 23) {
                    return false; // aggregated units are plain NAL units (5.7)
                }
                noteSlice(nalType, b, pos + 1, size - 1);
                if (keep(nalType) && (!frame.writeInt(size) || !frame.write(b, pos, size))) {
                    return false;
                }
                pos += size;
            }
            return true;
        }
        // 0 and 30-31 are reserved; STAP-B, MTAP16, MTAP24, FU-B are interleaved-mode only (6.3, table 3)
        return false;
    }

    /**
     * Whether a NAL unit goes into the access unit. Dropped are access unit delimiters ({@link #NAL_AUD}) and
     * SPS/PPS repeated after the access unit's first slice: some senders (GStreamer's rtph264pay with
     * config-interval=-1) put SPS+PPS in front of every IDR slice, but H.264 7.4.1.2.3 makes an SPS or PPS after a
     * slice the start of the next access unit, so Annex B parsers (MPEG-TS) would split the picture in two. Those
     * repeats are identical to the ones before the first slice, which stay.
     */
    private boolean keep(int type) {
        if (type == NAL_AUD || (seenVcl && (type == NAL_SPS || type == NAL_PPS))) {
            return false;
        }
        if (type >= 1 && type <= NAL_SLICE_IDR) {
            seenVcl = true;
        }
        return true;
    }

    /**
     * Notes a slice that starts a picture: in a coded slice (types 1, 5) or data partition A (type 2) the slice
     * header begins with first_mb_in_slice, ue(v) (H.264 7.3.3), which is 0 exactly when its first bit is 1.
     */
    private void noteSlice(int type, byte[] b, int at, int len) {
        if ((type == 1 || type == 2 || type == NAL_SLICE_IDR) && len > 0 && (b[at] & 0x80) != 0) {
            seenFirstSlice = true;
        }
    }

    /**
     * 5.8, FU-A:
     * <pre>
     *  FU indicator  |F|NRI|Type=28|
     *  FU header     |S|E|R| Type  |
     *  FU payload    ...
     * </pre>
     * The NAL unit header is rebuilt from the indicator's F and NRI and the FU header's type.
     */
    private boolean appendFuA(byte[] b, int off, int len, FrameBuilder frame) {
        if (len < 3) {
            return false; // indicator, header and at least one payload byte
        }
        int indicator = b[off] & 0xFF;
        int fuHeader = b[off + 1] & 0xFF;
        boolean start = (fuHeader & 0x80) != 0;
        boolean end = (fuHeader & 0x40) != 0;
        int type = fuHeader & 0x1F;
        if (start && end) {
            return false; // 5.8: S and E MUST NOT both be set
        }
        if ((fuHeader & 0x20) != 0) {
            return false; // R MUST be 0
        }
        if (type == 0 || type > 23) {
            return false; // fragments carry ordinary NAL units
        }
        if (start) {
            if (fuStart >= 0 || fuSkip) {
                return false; // a new fragmented NAL unit before the previous one ended
            }
            noteSlice(type, b, off + 2, len - 2);
            if (!keep(type)) {
                fuSkip = !end;
                return true;
            }
            fuStart = frame.reserve(4);
            if (fuStart < 0 || !frame.writeByte((indicator & 0xE0) | type)) {
                return false;
            }
        } else {
            if (fuSkip) {
                fuSkip = !end; // a fragment of a dropped NAL unit
                return true;
            }
            if (fuStart < 0) {
                return false; // continuation without its start fragment
            }
            // all fragments of one NAL unit carry its type
            if ((frame.array()[fuStart + 4] & 0x1F) != type) {
                return false;
            }
        }
        if (!frame.write(b, off + 2, len - 2)) {
            return false;
        }
        if (end) {
            frame.putInt(fuStart, frame.length() - fuStart - 4);
            fuStart = -1;
        }
        return true;
    }

    @Override
    public boolean finish(FrameBuilder frame) {
        forgetFrame();
        if (fuStart >= 0 || fuSkip) {
            fuStart = -1;
            fuSkip = false;
            return false; // the access unit ended inside a fragmented NAL unit
        }
        if (seenVcl && !seenFirstSlice) {
            // slices without the picture's first one (first_mb_in_slice 0): its packets were lost at the head of
            // the access unit and a later packet (another slice, an SPS/PPS STAP-A between slices) looked like a
            // start. Such a picture is incomplete (with arbitrary slice order the first slice may come later, but
            // it is still in the access unit).
            return false;
        }
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
            if (size <= 0 || size > end - pos) {
                return false;
            }
            int type = b[pos] & 0x1F;
            if (type == NAL_SLICE_IDR) {
                key = true;
            } else if (type == NAL_SPS) {
                // compare before parsing: repeated in-band parameter sets cost no allocation
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

    // ---- parameter sets and the AVCDecoderConfigurationRecord

    private byte[] lastSps;
    private final SpsInfo spsInfo = new SpsInfo();

    /** What we need from an SPS. */
    static final class SpsInfo {
        int profileIdc;
        int levelIdc;
        int spsId;
        int chromaFormatIdc;
        int bitDepthLuma;
        int bitDepthChroma;
        int width;
        int height;
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
        int id = ppsId(b, off, len);
        if (id < 0) {
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

    private int ppsId(byte[] b, int off, int len) {
        byte[] rbsp = unescape(b, off, len);
        BitReader r = bits.reset(rbsp, 0, rbsp.length);
        r.skip(8); // NAL header
        int id = r.ue(); // pic_parameter_set_id (7.3.2.2)
        r.ue(); // seq_parameter_set_id
        return r.overrun() || id > 255 ? -1 : id;
    }

    /** Rebuilds codec private data and resolution from the stored parameter sets; bumps the version on change. */
    private void refreshFormat(byte[] primarySps) {
        byte[] avcc = buildAvcC();
        TrackFormat f = format();
        int w = f.width();
        int h = f.height();
        if (primarySps != null && parseSps(primarySps, 0, primarySps.length, spsInfo, bits)) {
            w = spsInfo.width;
            h = spsInfo.height;
        }
        updateFormat(new TrackFormat(Codec.H264, f.clockRate(), w, h, 0, 0, avcc));
    }

    /**
     * AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1:
     * <pre>
     * configurationVersion = 1 (8) | AVCProfileIndication (8) | profile_compatibility (8) | AVCLevelIndication (8)
     * reserved '111111'b (6) | lengthSizeMinusOne = 3 (2)
     * reserved '111'b (3) | numOfSequenceParameterSets (5) | { sequenceParameterSetLength (16), SPS NAL unit }
     * numOfPictureParameterSets (8) | { pictureParameterSetLength (16), PPS NAL unit }
     * profile 100, 110, 122, 144: reserved '111111'b (6) | chroma_format (2) | reserved '11111'b (5) |
     *   bit_depth_luma_minus8 (3) | reserved '11111'b (5) | bit_depth_chroma_minus8 (3) |
     *   numOfSequenceParameterSetExt = 0 (8)
     * </pre>
     * Empty when no SPS is known yet.
     */
    private byte[] buildAvcC() {
        byte[] first = null;
        int numSps = 0;
        int numPps = 0;
        for (byte[] s : sps) {
            if (s != null) {
                if (first == null) {
                    first = s;
                }
                numSps++;
            }
        }
        if (first == null || first.length < 4) {
            return new byte[0];
        }
        for (byte[] p : pps) {
            if (p != null) {
                numPps++;
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.write(1);                    // configurationVersion
        out.write(first[1] & 0xFF);      // AVCProfileIndication = profile_idc
        out.write(first[2] & 0xFF);      // profile_compatibility = constraint_set flags byte
        out.write(first[3] & 0xFF);      // AVCLevelIndication = level_idc
        out.write(0xFF);                 // reserved 111111 | lengthSizeMinusOne 3
        out.write(0xE0 | numSps);        // reserved 111 | numOfSequenceParameterSets
        for (byte[] s : sps) {
            if (s != null) {
                out.write(s.length >>> 8);
                out.write(s.length);
                out.write(s, 0, s.length);
            }
        }
        out.write(numPps);               // numOfPictureParameterSets
        for (byte[] p : pps) {
            if (p != null) {
                out.write(p.length >>> 8);
                out.write(p.length);
                out.write(p, 0, p.length);
            }
        }
        int profile = first[1] & 0xFF;
        if (profile == 100 || profile == 110 || profile == 122 || profile == 144) {
            SpsInfo info = new SpsInfo();
            if (!parseSps(first, 0, first.length, info, new BitReader())) {
                info.chromaFormatIdc = 1;
            }
            out.write(0xFC | (info.chromaFormatIdc & 0x03));  // reserved 111111 | chroma_format
            out.write(0xF8 | (info.bitDepthLuma & 0x07));     // reserved 11111 | bit_depth_luma_minus8
            out.write(0xF8 | (info.bitDepthChroma & 0x07));   // reserved 11111 | bit_depth_chroma_minus8
            out.write(0);                                     // numOfSequenceParameterSetExt
        }
        return out.toByteArray();
    }

    /** Removes emulation prevention bytes (00 00 03 -> 00 00), H.264 7.4.1. */
    static byte[] unescape(byte[] b, int off, int len) {
        byte[] out = new byte[len];
        int n = 0;
        int zeros = 0;
        for (int i = off; i < off + len; i++) {
            int v = b[i] & 0xFF;
            if (zeros >= 2 && v == 3) {
                zeros = 0;
                continue; // emulation_prevention_three_byte
            }
            out[n++] = (byte) v;
            zeros = v == 0 ? zeros + 1 : 0;
        }
        return n == len ? out : Arrays.copyOf(out, n);
    }

    /**
     * Parses a sequence parameter set NAL unit (with its header byte), H.264 7.3.2.1.1, far enough for the
     * picture size: {@code PicWidthInMbs * 16 - CropUnitX * (left + right)} by
     * {@code (2 - frame_mbs_only_flag) * PicHeightInMapUnits * 16 - CropUnitY * (top + bottom)} (7.4.2.1.1).
     *
     * @return false when it is not a well-formed SPS
     */
    static boolean parseSps(byte[] b, int off, int len, SpsInfo out, BitReader r) {
        if (len < 4 || (b[off] & 0x1F) != NAL_SPS) {
            return false;
        }
        byte[] rbsp = unescape(b, off, len);
        r.reset(rbsp, 0, rbsp.length);
        r.skip(8); // NAL unit header
        int profile = r.bits(8);           // profile_idc
        r.skip(8);                         // constraint_set0..5_flag, reserved_zero_2bits
        out.profileIdc = profile;
        out.levelIdc = r.bits(8);          // level_idc
        out.spsId = r.ue();                // seq_parameter_set_id
        if (out.spsId > 31) {
            return false;
        }
        int chroma = 1;
        boolean separateColourPlane = false;
        out.bitDepthLuma = 0;
        out.bitDepthChroma = 0;
        if (profile == 100 || profile == 110 || profile == 122 || profile == 244 || profile == 44 || profile == 83
                || profile == 86 || profile == 118 || profile == 128 || profile == 138 || profile == 139
                || profile == 134 || profile == 135) {
            chroma = r.ue();               // chroma_format_idc
            if (chroma > 3) {
                return false;
            }
            if (chroma == 3) {
                separateColourPlane = r.flag(); // separate_colour_plane_flag
            }
            out.bitDepthLuma = r.ue();     // bit_depth_luma_minus8
            out.bitDepthChroma = r.ue();   // bit_depth_chroma_minus8
            r.bit();                       // qpprime_y_zero_transform_bypass_flag
            if (r.flag()) {                // seq_scaling_matrix_present_flag
                int lists = chroma != 3 ? 8 : 12;
                for (int i = 0; i < lists; i++) {
                    if (r.flag()) {        // seq_scaling_list_present_flag[i]
                        skipScalingList(r, i < 6 ? 16 : 64);
                    }
                }
            }
        }
        out.chromaFormatIdc = chroma;
        r.ue();                            // log2_max_frame_num_minus4
        int pocType = r.ue();              // pic_order_cnt_type
        if (pocType == 0) {
            r.ue();                        // log2_max_pic_order_cnt_lsb_minus4
        } else if (pocType == 1) {
            r.bit();                       // delta_pic_order_always_zero_flag
            r.se();                        // offset_for_non_ref_pic
            r.se();                        // offset_for_top_to_bottom_field
            int cycle = r.ue();            // num_ref_frames_in_pic_order_cnt_cycle
            if (cycle > 255) {
                return false;
            }
            for (int i = 0; i < cycle; i++) {
                r.se();                    // offset_for_ref_frame[i]
            }
        } else if (pocType != 2) {
            return false;
        }
        r.ue();                            // max_num_ref_frames
        r.bit();                           // gaps_in_frame_num_value_allowed_flag
        int widthMbs = r.ue() + 1;         // pic_width_in_mbs_minus1
        int heightMapUnits = r.ue() + 1;   // pic_height_in_map_units_minus1
        boolean frameMbsOnly = r.flag();   // frame_mbs_only_flag
        if (!frameMbsOnly) {
            r.bit();                       // mb_adaptive_frame_field_flag
        }
        r.bit();                           // direct_8x8_inference_flag
        int cropLeft = 0;
        int cropRight = 0;
        int cropTop = 0;
        int cropBottom = 0;
        if (r.flag()) {                    // frame_cropping_flag
            cropLeft = r.ue();             // frame_crop_left_offset
            cropRight = r.ue();            // frame_crop_right_offset
            cropTop = r.ue();              // frame_crop_top_offset
            cropBottom = r.ue();           // frame_crop_bottom_offset
        }
        if (r.overrun()) {
            return false;
        }
        // 7.4.2.1.1: ChromaArrayType, SubWidthC/SubHeightC (table 6-1), CropUnitX/Y
        int chromaArrayType = separateColourPlane ? 0 : chroma;
        int cropUnitX;
        int cropUnitY;
        if (chromaArrayType == 0) {
            cropUnitX = 1;
            cropUnitY = frameMbsOnly ? 1 : 2;
        } else {
            int subWidthC = chroma == 3 ? 1 : 2;
            int subHeightC = chroma == 1 ? 2 : 1;
            cropUnitX = subWidthC;
            cropUnitY = subHeightC * (frameMbsOnly ? 1 : 2);
        }
        long width = widthMbs * 16L - (long) cropUnitX * ((long) cropLeft + cropRight);
        long height = (frameMbsOnly ? 1L : 2L) * heightMapUnits * 16L - (long) cropUnitY * ((long) cropTop + cropBottom);
        if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
            return false;
        }
        out.width = (int) width;
        out.height = (int) height;
        return true;
    }

    /** scaling_list(), H.264 7.3.2.1.1.1: delta-coded entries until nextScale becomes 0. */
    private static void skipScalingList(BitReader r, int size) {
        int lastScale = 8;
        int nextScale = 8;
        for (int j = 0; j < size && !r.overrun(); j++) {
            if (nextScale != 0) {
                int delta = r.se();        // delta_scale
                nextScale = (lastScale + delta + 256) % 256;
            }
            lastScale = nextScale == 0 ? lastScale : nextScale;
        }
    }

    @Override
    public void reset() {
        super.reset();
        fuStart = -1;
        fuSkip = false;
    }
}

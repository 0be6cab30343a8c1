package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

import java.util.Arrays;

/**
 * AV1 over RTP, the AOM "RTP Payload Format For AV1" v1.0 (sections cited as "RTP 4.x"). Every payload starts with
 * the aggregation header (RTP 4.4):
 * <pre>
 *  +-+-+-+-+-+-+-+-+
 *  |Z|Y| W |N|-|-|-|     Z: the first OBU element continues an OBU fragment of the previous packet
 *  +-+-+-+-+-+-+-+-+     Y: the last OBU element continues in the next packet
 *                        W: 0 = every element has a leb128 length; 1-3 = that many elements, the last without one
 *                        N: first packet of a coded video sequence (then Z = 0)
 * </pre>
 * followed by OBU elements (RTP 4.5): whole OBUs, or fragments of one OBU joined across packets. The frame is a
 * temporal unit (all packets with one timestamp, ending at the marker bit, RTP 4.2) in the "low overhead bitstream
 * format" of the AV1 specification (5.2) that ISO BMFF {@code av01} and Matroska {@code V_AV1} samples hold: every
 * OBU is written with {@code obu_has_size_field = 1} and a minimal leb128 {@code obu_size} (the RTP elements
 * usually carry OBUs without a size field, RTP 4.5). Temporal delimiter and tile list OBUs are dropped (RTP 5:
 * receivers MUST ignore them).
 *
 * <p>The sequence header OBU is the codec configuration: the track's {@link TrackFormat#codecPrivate()} is the
 * AV1CodecConfigurationRecord ({@code av1C}, AV1-ISOBMFF 2.3.3) with the sequence header as its configOBUs, and the
 * resolution is {@code max_frame_width_minus_1 + 1} by {@code max_frame_height_minus_1 + 1} (AV1 5.5.1). A temporal
 * unit holding a sequence header and a shown key frame ({@code frame_type == KEY_FRAME}, {@code show_frame = 1},
 * not {@code show_existing_frame}; AV1 5.9.2) is a keyframe: a decoder can start there.
 */
public final class Av1Depacketizer extends AbstractDepacketizer {

    // AV1 6.2.2, table of obu_type
    static final int OBU_SEQUENCE_HEADER = 1;
    static final int OBU_TEMPORAL_DELIMITER = 2;
    static final int OBU_FRAME_HEADER = 3;
    static final int OBU_TILE_GROUP = 4;
    static final int OBU_METADATA = 5;
    static final int OBU_FRAME = 6;
    static final int OBU_REDUNDANT_FRAME_HEADER = 7;
    static final int OBU_TILE_LIST = 8;
    static final int OBU_PADDING = 15;

    private final BitReader bits = new BitReader();

    // per-frame state: where the OBU being joined from fragments starts in the frame, -1 when none
    private int obuStart = -1;

    // the current sequence header OBU (as written in frames: with its size field) and what it says
    private byte[] sequenceHeader;
    private final SequenceHeader seq = new SequenceHeader();

    // results of the last parseHeader / readLeb128 (fields, so the hot path allocates nothing)
    private int hType;
    private int hHeaderLength;
    private int hPayloadStart;
    private int hPayloadLength;
    private int lebLength;

    public Av1Depacketizer() {
        super(TrackFormat.video(Codec.AV1, 0, 0, null));
    }

    @Override
    public Codec codec() {
        return Codec.AV1;
    }

    @Override
    public boolean isFrameStart(RtpPacket p) {
        // Z = 0: the first element begins an OBU (RTP 4.4)
        return p.payloadLength() >= 2 && (p.payloadByte(0) & 0x80) == 0;
    }

    @Override
    public boolean isFrameEnd(RtpPacket p) {
        return p.marker(); // RTP 4.2: the marker bit is set on the last packet of the temporal unit
    }

    @Override
    public boolean append(RtpPacket p, FrameBuilder frame) {
        boolean first = freshFrame(frame);
        if (first) {
            obuStart = -1;
        }
        boolean ok = appendPayload(p.buffer(), p.payloadOffset(), p.payloadLength(), frame, first);
        if (ok) {
            appended(frame);
        } else {
            forgetFrame();
            obuStart = -1;
        }
        return ok;
    }

    private boolean appendPayload(byte[] b, int off, int len, FrameBuilder frame, boolean firstOfFrame) {
        if (len < 2) {
            return false; // an aggregation header and at least one element byte
        }
        int agg = b[off] & 0xFF;
        boolean z = (agg & 0x80) != 0;      // Z
        boolean y = (agg & 0x40) != 0;      // Y
        int w = (agg >> 4) & 0x03;          // W
        boolean n = (agg & 0x08) != 0;      // N; the three low bits are reserved (ignored by receivers)
        if (n && (z || !firstOfFrame)) {
            return false; // RTP 4.4: N=1 implies Z=0; a coded video sequence starts with a temporal unit's first packet
        }
        if (z != (obuStart >= 0)) {
            return false; // a continuation without an open fragment, or an open fragment that is not continued
        }
        int pos = off + 1;
        int end = off + len;
        int count = 0;
        while (pos < end) {
            count++;
            int elementLength;
            if (w != 0 && count == w) {
                elementLength = end - pos; // RTP 4.4: the last of W elements has no length field
            } else {
                long v = readLeb128(b, pos, end);
                if (v < 0) {
                    return false;
                }
                pos += lebLength;
                if (v > end - pos) {
                    return false; // element past the end of the payload
                }
                elementLength = (int) v;
            }
            if (elementLength == 0) {
                return false; // an element holds at least an OBU header or one byte of a fragment
            }
            boolean continuation = count == 1 && z;
            boolean lastElement = pos + elementLength == end;
            boolean continues = lastElement && y;
            if (continuation) {
                // joined behind the fragments so far; the OBU is rewritten once complete
                if (!frame.write(b, pos, elementLength)) {
                    return false;
                }
                if (!continues && !completeFragmentedObu(frame)) {
                    return false;
                }
            } else if (continues) {
                obuStart = frame.length();
                if (!frame.write(b, pos, elementLength)) {
                    return false;
                }
            } else if (!writeObu(b, pos, elementLength, frame)) {
                return false;
            }
            pos += elementLength;
        }
        if (count == 0 || (w != 0 && count != w)) {
            return false; // W says how many elements there are
        }
        return true;
    }

    /**
     * Reads an OBU header (AV1 5.3.2) and the optional obu_size at {@code b[pos .. pos+len)}, which must hold
     * exactly one whole OBU:
     * <pre>
     * obu_forbidden_bit (1) = 0 | obu_type (4) | obu_extension_flag (1) | obu_has_size_field (1) | obu_reserved_1bit (1)
     * [temporal_id (3) | spatial_id (2) | extension_header_reserved_3bits (3)]     when obu_extension_flag
     * [obu_size leb128]                                                           when obu_has_size_field
     * </pre>
     * Sets {@code hType}, {@code hHeaderLength}, {@code hPayloadStart}, {@code hPayloadLength}.
     *
     * @return false when malformed (forbidden bit, too short, an obu_size that disagrees with the element length)
     */
    private boolean parseHeader(byte[] b, int pos, int len) {
        if (len < 1) {
            return false;
        }
        int h = b[pos] & 0xFF;
        if ((h & 0x80) != 0) {
            return false; // obu_forbidden_bit
        }
        hType = (h >> 3) & 0x0F;
        hHeaderLength = (h & 0x04) != 0 ? 2 : 1;
        if (len < hHeaderLength) {
            return false;
        }
        if ((h & 0x02) != 0) {
            long size = readLeb128(b, pos + hHeaderLength, pos + len);
            if (size < 0 || size != len - hHeaderLength - lebLength) {
                return false; // the element is exactly one OBU (RTP 4.5)
            }
            hPayloadStart = pos + hHeaderLength + lebLength;
        } else {
            hPayloadStart = pos + hHeaderLength;
        }
        hPayloadLength = pos + len - hPayloadStart;
        return true;
    }

    private static boolean dropped(int type) {
        // RTP 5: temporal delimiters and tile lists MUST be ignored by receivers
        return type == OBU_TEMPORAL_DELIMITER || type == OBU_TILE_LIST;
    }

    /** A whole OBU from one element: header with obu_has_size_field = 1, leb128 obu_size, payload. */
    private boolean writeObu(byte[] b, int pos, int len, FrameBuilder frame) {
        if (!parseHeader(b, pos, len)) {
            return false;
        }
        if (dropped(hType)) {
            return true;
        }
        if (!frame.writeByte((b[pos] & 0xFF) | 0x02)) {
            return false;
        }
        if (hHeaderLength == 2 && !frame.writeByte(b[pos + 1])) {
            return false;
        }
        int at = frame.reserve(leb128Size(hPayloadLength));
        if (at < 0) {
            return false;
        }
        putLeb128(frame, at, hPayloadLength);
        return frame.write(b, hPayloadStart, hPayloadLength);
    }

    /**
     * The OBU joined from fragments at {@code frame[obuStart ..)} is complete: drop it or rewrite it in place with
     * obu_has_size_field = 1 and a minimal obu_size (moving the payload when the size field's length changes).
     */
    private boolean completeFragmentedObu(FrameBuilder frame) {
        int start = obuStart;
        obuStart = -1;
        int end = frame.length();
        if (!parseHeader(frame.array(), start, end - start)) {
            return false;
        }
        if (dropped(hType)) {
            frame.truncate(start);
            return true;
        }
        int payloadStart = hPayloadStart;
        int payloadLength = hPayloadLength;
        int newPayloadStart = start + hHeaderLength + leb128Size(payloadLength);
        int delta = newPayloadStart - payloadStart;
        if (delta > 0 && frame.reserve(delta) < 0) {
            return false;
        }
        byte[] a = frame.array(); // after reserve: the buffer may have grown
        if (delta != 0) {
            System.arraycopy(a, payloadStart, a, newPayloadStart, payloadLength);
            if (delta < 0) {
                frame.truncate(end + delta);
            }
        }
        frame.putByte(start, (a[start] & 0xFF) | 0x02);
        putLeb128(frame, start + hHeaderLength, payloadLength);
        return true;
    }

    /**
     * leb128() of AV1 4.10.5: up to 8 bytes, 7 bits each, least significant first, bit 7 set on all but the last;
     * the value must fit 32 bits. Sets {@code lebLength}.
     *
     * @return the value, or -1 when it runs past {@code end}, is longer than 8 bytes or exceeds 2^32 - 1
     */
    private long readLeb128(byte[] b, int pos, int end) {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            if (pos + i >= end) {
                return -1;
            }
            int v = b[pos + i] & 0xFF;
            value |= (long) (v & 0x7F) << (7 * i);
            if ((v & 0x80) == 0) {
                lebLength = i + 1;
                return value > 0xFFFF_FFFFL ? -1 : value;
            }
        }
        return -1;
    }

    static int leb128Size(int value) {
        int n = 1;
        while ((value >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    private static void putLeb128(FrameBuilder frame, int at, int value) {
        int v = value;
        while (true) {
            int low = v & 0x7F;
            v >>>= 7;
            if (v == 0) {
                frame.putByte(at, low);
                return;
            }
            frame.putByte(at++, low | 0x80);
        }
    }

    @Override
    public boolean finish(FrameBuilder frame) {
        forgetFrame();
        if (obuStart >= 0) {
            obuStart = -1;
            return false; // the temporal unit ended inside a fragmented OBU (Y=1 on the marker packet)
        }
        byte[] b = frame.array();
        int end = frame.length();
        if (end == 0) {
            return false; // nothing but temporal delimiters / tile lists
        }
        boolean hasSequenceHeader = false;
        boolean shownKeyFrame = false;
        boolean changed = false;
        int pos = 0;
        while (pos < end) {
            // every OBU was written with a size field: header, leb128 obu_size, payload
            int h = b[pos] & 0xFF;
            int headerLength = (h & 0x04) != 0 ? 2 : 1;
            long size = readLeb128(b, pos + headerLength, end);
            if (size < 0 || size > end - pos - headerLength - lebLength) {
                return false;
            }
            int payload = pos + headerLength + lebLength;
            int obuEnd = payload + (int) size;
            int type = (h >> 3) & 0x0F;
            if (type == OBU_SEQUENCE_HEADER) {
                // compare before parsing: a repeated sequence header costs no allocation
                if (sequenceHeader == null || !Arrays.equals(sequenceHeader, 0, sequenceHeader.length, b, pos, obuEnd)) {
                    if (!parseSequenceHeader(b, payload, (int) size, seq, bits)) {
                        return false;
                    }
                    sequenceHeader = Arrays.copyOfRange(b, pos, obuEnd);
                    changed = true;
                }
                hasSequenceHeader = true;
            } else if ((type == OBU_FRAME_HEADER || type == OBU_FRAME) && sequenceHeader != null
                    && isShownKeyFrame(b, payload, (int) size)) {
                shownKeyFrame = true;
            }
            pos = obuEnd;
        }
        frame.keyframe(hasSequenceHeader && shownKeyFrame);
        if (changed) {
            updateFormat(new TrackFormat(Codec.AV1, format().clockRate(), seq.maxWidth, seq.maxHeight, 0, 0,
                    av1C(seq, sequenceHeader)));
        }
        return true;
    }

    /**
     * The first fields of uncompressed_header() (AV1 5.9.2): with reduced_still_picture_header the frame is a shown
     * key frame by definition; otherwise {@code show_existing_frame f(1)}, and when it is 0,
     * {@code frame_type f(2)} (0 = KEY_FRAME) and {@code show_frame f(1)}.
     */
    private boolean isShownKeyFrame(byte[] b, int off, int len) {
        if (seq.reducedStillPictureHeader) {
            return true;
        }
        if (len < 1) {
            return false;
        }
        int v = b[off] & 0xFF;
        boolean showExistingFrame = (v & 0x80) != 0;
        int frameType = (v >> 5) & 0x03;
        boolean showFrame = (v & 0x10) != 0;
        return !showExistingFrame && frameType == 0 && showFrame;
    }

    /** What the av1C record and the track format need from a sequence header (AV1 5.5). */
    static final class SequenceHeader {
        int profile;
        boolean stillPicture;
        boolean reducedStillPictureHeader;
        int levelIdx0;
        int tier0;
        int maxWidth;
        int maxHeight;
        boolean highBitdepth;
        boolean twelveBit;
        boolean monochrome;
        int subsamplingX;
        int subsamplingY;
        int chromaSamplePosition;
    }

    /**
     * sequence_header_obu() of AV1 5.5.1, through color_config() (5.5.2); timing_info (5.5.3) and
     * decoder_model_info (5.5.4) / operating_parameters_info (5.5.5) are skipped field by field.
     *
     * @return false when it is not a well-formed sequence header
     */
    static boolean parseSequenceHeader(byte[] b, int off, int len, SequenceHeader s, BitReader r) {
        r.reset(b, off, len);
        s.profile = r.bits(3);                               // seq_profile
        if (s.profile > 2) {
            return false;
        }
        s.stillPicture = r.flag();                           // still_picture
        s.reducedStillPictureHeader = r.flag();              // reduced_still_picture_header
        s.tier0 = 0;
        if (s.reducedStillPictureHeader) {
            s.levelIdx0 = r.bits(5);                         // seq_level_idx[0]
        } else {
            boolean decoderModelInfoPresent = false;
            int bufferDelayLength = 0;
            if (r.flag()) {                                  // timing_info_present_flag
                r.skip(32);                                  // num_units_in_display_tick
                r.skip(32);                                  // time_scale
                if (r.flag()) {                              // equal_picture_interval
                    skipUvlc(r);                             // num_ticks_per_picture_minus_1
                }
                decoderModelInfoPresent = r.flag();          // decoder_model_info_present_flag
                if (decoderModelInfoPresent) {
                    bufferDelayLength = r.bits(5) + 1;       // buffer_delay_length_minus_1
                    r.skip(32);                              // num_units_in_decoding_tick
                    r.skip(5);                               // buffer_removal_time_length_minus_1
                    r.skip(5);                               // frame_presentation_time_length_minus_1
                }
            }
            boolean initialDisplayDelayPresent = r.flag();   // initial_display_delay_present_flag
            int operatingPoints = r.bits(5) + 1;             // operating_points_cnt_minus_1
            for (int i = 0; i < operatingPoints; i++) {
                r.skip(12);                                  // operating_point_idc[i]
                int level = r.bits(5);                       // seq_level_idx[i]
                int tier = level > 7 ? r.bit() : 0;          // seq_tier[i]
                if (i == 0) {
                    s.levelIdx0 = level;
                    s.tier0 = tier;
                }
                if (decoderModelInfoPresent && r.flag()) {   // decoder_model_present_for_this_op[i]
                    r.skip(bufferDelayLength);               // decoder_buffer_delay
                    r.skip(bufferDelayLength);               // encoder_buffer_delay
                    r.skip(1);                               // low_delay_mode_flag
                }
                if (initialDisplayDelayPresent && r.flag()) { // initial_display_delay_present_for_this_op[i]
                    r.skip(4);                               // initial_display_delay_minus_1[i]
                }
            }
        }
        int widthBits = r.bits(4) + 1;                       // frame_width_bits_minus_1
        int heightBits = r.bits(4) + 1;                      // frame_height_bits_minus_1
        s.maxWidth = (int) r.bitsLong(widthBits) + 1;        // max_frame_width_minus_1
        s.maxHeight = (int) r.bitsLong(heightBits) + 1;      // max_frame_height_minus_1
        boolean frameIdNumbersPresent = !s.reducedStillPictureHeader && r.flag(); // frame_id_numbers_present_flag
        if (frameIdNumbersPresent) {
            r.skip(4);                                       // delta_frame_id_length_minus_2
            r.skip(3);                                       // additional_frame_id_length_minus_1
        }
        r.skip(1);                                           // use_128x128_superblock
        r.skip(1);                                           // enable_filter_intra
        r.skip(1);                                           // enable_intra_edge_filter
        if (!s.reducedStillPictureHeader) {
            r.skip(1);                                       // enable_interintra_compound
            r.skip(1);                                       // enable_masked_compound
            r.skip(1);                                       // enable_warped_motion
            r.skip(1);                                       // enable_dual_filter
            boolean enableOrderHint = r.flag();              // enable_order_hint
            if (enableOrderHint) {
                r.skip(1);                                   // enable_jnt_comp
                r.skip(1);                                   // enable_ref_frame_mvs
            }
            int forceScreenContentTools = 2;                 // SELECT_SCREEN_CONTENT_TOOLS
            if (!r.flag()) {                                 // seq_choose_screen_content_tools
                forceScreenContentTools = r.bit();           // seq_force_screen_content_tools
            }
            if (forceScreenContentTools > 0 && !r.flag()) {  // seq_choose_integer_mv
                r.skip(1);                                   // seq_force_integer_mv
            }
            if (enableOrderHint) {
                r.skip(3);                                   // order_hint_bits_minus_1
            }
        }
        r.skip(1);                                           // enable_superres
        r.skip(1);                                           // enable_cdef
        r.skip(1);                                           // enable_restoration
        // color_config(), 5.5.2
        s.highBitdepth = r.flag();                           // high_bitdepth
        s.twelveBit = s.profile == 2 && s.highBitdepth && r.flag(); // twelve_bit
        s.monochrome = s.profile != 1 && r.flag();           // mono_chrome (profile 1 is never monochrome)
        int primaries = 2;                                   // CP_UNSPECIFIED
        int transfer = 2;                                    // TC_UNSPECIFIED
        int matrix = 2;                                      // MC_UNSPECIFIED
        if (r.flag()) {                                      // color_description_present_flag
            primaries = r.bits(8);                           // color_primaries
            transfer = r.bits(8);                            // transfer_characteristics
            matrix = r.bits(8);                              // matrix_coefficients
        }
        s.chromaSamplePosition = 0;                          // CSP_UNKNOWN
        if (s.monochrome) {
            r.skip(1);                                       // color_range
            s.subsamplingX = 1;
            s.subsamplingY = 1;
        } else if (primaries == 1 && transfer == 13 && matrix == 0) { // CP_BT_709, TC_SRGB, MC_IDENTITY
            s.subsamplingX = 0;                              // 4:4:4, color_range = 1 implied
            s.subsamplingY = 0;
        } else {
            r.skip(1);                                       // color_range
            if (s.profile == 0) {
                s.subsamplingX = 1;
                s.subsamplingY = 1;
            } else if (s.profile == 1) {
                s.subsamplingX = 0;
                s.subsamplingY = 0;
            } else if (s.twelveBit) {
                s.subsamplingX = r.bit();                    // subsampling_x
                s.subsamplingY = s.subsamplingX == 1 ? r.bit() : 0; // subsampling_y
            } else {
                s.subsamplingX = 1;
                s.subsamplingY = 0;
            }
            if (s.subsamplingX == 1 && s.subsamplingY == 1) {
                s.chromaSamplePosition = r.bits(2);          // chroma_sample_position
            }
        }
        if (!s.monochrome) {
            r.skip(1);                                       // separate_uv_delta_q
        }
        r.skip(1);                                           // film_grain_params_present
        return !r.overrun();
    }

    /** uvlc() of AV1 4.10.3: leadingZeros zero bits, a one, then leadingZeros bits (32 or more zeros: 2^32 - 1). */
    private static void skipUvlc(BitReader r) {
        int leadingZeros = 0;
        while (r.bit() == 0 && !r.overrun()) {
            leadingZeros++;
        }
        if (leadingZeros < 32) {
            r.skip(leadingZeros);
        }
    }

    /**
     * AV1CodecConfigurationRecord, AV1-ISOBMFF 2.3.3:
     * <pre>
     * marker = 1 (1) | version = 1 (7)
     * seq_profile (3) | seq_level_idx_0 (5)
     * seq_tier_0 (1) | high_bitdepth (1) | twelve_bit (1) | monochrome (1) | chroma_subsampling_x (1) |
     *   chroma_subsampling_y (1) | chroma_sample_position (2)
     * reserved = 0 (3) | initial_presentation_delay_present = 0 (1) | reserved = 0 (4)
     * configOBUs: the sequence header OBU (with obu_has_size_field = 1)
     * </pre>
     */
    static byte[] av1C(SequenceHeader s, byte[] sequenceHeaderObu) {
        byte[] out = new byte[4 + sequenceHeaderObu.length];
        out[0] = (byte) 0x81;
        out[1] = (byte) ((s.profile << 5) | s.levelIdx0);
        out[2] = (byte) ((s.tier0 << 7) | (s.highBitdepth ? 0x40 : 0) | (s.twelveBit ? 0x20 : 0)
                | (s.monochrome ? 0x10 : 0) | (s.subsamplingX << 3) | (s.subsamplingY << 2) | s.chromaSamplePosition);
        out[3] = 0;
        System.arraycopy(sequenceHeaderObu, 0, out, 4, sequenceHeaderObu.length);
        return out;
    }

    @Override
    public void reset() {
        super.reset();
        obuStart = -1;
    }
}

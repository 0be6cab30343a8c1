package io.capstan.mux.ts;

import io.capstan.media.Codec;
import io.capstan.mux.common.ByteBuilder;

/**
 * What a video track's decoder configuration record says for Annex B output: the size of the NAL unit length
 * prefix in the frames, and the parameter set NAL units (each behind a 4-byte start code, Rec. ITU-T H.264 /
 * H.265 Annex B.1) to put in front of random access points that lack them.
 *
 * @param lengthSize  bytes of each NAL unit length prefix (1, 2 or 4)
 * @param parameterSets SPS then PPS (H.264), VPS, SPS, PPS (H.265), in Annex B byte stream form; may be empty
 */
record NalConfig(int lengthSize, byte[] parameterSets) {

    /** No configuration record: 4-byte lengths (TrackFormat's convention), no out-of-band parameter sets. */
    static NalConfig none() {
        return new NalConfig(4, new byte[0]);
    }

    static NalConfig of(Codec codec, byte[] record) {
        if (record == null || record.length == 0) {
            return none();
        }
        return codec == Codec.H265 ? hvcC(record) : avcC(record);
    }

    /**
     * ISO/IEC 14496-15 5.3.3.1.2 AVCDecoderConfigurationRecord: configurationVersion, AVCProfileIndication,
     * profile_compatibility, AVCLevelIndication, reserved '111111' | lengthSizeMinusOne (2 bits), reserved '111' |
     * numOfSequenceParameterSets (5 bits), {u16 length, SPS}*, numOfPictureParameterSets, {u16 length, PPS}*.
     */
    static NalConfig avcC(byte[] r) {
        if (r.length < 7 || r[0] != 1) {
            throw new IllegalArgumentException("not an AVCDecoderConfigurationRecord (version "
                    + (r.length > 0 ? r[0] : -1) + ", " + r.length + " bytes)");
        }
        int lengthSize = (r[4] & 3) + 1;
        ByteBuilder ps = new ByteBuilder(128);
        int p = 5;
        int sps = r[p++] & 0x1F;
        p = copyNals(r, p, sps, ps);
        if (p >= r.length) {
            throw new IllegalArgumentException("AVCDecoderConfigurationRecord ends before its PPS count");
        }
        int pps = r[p++] & 0xFF;
        copyNals(r, p, pps, ps);
        return checked(lengthSize, ps);
    }

    /**
     * ISO/IEC 14496-15 8.3.3.1.2 HEVCDecoderConfigurationRecord: 21 bytes of profile/level fields, then
     * constantFrameRate (2) | numTemporalLayers (3) | temporalIdNested (1) | lengthSizeMinusOne (2), numOfArrays,
     * and per array: array_completeness (1) | reserved (1) | NAL_unit_type (6), u16 numNalus, {u16 length, NAL}*.
     * Only VPS (32), SPS (33) and PPS (34) arrays are kept, in that order.
     */
    static NalConfig hvcC(byte[] r) {
        if (r.length < 23 || r[0] != 1) {
            throw new IllegalArgumentException("not an HEVCDecoderConfigurationRecord (version "
                    + (r.length > 0 ? r[0] : -1) + ", " + r.length + " bytes)");
        }
        int lengthSize = (r[21] & 3) + 1;
        ByteBuilder ps = new ByteBuilder(256);
        for (int want = 32; want <= 34; want++) {
            int p = 22;
            int arrays = r[p++] & 0xFF;
            for (int a = 0; a < arrays; a++) {
                if (p + 3 > r.length) {
                    throw new IllegalArgumentException("HEVCDecoderConfigurationRecord truncated in array " + a);
                }
                int type = r[p] & 0x3F;
                int n = (r[p + 1] & 0xFF) << 8 | (r[p + 2] & 0xFF);
                p += 3;
                if (type == want) {
                    p = copyNals(r, p, n, ps);
                } else {
                    p = copyNals(r, p, n, null);
                }
            }
        }
        return checked(lengthSize, ps);
    }

    private static NalConfig checked(int lengthSize, ByteBuilder ps) {
        if (lengthSize == 3) {
            throw new IllegalArgumentException("NAL unit length size 3 is not allowed (ISO/IEC 14496-15)");
        }
        return new NalConfig(lengthSize, ps.toByteArray());
    }

    /** Copies {@code n} (u16 length, NAL unit) entries to {@code into} as start code + NAL; returns the end. */
    private static int copyNals(byte[] r, int p, int n, ByteBuilder into) {
        for (int i = 0; i < n; i++) {
            if (p + 2 > r.length) {
                throw new IllegalArgumentException("configuration record truncated at byte " + p);
            }
            int len = (r[p] & 0xFF) << 8 | (r[p + 1] & 0xFF);
            p += 2;
            if (len == 0 || p + len > r.length) {
                throw new IllegalArgumentException("configuration record: NAL unit of " + len + " bytes at " + p
                        + " runs past its end (" + r.length + ")");
            }
            if (into != null) {
                into.u16(0).u16(1); // start code 00 00 00 01 (zero_byte + start_code_prefix_one_3bytes)
                into.bytes(r, p, len);
            }
            p += len;
        }
        return p;
    }
}

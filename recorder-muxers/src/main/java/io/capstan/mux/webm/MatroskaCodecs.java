package io.capstan.mux.webm;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.OpusPackets;

/**
 * Codec mappings (Matroska codec specifications, https://www.matroska.org/technical/codec_specs.html):
 * <pre>
 * VP8   V_VP8                no CodecPrivate
 * VP9   V_VP9                no CodecPrivate (the optional codec features are left out)
 * AV1   V_AV1                CodecPrivate = av1C (AV1-ISOBMFF section 2.3.3: 4 bytes + the sequence header OBU);
 *                            a block is one temporal unit in the low overhead bitstream format (every OBU with
 *                            obu_size, no temporal delimiter), as Av1Depacketizer writes it; WebM and Matroska
 * H264  V_MPEG4/ISO/AVC      CodecPrivate = AVCDecoderConfigurationRecord, frames 4-byte length-prefixed NALs
 * H265  V_MPEGH/ISO/HEVC     CodecPrivate = HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1,
 *                            lengthSizeMinusOne 3), frames 4-byte length-prefixed NAL units; Matroska only
 * Opus  A_OPUS               CodecPrivate = OpusHead (RFC 7845 section 5.1), CodecDelay = pre-skip, SeekPreRoll 80 ms
 * AAC   A_AAC                CodecPrivate = AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1)
 * PCMU  A_MS/ACM             CodecPrivate = WAVEFORMATEX, wFormatTag 7 (WAVE_FORMAT_MULAW), 8 bits
 * PCMA  A_MS/ACM             CodecPrivate = WAVEFORMATEX, wFormatTag 6 (WAVE_FORMAT_ALAW), 8 bits
 * </pre>
 * Matroska has no native codec id for G.711; A_MS/ACM with a WAVEFORMATEX is what ffmpeg's Matroska writer
 * produces for it and what its reader, MKVToolNix and GStreamer's matroskademux understand.
 */
public final class MatroskaCodecs {

    private MatroskaCodecs() {
    }

    public static String codecId(Codec c) {
        return switch (c) {
            case VP8 -> "V_VP8";
            case VP9 -> "V_VP9";
            case AV1 -> "V_AV1";
            case H264 -> "V_MPEG4/ISO/AVC";
            case H265 -> "V_MPEGH/ISO/HEVC";
            case OPUS -> "A_OPUS";
            case AAC -> "A_AAC";
            case PCMU, PCMA -> "A_MS/ACM";
        };
    }

    /** The CodecPrivate bytes for a track (empty when the codec has none). */
    public static byte[] codecPrivate(TrackFormat f) {
        return switch (f.codec()) {
            case OPUS -> OpusPackets.headFor(f);
            case PCMU -> waveFormatEx(7, channels(f), sampleRate(f));
            case PCMA -> waveFormatEx(6, channels(f), sampleRate(f));
            default -> f.codecPrivate();
        };
    }

    /** WAVEFORMATEX (mmreg.h), all fields little-endian, cbSize 0: 18 bytes. */
    static byte[] waveFormatEx(int formatTag, int channels, int rate) {
        ByteBuilder b = new ByteBuilder(18);
        b.u16LE(formatTag);         // wFormatTag
        b.u16LE(channels);          // nChannels
        b.u32LE(rate);              // nSamplesPerSec
        b.u32LE((long) rate * channels); // nAvgBytesPerSec (8-bit samples)
        b.u16LE(channels);          // nBlockAlign
        b.u16LE(8);                 // wBitsPerSample
        b.u16LE(0);                 // cbSize
        return b.toByteArray();
    }

    static int channels(TrackFormat f) {
        if (f.codec() == Codec.OPUS) {
            return OpusPackets.channels(OpusPackets.headFor(f));
        }
        return f.channels() > 0 ? f.channels() : 1;
    }

    static int sampleRate(TrackFormat f) {
        if (f.codec() == Codec.OPUS) {
            return 48000; // RFC 7845 section 5.1: Opus always decodes at 48 kHz
        }
        return f.sampleRate() > 0 ? f.sampleRate() : f.clockRate();
    }
}

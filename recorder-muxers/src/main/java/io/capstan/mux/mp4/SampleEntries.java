package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.OpusPackets;
import org.mp4parser.Box;
import org.mp4parser.boxes.iso14496.part1.objectdescriptors.DecoderConfigDescriptor;
import org.mp4parser.boxes.iso14496.part1.objectdescriptors.DecoderSpecificInfo;
import org.mp4parser.boxes.iso14496.part1.objectdescriptors.ESDescriptor;
import org.mp4parser.boxes.iso14496.part1.objectdescriptors.SLConfigDescriptor;
import org.mp4parser.boxes.iso14496.part14.ESDescriptorBox;
import org.mp4parser.boxes.iso14496.part15.AvcConfigurationBox;
import org.mp4parser.boxes.iso14496.part15.HevcConfigurationBox;
import org.mp4parser.boxes.iso14496.part15.HevcDecoderConfigurationRecord;
import org.mp4parser.boxes.sampleentry.AudioSampleEntry;
import org.mp4parser.boxes.sampleentry.VisualSampleEntry;
import org.mp4parser.boxes.webm.VPCodecConfigurationBox;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Sample entries ({@code stsd} children) per codec. isoparser builds the VisualSampleEntry / AudioSampleEntry
 * (ISO/IEC 14496-12 12.1.3, 12.2.3), {@code avcC}, {@code hvcC}, {@code esds} and {@code vpcC}; {@code dOps} and
 * {@code av1C}, which isoparser 1.9 lacks, are written here.
 * <pre>
 * H.264  avc1 + avcC (ISO/IEC 14496-15 5.4.2; avcC = the track's codec private, an AVCDecoderConfigurationRecord)
 * H.265  hvc1 + hvcC (ISO/IEC 14496-15 8.4.1; hvcC = codec private, an HEVCDecoderConfigurationRecord)
 * AV1    av01 + av1C (AV1 Codec ISO Media File Format Binding 2.2, 2.3; av1C = codec private)
 * VP9    vp09 + vpcC (VP Codec ISO Media File Format Binding 2.2; vpcC version 1 from the first keyframe's
 *        uncompressed header, VP9 bitstream 6.2)
 * VP8    vp08 + vpcC (the same binding; profile = the first keyframe's version, RFC 6386 9.1; 8-bit 4:2:0)
 * Opus   Opus + dOps (Encapsulation of Opus in ISO BMFF 4.3; dOps from the OpusHead, RFC 7845 5.1)
 * AAC    mp4a + esds (ISO/IEC 14496-14 5.6; objectTypeIndication 0x40, DecSpecificInfo = AudioSpecificConfig)
 * G.711  ulaw / alaw: QuickTime-registered sample entry codes (not defined by ISO/IEC 14496), which ffmpeg and
 *        most players read as mu-law / A-law; 8-bit samples, one byte per sample and channel
 * </pre>
 */
final class SampleEntries {

    private SampleEntries() {
    }

    /** The 4CC of the sample entry written while recording. */
    static String type(Codec codec) {
        return switch (codec) {
            case H264 -> "avc1";
            case H265 -> "hvc1";
            case AV1 -> "av01";
            case VP9 -> "vp09";
            case OPUS -> "Opus";
            case AAC -> "mp4a";
            case PCMU -> "ulaw";
            case PCMA -> "alaw";
            case VP8 -> "vp08";
        };
    }

    /**
     * The sample entry for a track. {@code vp9} is the first VP9 keyframe's parsed header (or null), {@code width}
     * and {@code height} the picture size to declare.
     */
    static Box entry(TrackFormat f, Vp9Header vp9, int width, int height) {
        byte[] priv = f.codecPrivate();
        return switch (f.codec()) {
            case H264 -> {
                requirePrivate(f, priv, "AVCDecoderConfigurationRecord");
                AvcConfigurationBox avcC = new AvcConfigurationBox();
                try {
                    avcC._parseDetails(ByteBuffer.wrap(priv));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("H264 codec private is not an AVCDecoderConfigurationRecord ("
                            + e + ")", e);
                }
                yield visual("avc1", width, height, avcC);
            }
            case H265 -> {
                requirePrivate(f, priv, "HEVCDecoderConfigurationRecord");
                HevcDecoderConfigurationRecord rec = new HevcDecoderConfigurationRecord();
                try {
                    rec.parse(ByteBuffer.wrap(priv));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("H265 codec private is not an HEVCDecoderConfigurationRecord ("
                            + e + ")", e);
                }
                HevcConfigurationBox hvcC = new HevcConfigurationBox();
                hvcC.setHevcDecoderConfigurationRecord(rec);
                yield visual("hvc1", width, height, hvcC);
            }
            case AV1 -> {
                requirePrivate(f, priv, "AV1CodecConfigurationRecord");
                if ((priv[0] & 0xFF) != 0x81) {
                    throw new IllegalArgumentException("AV1 codec private is not an av1C record (marker 1, version 1)");
                }
                // AV1-ISOBMFF 2.3.3: av1C is a plain Box holding the AV1CodecConfigurationRecord
                ByteBuilder b = new ByteBuilder(priv.length + 8);
                int at = Boxes.begin(b, Boxes.fourcc("av1C"));
                b.bytes(priv);
                Boxes.end(b, at);
                yield visual("av01", width, height, Boxes.Raw.of(b));
            }
            case VP9 -> visual("vp09", width, height, vpcC(vp9 != null ? vp9 : Vp9Header.DEFAULT, width, height));
            // VP codec binding: vp08 with the same vpcC; profile = the VP8 "version" of the first keyframe
            case VP8 -> visual("vp08", width, height, vpcC(vp9 != null ? vp9 : Vp9Header.DEFAULT, width, height));
            case OPUS -> {
                byte[] head = OpusPackets.headFor(f);
                int channels = OpusPackets.channels(head);
                yield audio("Opus", channels, 16, 48000, dOps(head));
            }
            case AAC -> {
                requirePrivate(f, priv, "AudioSpecificConfig");
                yield audio("mp4a", Math.max(1, f.channels()), 16, sampleRate(f), esds(priv));
            }
            case PCMU, PCMA -> audio(type(f.codec()), Math.max(1, f.channels()), 8, sampleRate(f), null);
        };
    }

    static int sampleRate(TrackFormat f) {
        return f.sampleRate() > 0 ? f.sampleRate() : f.clockRate();
    }

    private static void requirePrivate(TrackFormat f, byte[] priv, String what) {
        if (priv.length == 0) {
            throw new IllegalArgumentException(f.codec() + " track needs its " + what + " as codec private data");
        }
    }

    private static VisualSampleEntry visual(String type, int width, int height, Box config) {
        // ISO/IEC 14496-12 12.1.3: width/height in pixels, 72 dpi, frame_count 1, depth 0x18
        VisualSampleEntry e = new VisualSampleEntry(type);
        e.setDataReferenceIndex(1);
        e.setWidth(width);
        e.setHeight(height);
        e.setHorizresolution(72);
        e.setVertresolution(72);
        e.setFrameCount(1);
        e.setDepth(24);
        e.setCompressorname("");
        e.addBox(config);
        return e;
    }

    private static AudioSampleEntry audio(String type, int channels, int sampleSize, int rate, Box config) {
        // ISO/IEC 14496-12 12.2.3: channelcount, samplesize, samplerate as 16.16 (rates up to 65535 Hz)
        AudioSampleEntry e = new AudioSampleEntry(type);
        e.setDataReferenceIndex(1);
        e.setChannelCount(channels);
        e.setSampleSize(sampleSize);
        e.setSampleRate(rate);
        if (config != null) {
            e.addBox(config);
        }
        return e;
    }

    /**
     * Opus in ISO BMFF 4.3.2, OpusSpecificBox (a plain Box, big-endian): Version 0, OutputChannelCount,
     * PreSkip (16), InputSampleRate (32), OutputGain (s16), ChannelMappingFamily (8) [+ mapping table]; from the
     * little-endian OpusHead of RFC 7845 5.1.
     */
    static Box dOps(byte[] head) {
        ByteBuilder b = new ByteBuilder(32);
        int at = Boxes.begin(b, Boxes.fourcc("dOps"));
        b.u8(0);                                           // Version
        b.u8(head[9] & 0xFF);                              // OutputChannelCount
        b.u16(OpusPackets.preSkip(head));                  // PreSkip
        long inputRate = (head[12] & 0xFFL) | (head[13] & 0xFFL) << 8 | (head[14] & 0xFFL) << 16
                | (head[15] & 0xFFL) << 24;
        b.uBE(inputRate, 4);                               // InputSampleRate
        b.u16((head[16] & 0xFF) | (head[17] & 0xFF) << 8); // OutputGain (Q7.8, two's complement)
        b.u8(head[18] & 0xFF);                             // ChannelMappingFamily
        if ((head[18] & 0xFF) != 0 && head.length > 19) {
            b.bytes(head, 19, head.length - 19);           // StreamCount, CoupledCount, ChannelMapping
        }
        Boxes.end(b, at);
        return Boxes.Raw.of(b);
    }

    /**
     * ISO/IEC 14496-14 5.6 ES_Descriptor: DecoderConfigDescriptor (objectTypeIndication 0x40 = Audio ISO/IEC
     * 14496-3, streamType 0x05 audio) carrying the AudioSpecificConfig as DecoderSpecificInfo; SLConfig predefined 2.
     */
    private static ESDescriptorBox esds(byte[] asc) {
        DecoderSpecificInfo dsi = new DecoderSpecificInfo();
        dsi.setData(asc);
        DecoderConfigDescriptor dcd = new DecoderConfigDescriptor();
        dcd.setObjectTypeIndication(0x40);
        dcd.setStreamType(5);
        dcd.setUpStream(0);
        dcd.setBufferSizeDB(0);
        dcd.setMaxBitRate(0);
        dcd.setAvgBitRate(0);
        dcd.setDecoderSpecificInfo(dsi);
        SLConfigDescriptor sl = new SLConfigDescriptor();
        sl.setPredefined(2);
        ESDescriptor es = new ESDescriptor();
        es.setEsId(0);
        es.setDecoderConfigDescriptor(dcd);
        es.setSlConfigDescriptor(sl);
        ESDescriptorBox box = new ESDescriptorBox();
        box.setEsDescriptor(es);
        return box;
    }

    /** VP Codec ISO Media File Format Binding v1.0, VPCodecConfigurationBox version 1. */
    private static VPCodecConfigurationBox vpcC(Vp9Header h, int width, int height) {
        VPCodecConfigurationBox b = new VPCodecConfigurationBox();
        b.setVersion(1);
        b.setFlags(0);
        b.setProfile(h.profile());
        b.setLevel(Vp9Header.level(width, height));
        b.setBitDepth(h.bitDepth());
        b.setChromaSubsampling(h.chromaSubsampling());
        b.setVideoFullRangeFlag(h.fullRange() ? 1 : 0);
        b.setColourPrimaries(h.colourPrimaries());
        b.setTransferCharacteristics(h.transferCharacteristics());
        b.setMatrixCoefficients(h.matrixCoefficients());
        b.setCodecIntializationData(new byte[0]); // must be 0 for VP8/VP9
        return b;
    }

    /** The compatible brands a file with these codecs declares (ISO/IEC 14496-12 4.3, 14496-15, AV1, Opus). */
    static void addBrands(List<String> brands, Codec codec) {
        String brand = switch (codec) {
            case H264 -> "avc1";
            case AV1 -> "av01";
            case OPUS -> "opus";
            default -> null;
        };
        if (brand != null && !brands.contains(brand)) {
            brands.add(brand);
        }
    }
}

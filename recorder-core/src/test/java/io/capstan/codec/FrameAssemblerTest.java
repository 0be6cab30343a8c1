package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.rtp.RtpPacket;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generic {@link FrameAssembler} driven with real depacketizers and RTP packets built here: emission, loss,
 * keyframe waits and requests, marker loss, malformed payloads, audio behaviour, multi-unit packets.
 */
class FrameAssemblerTest {

    /** What the assembler emitted. */
    record Out(long ts, boolean key, int droppedBefore, String hex) {
    }

    /** Collects frames and keyframe requests. */
    static final class Sink implements FrameAssembler.Output {
        final List<Out> frames = new ArrayList<>();
        final List<String> keyframeRequests = new ArrayList<>();

        @Override
        public void frame(byte[] data, int off, int len, long rtpTimestamp, boolean keyframe, long arrivalNanos,
                          int droppedBefore) {
            frames.add(new Out(rtpTimestamp, keyframe, droppedBefore, Rtp.hex(Arrays.copyOfRange(data, off, off + len))));
        }

        @Override
        public void keyframeNeeded(String reason) {
            keyframeRequests.add(reason);
        }
    }

    private final Sink out = new Sink();

    private FrameAssembler vp8() {
        return new FrameAssembler(new Vp8Depacketizer(), new FrameBuilder(16, 1 << 20), out);
    }

    /** Feeds one packet (timestamps stay below 2^31 so extTimestamp == RTP timestamp). */
    private static boolean feed(FrameAssembler a, RtpPacket p, boolean lossBefore) {
        return a.packet(p, p.timestamp(), lossBefore, 0);
    }

    // ---- VP8 payloads (RFC 7741 4.2 descriptor + RFC 6386 9.1 frame header)

    /** First packet of a keyframe, 320x240. */
    static final String KEY_START =
            "10"          // descriptor: X=0 R=0 N=0 S=1 R=0 PID=0 (start of partition 0)
            + "10 02 00"  // frame tag: P=0 (key frame), version 0, show_frame=1, first partition size
            + "9d 01 2a"  // keyframe start code
            + "40 01"     // width 320 (14 bits, little endian), scale 0
            + "f0 00"     // height 240, scale 0
            + "aa bb";    // start of partition data

    /** A continuation packet of a frame: S=0, PID=0. */
    static final String CONT =
            "00"          // descriptor: S=0 PID=0 (middle/end of the frame)
            + "cc dd ee";  // partition data

    /** A whole inter frame in one packet. */
    static final String INTER =
            "10"          // descriptor: S=1 PID=0
            + "31 00 00"  // frame tag: P=1 (inter frame), show_frame=1
            + "11 22";     // data

    @Test
    void completeFrame_emitted() {
        FrameAssembler a = vp8();
        assertThat(feed(a, Rtp.packet(100, 3000, false, KEY_START), false)).isTrue();
        assertThat(out.frames).isEmpty(); // waiting for the marker
        assertThat(feed(a, Rtp.packet(101, 3000, true, CONT), false)).isTrue();
        assertThat(feed(a, Rtp.packet(102, 6000, true, INTER), false)).isTrue();

        assertThat(out.frames).extracting(Out::ts).containsExactly(3000L, 6000L);
        assertThat(out.frames).extracting(Out::key).containsExactly(true, false);
        assertThat(out.frames).extracting(Out::droppedBefore).containsExactly(0, 0);
        // descriptors stripped, the two packets of the keyframe joined
        assertThat(out.frames.get(0).hex()).isEqualTo("1002009d012a4001f000aabbccddee");
        assertThat(out.frames.get(1).hex()).isEqualTo("3100001122");
        assertThat(out.keyframeRequests).isEmpty();
        assertThat(a.framesEmitted()).isEqualTo(2);
        assertThat(a.framesDropped()).isZero();
        assertThat(a.depacketizer().format().width()).isEqualTo(320);
        assertThat(a.depacketizer().format().height()).isEqualTo(240);
    }

    @Test
    void fragmentedFrame_missingFirstPacket_dropsFrameAndRequestsKeyframe() {
        FrameAssembler a = vp8();
        feed(a, Rtp.packet(1, 3000, true, KEY_START), false);       // keyframe, one packet
        // frame at 6000: packet 2 (its start) is lost, packet 3 ends it
        feed(a, Rtp.packet(3, 6000, true, CONT), true);
        assertThat(out.keyframeRequests).isNotEmpty();
        assertThat(a.packetsWithoutStart()).isEqualTo(1);
        assertThat(a.waitingForKeyframe()).isTrue();
        feed(a, Rtp.packet(4, 9000, true, INTER), false);           // decodable only with the lost frame: dropped
        feed(a, Rtp.packet(5, 12000, true, KEY_START), false);      // recovery

        assertThat(out.frames).extracting(Out::ts).containsExactly(3000L, 12000L);
        assertThat(out.frames).extracting(Out::key).containsExactly(true, true);
        // the frame whose start was lost and the inter frame after it
        assertThat(out.frames.get(1).droppedBefore()).isEqualTo(2);
        assertThat(a.framesDropped()).isEqualTo(2);
        assertThat(a.waitingForKeyframe()).isFalse();
    }

    @Test
    void fragmentedFrame_missingMiddlePacket_dropped_untilNextKeyframe() {
        FrameAssembler a = vp8();
        feed(a, Rtp.packet(1, 3000, true, KEY_START), false);
        feed(a, Rtp.packet(2, 6000, false, INTER), false);          // frame 6000 starts...
        // ...packet 3 (its middle) is lost
        feed(a, Rtp.packet(4, 6000, true, CONT), true);             // ...and ends: the frame is incomplete
        assertThat(out.keyframeRequests).contains("packet loss");
        feed(a, Rtp.packet(5, 9000, true, INTER), false);           // dropped: waits for a keyframe
        feed(a, Rtp.packet(6, 12000, true, INTER), false);          // dropped
        feed(a, Rtp.packet(7, 15000, false, KEY_START), false);     // keyframe in two packets
        feed(a, Rtp.packet(8, 15000, true, CONT), false);
        feed(a, Rtp.packet(9, 18000, true, INTER), false);

        assertThat(out.frames).extracting(Out::ts).containsExactly(3000L, 15000L, 18000L);
        assertThat(out.frames).extracting(Out::key).containsExactly(true, true, false);
        assertThat(out.frames).extracting(Out::droppedBefore).containsExactly(0, 3, 0);
        assertThat(a.framesDropped()).isEqualTo(3);
        assertThat(out.keyframeRequests).contains("waiting for keyframe");
    }

    @Test
    void streamStartsMidGop_dropsUntilKeyframe_requestsKeyframe() {
        FrameAssembler a = vp8();
        assertThat(a.waitingForKeyframe()).isTrue();
        feed(a, Rtp.packet(500, 90000, true, CONT), false);         // tail of a frame whose start we never saw
        feed(a, Rtp.packet(501, 93000, true, INTER), false);
        feed(a, Rtp.packet(502, 96000, true, INTER), false);
        assertThat(out.frames).isEmpty();
        assertThat(out.keyframeRequests).isNotEmpty();
        feed(a, Rtp.packet(503, 99000, true, KEY_START), false);
        feed(a, Rtp.packet(504, 102000, true, INTER), false);

        assertThat(out.frames).extracting(Out::ts).containsExactly(99000L, 102000L);
        assertThat(out.frames.get(0).key()).isTrue(); // the first frame of a video track is a keyframe
        assertThat(out.frames).extracting(Out::droppedBefore).containsExactly(3, 0);
    }

    @Test
    void markerLost_nextFrameStart_closesPreviousFrame() {
        FrameAssembler a = vp8();
        // a sender that never sets the marker bit
        feed(a, Rtp.packet(1, 3000, false, KEY_START), false);
        feed(a, Rtp.packet(2, 3000, false, CONT), false);
        assertThat(out.frames).isEmpty();
        feed(a, Rtp.packet(3, 6000, false, INTER), false);          // new timestamp, S=1: closes frame 3000
        assertThat(out.frames).extracting(Out::ts).containsExactly(3000L);
        feed(a, Rtp.packet(4, 9000, false, INTER), false);          // closes frame 6000

        assertThat(out.frames).extracting(Out::ts).containsExactly(3000L, 6000L);
        assertThat(out.frames).extracting(Out::key).containsExactly(true, false);
        assertThat(out.frames.get(0).hex()).isEqualTo("1002009d012a4001f000aabbccddee");
        assertThat(out.frames).extracting(Out::droppedBefore).containsExactly(0, 0);
        assertThat(out.keyframeRequests).isEmpty();
        a.flush(); // frame 9000 never ended: dropped at end of stream
        assertThat(a.framesDropped()).isEqualTo(1);
    }

    @Test
    void newTimestampWithoutFrameStart_dropsUnfinishedFrame() {
        FrameAssembler a = vp8();
        feed(a, Rtp.packet(1, 3000, true, KEY_START), false);
        feed(a, Rtp.packet(2, 6000, false, INTER), false);
        feed(a, Rtp.packet(3, 9000, true, CONT), false); // new timestamp but not a frame start, no loss reported
        feed(a, Rtp.packet(4, 12000, true, KEY_START), false);

        assertThat(out.frames).extracting(Out::ts).containsExactly(3000L, 12000L);
        assertThat(out.keyframeRequests).contains("frame without end");
        assertThat(out.frames.get(1).droppedBefore()).isEqualTo(2); // frame 6000 and the headless frame 9000
    }

    @Test
    void malformedPayload_countedInvalid_frameDropped() {
        FrameAssembler a = vp8();
        feed(a, Rtp.packet(1, 3000, true, KEY_START), false);
        assertThat(feed(a, Rtp.packet(2, 6000, false, INTER), false)).isTrue();
        // X=1 announces an extension octet that is not there: a truncated descriptor
        assertThat(feed(a, Rtp.packet(3, 6000, true, "80"), false)).isFalse();
        assertThat(a.invalidPayloads()).isEqualTo(1);
        assertThat(out.keyframeRequests).contains("malformed payload");
        feed(a, Rtp.packet(4, 9000, true, INTER), false);           // dropped: waits for a keyframe
        // a keyframe whose start code is corrupt (9d 01 2b) is not decodable: finish rejects it
        feed(a, Rtp.packet(5, 12000, true, "10 100200 9d012b 4001 f000 aabb"), false);
        feed(a, Rtp.packet(6, 15000, true, KEY_START), false);

        assertThat(out.frames).extracting(Out::ts).containsExactly(3000L, 15000L);
        assertThat(out.frames.get(1).droppedBefore()).isEqualTo(3);
        assertThat(a.invalidPayloads()).isEqualTo(1); // the bad keyframe was well-formed RTP, just not decodable
        assertThat(a.framesDropped()).isEqualTo(3);
    }

    @Test
    void audio_lossDoesNotWaitForKeyframe() {
        FrameAssembler a = new FrameAssembler(new OpusDepacketizer(2), new FrameBuilder(16, 1 << 20), out);
        assertThat(a.waitingForKeyframe()).isFalse();
        String opus = "fc 01 02 03"; // TOC: config 31 (CELT FB 20 ms), s=1 (stereo), c=0 (one frame); data
        feed(a, Rtp.packet(10, 960, true, opus), false);
        feed(a, Rtp.packet(11, 1920, true, opus), false);
        // packets 12 and 13 lost
        feed(a, Rtp.packet(14, 4800, true, opus), true);
        assertThat(feed(a, Rtp.packet(15, 5760, true, ""), false)).isFalse(); // empty Opus payload: malformed
        feed(a, Rtp.packet(16, 6720, true, opus), false);

        assertThat(out.frames).extracting(Out::ts).containsExactly(960L, 1920L, 4800L, 6720L);
        assertThat(out.frames).extracting(Out::key).containsOnly(true);
        assertThat(out.frames).extracting(Out::droppedBefore).containsExactly(0, 0, 0, 1);
        assertThat(out.keyframeRequests).isEmpty();
        assertThat(a.invalidPayloads()).isEqualTo(1);
        assertThat(a.waitingForKeyframe()).isFalse();
    }

    @Test
    void aacMultipleAus_emittedAsSeparateFrames() {
        Depacketizer aac = Depacketizers.create(Codec.AAC, 48000, 2, Map.of("mode", "AAC-hbr", "sizelength", "13",
                "indexlength", "3", "indexdeltalength", "3", "config", "1190"));
        FrameAssembler a = new FrameAssembler(aac, new FrameBuilder(16, 1 << 20), out);
        RtpPacket p = Rtp.packet(7, 48000, true,
                "00 30"       // AU-headers-length: 48 bits = three 16-bit AU headers
                + "00 20"     // AU-size 4 (13 bits) | AU-Index 0 (3 bits)
                + "00 18"     // AU-size 3 | AU-Index-delta 0 (next AU follows directly)
                + "00 10"     // AU-size 2 | AU-Index-delta 0
                + "a1 a2 a3 a4" // AU 0
                + "b1 b2 b3"    // AU 1
                + "c1 c2");     // AU 2
        assertThat(feed(a, p, false)).isTrue();
        RtpPacket q = Rtp.packet(8, 48000 + 3 * 1024, true, "0010 0020 d1d2d3d4"); // one AU of 4 bytes

        feed(a, q, true); // loss before: audio just carries on

        assertThat(out.frames).extracting(Out::ts)
                .containsExactly(48000L, 48000L + 1024, 48000L + 2048, 48000L + 3072); // 1024 samples per AU
        assertThat(out.frames).extracting(Out::hex).containsExactly("a1a2a3a4", "b1b2b3", "c1c2", "d1d2d3d4");
        assertThat(out.frames).extracting(Out::key).containsOnly(true);
        assertThat(out.frames).extracting(Out::droppedBefore).containsOnly(0);
        assertThat(out.keyframeRequests).isEmpty();
        assertThat(a.framesEmitted()).isEqualTo(4);
    }

    @Test
    void h264_fuaMissingStart_waitsForIdr() {
        FrameAssembler a = new FrameAssembler(new H264Depacketizer(), new FrameBuilder(16, 1 << 20), out);
        String sps = H264DepacketizerTest.SPS_320x240; // a real x264 SPS (24 bytes): the depacketizer parses it
        String pps = "68 ce3c80";                      // PPS: type 8
        // STAP-A (type 24) with SPS and PPS, then an IDR slice (type 5) in one packet
        feed(a, Rtp.packet(1, 3000, false, "18" + " 0018 " + sps + " 0004 " + pps), false);
        feed(a, Rtp.packet(2, 3000, true, "65 888400aa"), false);
        // FU-A (type 28) of a non-IDR slice: the start fragment (S=1) is lost, middle and end arrive
        feed(a, Rtp.packet(4, 6000, false, "7c 01 1111"), true); // FU indicator NRI 3 type 28; header S=0 E=0 type 1
        feed(a, Rtp.packet(5, 6000, true, "7c 41 2222"), false);  // E=1
        feed(a, Rtp.packet(6, 9000, true, "41 9a00bb"), false);   // a whole non-IDR slice: dropped, needs IDR
        feed(a, Rtp.packet(7, 12000, true, "65 888400cc"), false); // IDR

        assertThat(out.frames).extracting(Out::ts).containsExactly(3000L, 12000L);
        assertThat(out.frames).extracting(Out::key).containsExactly(true, true);
        assertThat(out.frames.get(1).droppedBefore()).isEqualTo(2);
        assertThat(out.keyframeRequests).isNotEmpty();
    }

    /**
     * Found by the impairment matrix (h264_stapa, 5 % loss): an IDR picture of several slices, each slice a FU-A,
     * the second preceded by a STAP-A; the first slice's end fragment is lost. The packets after the gap (a STAP-A
     * looks like an access unit start) must not become a new frame of the same timestamp: that wrote a keyframe
     * missing a slice. The whole picture is dropped and the track waits for the next IDR.
     */
    @Test
    void h264_lossInsideMultiSliceIdr_restOfThePictureIsNotANewFrame() {
        FrameAssembler a = new FrameAssembler(new H264Depacketizer(), new FrameBuilder(16, 1 << 20), out);
        String sps = H264DepacketizerTest.SPS_320x240;
        String pps = "68 ce3c80";
        feed(a, Rtp.packet(1, 3000, false, "18" + " 0018 " + sps + " 0004 " + pps), false); // STAP-A SPS+PPS
        feed(a, Rtp.packet(2, 3000, false, "7c 85 9111"), false); // FU-A start of IDR slice 1: first_mb_in_slice 0
        // seq 3, FU-A end of slice 1, is lost
        feed(a, Rtp.packet(4, 3000, false, "18 0003 06 0501"), true); // STAP-A (an SEI) before slice 2
        feed(a, Rtp.packet(5, 3000, false, "7c 85 3333"), false);     // FU-A start of IDR slice 2 (first_mb > 0)
        feed(a, Rtp.packet(6, 3000, true, "7c 45 4444"), false);      // FU-A end of slice 2, marker
        feed(a, Rtp.packet(7, 6000, true, "41 9a00bb"), false);       // a P slice: waits for an IDR
        feed(a, Rtp.packet(8, 9000, true, "65 888400cc"), false);     // the next IDR

        assertThat(out.frames).extracting(Out::ts).containsExactly(9000L);
        assertThat(out.frames.get(0).droppedBefore()).isEqualTo(2);
        assertThat(a.framesDropped()).isEqualTo(2);
        assertThat(out.keyframeRequests).isNotEmpty();
    }

    /**
     * Found by the impairment matrix (h264_stapa under loss): the packet holding the first slice of an IDR picture
     * is lost at the head of the access unit; the next packet (an SPS/PPS STAP-A that GStreamer puts between
     * slices) looks like a frame start, so the remaining slices formed a "complete" keyframe missing its first
     * slice, which ffmpeg conceals without a word. An access unit whose slices lack first_mb_in_slice = 0 (H.264
     * 7.3.3) is incomplete: dropped, and the track waits for the next IDR.
     */
    @Test
    void h264_firstSliceLostAtPictureHead_restOfThePictureIsDropped() {
        FrameAssembler a = new FrameAssembler(new H264Depacketizer(), new FrameBuilder(16, 1 << 20), out);
        String sps = H264DepacketizerTest.SPS_320x240;
        String pps = "68 ce3c80";
        // seq 1, the IDR's first slice "65 88 8400aa" (first_mb_in_slice 0), is lost
        feed(a, Rtp.packet(2, 3000, false, "18" + " 0018 " + sps + " 0004 " + pps), true); // STAP-A SPS+PPS
        feed(a, Rtp.packet(3, 3000, true, "65 40 1122"), false);  // IDR slice 2: first_mb_in_slice 1 (ue '010')
        feed(a, Rtp.packet(4, 6000, true, "41 9a00bb"), false);   // a P picture: waits for an IDR
        feed(a, Rtp.packet(5, 9000, true, "65 888400cc"), false); // the next IDR, whole

        assertThat(out.frames).extracting(Out::ts).containsExactly(9000L);
        assertThat(a.framesDropped()).isEqualTo(2);
        assertThat(out.keyframeRequests).isNotEmpty();
    }
}

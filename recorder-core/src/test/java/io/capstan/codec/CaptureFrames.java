package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.rtp.ReceiveBuffer;
import io.capstan.rtp.RtpPacket;
import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.RtpFormat;
import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test helper (public: the muxer tests use it through the core test-jar): one media stream of a capture
 * ({@code NAME.pcap} + {@code NAME.sdp}) through the real receive path, ReceiveBuffer -> FrameAssembler -> the
 * depacketizer {@link Depacketizers#create} picks from the SDP, collecting the frames.
 */
public final class CaptureFrames {

    /** One emitted frame: its bytes, unwrapped RTP timestamp and keyframe flag. */
    public record Frame(byte[] data, long rtpTimestamp, boolean keyframe) {
    }

    /** What came out of the capture. */
    public record Result(Depacketizer depacketizer, FrameAssembler assembler, List<Frame> frames,
                         List<String> keyframeRequests) {
        public long keyframes() {
            return frames.stream().filter(Frame::keyframe).count();
        }
    }

    private CaptureFrames() {
    }

    /**
     * @param fixtures the directory with {@code name.pcap} and {@code name.sdp}
     * @param media    the SDP media type of the stream ("video" or "audio"; the first such m= line)
     */
    public static Result read(Path fixtures, String name, String media) throws Exception {
        SessionDescription sdp = SdpParser.parse(fixtures.resolve(name + ".sdp"));
        MediaDescription m = sdp.media().stream().filter(x -> x.media().equals(media)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + media + " in " + name + ".sdp"));
        RtpFormat fmt = m.formats().get(0);
        Codec codec = fmt.codec().orElseThrow(() -> new AssertionError("unknown codec " + fmt.encodingName()));
        Depacketizer d = Depacketizers.create(codec, fmt.clockRate(), fmt.channels(), fmt.parameters());
        List<Frame> frames = new ArrayList<>();
        List<String> requests = new ArrayList<>();
        FrameAssembler assembler = new FrameAssembler(d, new FrameBuilder(), new FrameAssembler.Output() {
            @Override
            public void frame(byte[] data, int off, int len, long ts, boolean keyframe, long arrival, int dropped) {
                frames.add(new Frame(Arrays.copyOfRange(data, off, off + len), ts, keyframe));
            }

            @Override
            public void keyframeNeeded(String reason) {
                requests.add(reason);
            }
        });
        ReceiveBuffer buffer = new ReceiveBuffer(512, 200_000_000L,
                (p, extSeq, extTs, arrival, loss) -> assembler.packet(p, extTs, loss, arrival));
        try (CaptureReader r = CaptureReader.open(fixtures.resolve(name + ".pcap"))) {
            for (UdpDatagram dg = r.next(); dg != null; dg = r.next()) {
                if (dg.dstPort() != m.port()) {
                    continue;
                }
                RtpPacket p = new RtpPacket();
                byte[] copy = dg.payload();
                if (p.wrap(copy, 0, copy.length) == null) {
                    buffer.push(p, dg.timestampNanos());
                }
            }
        }
        buffer.releaseAll();
        assembler.flush();
        return new Result(d, assembler, frames, requests);
    }
}

package io.capstan.bench;

import io.capstan.codec.Depacketizer;
import io.capstan.codec.FrameAssembler;
import io.capstan.codec.FrameBuilder;
import io.capstan.rtp.ReceiveBuffer;
import io.capstan.rtp.RtpPacket;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The host-thread receive path the session runs for one track, without the session around it:
 * {@link RtpPacket#wrap} -> {@link ReceiveBuffer} -> {@link FrameAssembler} -> {@link Depacketizer}, the frames going
 * to a {@link Blackhole}.
 *
 * <p>Frames are given as packet templates (one {@code byte[][]} per frame, in a repeating group of pictures). Each
 * {@link #pushFrame} takes the next template, rewrites its sequence numbers and timestamp in place (and lets a
 * subclass-supplied {@link Patcher} rewrite codec fields such as the VP8 picture ID), and pushes its packets. So
 * sequence numbers and timestamps keep advancing (and wrap) exactly as on a live stream.
 */
final class DepacketizeDriver implements ReceiveBuffer.Output, FrameAssembler.Output {

    /** Rewrites per-frame codec fields of a packet template before it is pushed. */
    interface Patcher {
        void patch(byte[] packet, long frameNumber, int packetIndex);
    }

    static final long FRAME_INTERVAL_NANOS = 33_333_333L; // 30 fps
    static final int TICKS_PER_FRAME = 3000;              // 90 kHz / 30 fps

    private final byte[][][] gop;
    private final Patcher patcher;
    private final RtpPacket view = new RtpPacket();
    private final ReceiveBuffer buffer;
    private final FrameAssembler assembler;

    Blackhole bh;
    private int seq = 65_000;          // wraps after ~500 packets, then every 65,536
    private long ts = 4_294_000_000L;  // wraps soon, too
    private long arrival = 1_000_000_000L;
    private long frameNumber;

    // what came out
    long frames;
    long keyframes;
    long bytes;
    long keyframeRequests;
    long rejected;
    String lastRequest;

    DepacketizeDriver(Depacketizer depacketizer, byte[][][] gop, Patcher patcher) {
        this.gop = gop;
        this.patcher = patcher;
        this.buffer = new ReceiveBuffer(1024, 300_000_000L, this);
        this.assembler = new FrameAssembler(depacketizer, new FrameBuilder(), this);
    }

    /** Pushes the packets of the next frame of the group of pictures. */
    void pushFrame() {
        byte[][] frame = gop[(int) (frameNumber % gop.length)];
        long t = ts & 0xFFFF_FFFFL;
        for (int i = 0; i < frame.length; i++) {
            byte[] p = frame[i];
            Rtp.putSeq(p, 0, seq);
            Rtp.putTs(p, 0, t);
            if (patcher != null) {
                patcher.patch(p, frameNumber, i);
            }
            seq = (seq + 1) & 0xFFFF;
            if (view.wrap(p, 0, p.length) != null) {
                rejected++;
                continue;
            }
            buffer.push(view, arrival + i * 100_000L); // packets of a frame spread over 0.1 ms each
        }
        ts += TICKS_PER_FRAME;
        arrival += FRAME_INTERVAL_NANOS;
        frameNumber++;
    }

    long framesPushed() {
        return frameNumber;
    }

    FrameAssembler assembler() {
        return assembler;
    }

    ReceiveBuffer buffer() {
        return buffer;
    }

    // ---- ReceiveBuffer.Output: in-order packets
    @Override
    public void packet(RtpPacket p, long extSeq, long extTimestamp, long arrivalNanos, boolean lossBefore) {
        if (!assembler.packet(p, extTimestamp, lossBefore, arrivalNanos)) {
            rejected++;
        }
    }

    // ---- FrameAssembler.Output: complete frames
    @Override
    public void frame(byte[] data, int off, int len, long rtpTimestamp, boolean keyframe, long arrivalNanos,
                      int droppedBefore) {
        frames++;
        bytes += len;
        if (keyframe) {
            keyframes++;
        }
        Blackhole b = bh;
        if (b != null) {
            b.consume(data);
            b.consume(len);
            b.consume(rtpTimestamp);
        }
    }

    @Override
    public void keyframeNeeded(String reason) {
        keyframeRequests++;
        lastRequest = reason;
    }

    /** Fails the run when the pipeline did not turn every pushed frame into an emitted frame. */
    void verify(String what) {
        if (rejected != 0 || keyframeRequests != 0 || assembler.framesDropped() != 0 || frames != frameNumber
                || buffer.lost() != 0) {
            throw new IllegalStateException(what + ": pushed " + frameNumber + " frames, emitted " + frames
                    + " (" + keyframes + " key), dropped " + assembler.framesDropped() + ", rejected " + rejected
                    + ", lost " + buffer.lost() + ", keyframe requests " + keyframeRequests + " (last: "
                    + lastRequest + ")");
        }
    }

    @Override
    public String toString() {
        return "frames " + frames + " (" + keyframes + " key), " + bytes + " B, packets " + buffer.received();
    }
}

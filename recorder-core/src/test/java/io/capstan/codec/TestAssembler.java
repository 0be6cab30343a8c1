package io.capstan.codec;

import io.capstan.rtp.RtpPacket;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test driver that mimics the generic frame assembler: in-order packets, {@code isFrameStart} only when no frame
 * is being built, {@code append}, and {@code finish} at {@code isFrameEnd}; every unit of a finished frame is
 * emitted as a frame. A failed append spoils the frame (it is never finished).
 */
final class TestAssembler {

    record Frame(byte[] data, long timestamp, boolean keyframe) {
        String hex() {
            return Rtp.hex(data);
        }
    }

    private final Depacketizer depacketizer;
    private final FrameBuilder builder = new FrameBuilder(16, 1 << 20);
    final List<Frame> frames = new ArrayList<>();
    private boolean building;
    private boolean spoiled;
    int invalid;     // append returned false
    int rejected;    // finish returned false
    int notStarted;  // packets skipped waiting for a frame start

    TestAssembler(Depacketizer depacketizer) {
        this.depacketizer = depacketizer;
    }

    static List<Frame> run(Depacketizer d, RtpPacket... packets) {
        TestAssembler a = new TestAssembler(d);
        for (RtpPacket p : packets) {
            a.push(p);
        }
        return a.frames;
    }

    void push(RtpPacket p) {
        if (!building) {
            if (!depacketizer.isFrameStart(p)) {
                notStarted++;
                return;
            }
            builder.reset(p.timestamp());
            building = true;
            spoiled = false;
        }
        if (!spoiled && !depacketizer.append(p, builder)) {
            invalid++;
            spoiled = true;
        }
        if (depacketizer.isFrameEnd(p)) {
            building = false;
            if (!spoiled) {
                if (depacketizer.finish(builder)) {
                    for (int u = 0; u < builder.unitCount(); u++) {
                        int off = builder.unitOffset(u);
                        frames.add(new Frame(Arrays.copyOfRange(builder.array(), off, off + builder.unitLength(u)),
                                builder.unitTimestamp(u), builder.keyframe()));
                    }
                } else {
                    rejected++;
                }
            }
        }
    }

    /** A packet of the frame being built went missing: the frame is dropped, as the real assembler does. */
    void lose() {
        building = false;
    }
}

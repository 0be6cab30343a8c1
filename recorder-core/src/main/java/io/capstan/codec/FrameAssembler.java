package io.capstan.codec;

import io.capstan.rtp.RtpPacket;

/**
 * Turns the in-order packets of one track into complete frames using the track's {@link Depacketizer} (the one
 * generic assembler every codec shares, in the spirit of pion's {@code samplebuilder}).
 *
 * <p>Rules:
 * <ul>
 *   <li>A frame is emitted only when every one of its packets arrived: from a packet that starts a frame up to the
 *       packet that ends it, with no loss in between. A frame with a missing packet is dropped and counted.</li>
 *   <li>After loss (or a malformed payload, or a stream that starts mid-frame) a video track drops every frame
 *       until the next keyframe and asks for one through {@link Output#keyframeNeeded}. Audio tracks just resume.</li>
 *   <li>The first frame a video track emits is a keyframe, so every file starts decodable.</li>
 *   <li>A new timestamp without the previous frame's end, with no loss in between, closes the previous frame
 *       when the new packet starts a frame (senders that do not set the marker bit).</li>
 * </ul>
 * Single-threaded: the track's input lock guards it. Allocation-free per packet.
 */
public final class FrameAssembler {

    /** Receives completed frames and keyframe requests. */
    public interface Output {
        /**
         * A complete frame (or one unit of a packet carrying several). The bytes are only valid during the call.
         *
         * @param droppedBefore frames dropped since the previous emitted frame
         */
        void frame(byte[] data, int off, int len, long rtpTimestamp, boolean keyframe, long arrivalNanos,
                   int droppedBefore);

        /** The track needs a keyframe to continue (the host turns this into RTCP PLI/FIR). */
        void keyframeNeeded(String reason);
    }

    private final Depacketizer depacketizer;
    private final FrameBuilder frame;
    private final Output out;
    private final boolean independent;

    private boolean building;
    private long frameArrival;
    private boolean waitingForKeyframe;
    private int droppedSinceLast;
    // the timestamp of the last frame known to be dropped (or headless), so its remaining packets are not
    // counted as further dropped frames
    private boolean dropKnown;
    private long droppedTs;

    private long framesEmitted;
    private long framesDropped;
    private long invalidPayloads;
    private long packetsWithoutStart;

    public FrameAssembler(Depacketizer depacketizer, FrameBuilder frame, Output out) {
        this.depacketizer = depacketizer;
        this.frame = frame;
        this.out = out;
        this.independent = depacketizer.independentFrames();
        this.waitingForKeyframe = !independent;
    }

    public Depacketizer depacketizer() {
        return depacketizer;
    }

    /**
     * One packet, in sequence order.
     *
     * @param extTimestamp the packet's unwrapped RTP timestamp on the track's continuous clock
     * @param lossBefore   packets are missing between the previous packet and this one
     * @return false when the payload was malformed (counted as invalid by the caller)
     */
    public boolean packet(RtpPacket p, long extTimestamp, boolean lossBefore, long arrivalNanos) {
        if (lossBefore) {
            discontinuity("packet loss");
        }
        if (building && extTimestamp != frame.timestamp()) {
            // the previous frame never saw its end packet, yet nothing was lost in between
            if (depacketizer.isFrameStart(p)) {
                finishFrame();
            } else {
                dropFrame();
                needKeyframe("frame without end");
            }
        }
        if (!building) {
            if (dropKnown && droppedTs == extTimestamp) {
                // the rest of a frame already dropped: a packet after the gap may look like a start (an H.264
                // STAP-A or the next slice, an H.265 AP), but one timestamp is one frame (RFC 3550 5.1), so it must
                // not begin a new, incomplete frame
                packetsWithoutStart++;
                needKeyframe("frame start missing");
                return true;
            }
            if (!depacketizer.isFrameStart(p)) {
                packetsWithoutStart++;
                if (!dropKnown || droppedTs != extTimestamp) {
                    // packets of a frame whose start was lost: that frame is dropped too
                    dropKnown = true;
                    droppedTs = extTimestamp;
                    framesDropped++;
                    droppedSinceLast++;
                }
                needKeyframe("frame start missing");
                return true;
            }
            frame.reset(extTimestamp);
            dropKnown = false;
            building = true;
            frameArrival = arrivalNanos;
        }
        if (!depacketizer.append(p, frame)) {
            invalidPayloads++;
            dropFrame();
            needKeyframe("malformed payload");
            return false;
        }
        if (depacketizer.isFrameEnd(p)) {
            finishFrame();
        }
        return true;
    }

    /**
     * Marks a break in the stream (loss the receive buffer gave up on, an SSRC change, an overflow downstream):
     * the frame being built is dropped and video waits for a keyframe.
     */
    public void discontinuity(String reason) {
        if (building) {
            dropFrame();
        }
        needKeyframe(reason);
    }

    /** End of stream: a frame whose end never came is dropped. */
    public void flush() {
        if (building) {
            dropFrame();
        }
    }

    private void finishFrame() {
        building = false;
        if (!depacketizer.finish(frame)) {
            framesDropped++;
            droppedSinceLast++;
            return;
        }
        if (waitingForKeyframe) {
            if (!frame.keyframe()) {
                framesDropped++;
                droppedSinceLast++;
                out.keyframeNeeded("waiting for keyframe");
                return;
            }
            waitingForKeyframe = false;
        }
        int n = frame.unitCount();
        byte[] data = frame.array();
        for (int i = 0; i < n; i++) {
            int len = frame.unitLength(i);
            if (len == 0) {
                continue;
            }
            out.frame(data, frame.unitOffset(i), len, frame.unitTimestamp(i), frame.keyframe() || independent,
                    frameArrival, droppedSinceLast);
            droppedSinceLast = 0;
            framesEmitted++;
        }
    }

    private void dropFrame() {
        building = false;
        dropKnown = true;
        droppedTs = frame.timestamp();
        framesDropped++;
        droppedSinceLast++;
    }

    private void needKeyframe(String reason) {
        if (independent) {
            return;
        }
        waitingForKeyframe = true;
        out.keyframeNeeded(reason);
    }

    public long framesEmitted() {
        return framesEmitted;
    }

    public long framesDropped() {
        return framesDropped;
    }

    public long invalidPayloads() {
        return invalidPayloads;
    }

    public long packetsWithoutStart() {
        return packetsWithoutStart;
    }

    public boolean waitingForKeyframe() {
        return waitingForKeyframe;
    }
}

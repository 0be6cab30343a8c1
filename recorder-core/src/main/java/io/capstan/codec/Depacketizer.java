package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

/**
 * SPI: turns the RTP payloads of one codec into frames. One instance serves one track and is driven by the generic
 * {@link FrameAssembler}, which owns sequencing, loss and timestamp logic (as pion's {@code rtp.Depacketizer} with
 * its sample builder): the assembler asks whether a packet starts or ends a frame, hands each packet of a frame
 * to {@link #append} in sequence order, and calls {@link #finish} once the frame's last packet is in. A frame with
 * a missing packet is never passed to {@code finish}.
 *
 * <p>Implementations are RFC-exact, allocation-free per packet, and never throw on malformed payloads: they
 * return {@code false} and the assembler counts the packet as invalid and drops the frame.
 */
public interface Depacketizer {

    Codec codec();

    /** True when this packet's payload begins a frame (e.g. VP8 S=1 and PID=0; H.264 FU-A with S=1 or not an FU). */
    boolean isFrameStart(RtpPacket packet);

    /** True when this packet ends its frame (for video usually the marker bit; for most audio every packet). */
    boolean isFrameEnd(RtpPacket packet);

    /**
     * Appends the media carried by this packet to the frame (descriptor stripped, fragments joined, aggregates
     * split, NAL units written with 4-byte length prefixes for H.264/H.265).
     *
     * @return false when the payload is malformed
     */
    boolean append(RtpPacket packet, FrameBuilder frame);

    /**
     * Called once a frame is complete: decide whether it is a keyframe ({@link FrameBuilder#keyframe(boolean)}),
     * learn the resolution / codec configuration from it, and optionally rewrite it (e.g. build a VP9 superframe).
     *
     * @return false to drop the frame (e.g. nothing decodable in it)
     */
    boolean finish(FrameBuilder frame);

    /**
     * The format as known so far: from SDP (fmtp) at construction, refined from the stream (resolution from
     * keyframes, SPS/PPS). {@link #formatVersion()} increases whenever it changes.
     */
    TrackFormat format();

    /** Increases by one every time {@link #format()} changes; starts at 0. */
    int formatVersion();

    /** Whether the track can decode without a keyframe after loss (audio codecs): no keyframe wait, no request. */
    default boolean independentFrames() {
        return !codec().isVideo();
    }

    /** Forget stream state after an SSRC change or a reset (keeps what came from SDP). */
    default void reset() {
    }
}

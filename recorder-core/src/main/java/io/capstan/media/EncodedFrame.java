package io.capstan.media;

import java.nio.ByteBuffer;

/**
 * One encoded frame (a video picture / access unit, or one audio packet) on its way from a depacketizer to a
 * muxer.
 *
 * <p>Frames are <b>pooled and mutable</b>: whoever holds a frame owns it until it passes it on, and a muxer must
 * not keep a reference after {@code Muxer.write} returns (copy what you need). The bytes are
 * {@code array()[0 .. length())}.
 *
 * <p>Time is integer: {@link #ptsMicros()} is the presentation time in microseconds on the timeline of the
 * segment being written (0 = the segment's origin, which all tracks of a file share, so audio and video stay in
 * sync), and {@link #rtpTimestamp()} the unwrapped RTP timestamp in the track's clock (continuous across SSRC
 * changes), for codecs that count samples exactly.
 */
public final class EncodedFrame {

    private byte[] data;
    private int length;
    private int track;
    private long rtpTimestamp;
    private long ptsMicros;
    private long arrivalNanos;
    private boolean keyframe;
    private int droppedBefore;
    private TrackFormat formatChange;

    public EncodedFrame(int initialCapacity) {
        this.data = new byte[Math.max(16, initialCapacity)];
    }

    /** Test and tool convenience: a frame holding a copy of {@code bytes}. */
    public static EncodedFrame of(int track, byte[] bytes, long ptsMicros, long rtpTimestamp, boolean keyframe) {
        EncodedFrame f = new EncodedFrame(bytes.length);
        f.set(bytes, 0, bytes.length);
        f.track = track;
        f.ptsMicros = ptsMicros;
        f.rtpTimestamp = rtpTimestamp;
        f.keyframe = keyframe;
        return f;
    }

    public byte[] array() {
        return data;
    }

    public int length() {
        return length;
    }

    /** A read-only view of the frame bytes (allocates a small wrapper; hot paths use {@link #array()}). */
    public ByteBuffer data() {
        return ByteBuffer.wrap(data, 0, length).asReadOnlyBuffer();
    }

    public int track() {
        return track;
    }

    public long rtpTimestamp() {
        return rtpTimestamp;
    }

    public long ptsMicros() {
        return ptsMicros;
    }

    /** Host clock ({@code System.nanoTime()} domain) when the frame's first packet arrived. */
    public long arrivalNanos() {
        return arrivalNanos;
    }

    public boolean keyframe() {
        return keyframe;
    }

    /** Frames of this track dropped (loss, overflow) since the previous frame that was delivered. */
    public int droppedBefore() {
        return droppedBefore;
    }

    /**
     * The track's new format when it changed just before this frame (new resolution, SPS/PPS, sequence header),
     * otherwise null.
     */
    public TrackFormat formatChange() {
        return formatChange;
    }

    // ---- owner-side mutation (pipeline stages), not for muxers

    /** Copies {@code len} bytes into this frame, growing its buffer when needed. */
    public EncodedFrame set(byte[] src, int off, int len) {
        if (data.length < len) {
            data = new byte[Math.max(len, data.length + (data.length >> 1))];
        }
        System.arraycopy(src, off, data, 0, len);
        length = len;
        return this;
    }

    public EncodedFrame track(int t) {
        this.track = t;
        return this;
    }

    public EncodedFrame rtpTimestamp(long ts) {
        this.rtpTimestamp = ts;
        return this;
    }

    public EncodedFrame ptsMicros(long pts) {
        this.ptsMicros = pts;
        return this;
    }

    public EncodedFrame arrivalNanos(long nanos) {
        this.arrivalNanos = nanos;
        return this;
    }

    public EncodedFrame keyframe(boolean k) {
        this.keyframe = k;
        return this;
    }

    public EncodedFrame droppedBefore(int n) {
        this.droppedBefore = n;
        return this;
    }

    public EncodedFrame formatChange(TrackFormat format) {
        this.formatChange = format;
        return this;
    }

    /** Copies everything (bytes and fields) from {@code other}. */
    public EncodedFrame copyFrom(EncodedFrame other) {
        set(other.data, 0, other.length);
        track = other.track;
        rtpTimestamp = other.rtpTimestamp;
        ptsMicros = other.ptsMicros;
        arrivalNanos = other.arrivalNanos;
        keyframe = other.keyframe;
        droppedBefore = other.droppedBefore;
        formatChange = other.formatChange;
        return this;
    }

    @Override
    public String toString() {
        return "EncodedFrame[track=" + track + ", " + length + " B, pts=" + ptsMicros + "us, rtp=" + rtpTimestamp
                + (keyframe ? ", key" : "") + (droppedBefore > 0 ? ", dropped " + droppedBefore : "") + "]";
    }
}

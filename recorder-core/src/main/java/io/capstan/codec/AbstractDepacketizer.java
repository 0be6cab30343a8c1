package io.capstan.codec;

import io.capstan.media.TrackFormat;

/**
 * Shared plumbing: the track format with its change counter, and the detection of a fresh frame (the assembler
 * calls {@link FrameBuilder#reset} without telling the depacketizer, so per-frame state is re-armed when the
 * builder no longer holds what this depacketizer last left in it).
 */
abstract class AbstractDepacketizer implements Depacketizer {

    private TrackFormat format;
    private int formatVersion;

    private FrameBuilder lastFrame;
    private int lastLength = -1;
    private long lastTimestamp;

    AbstractDepacketizer(TrackFormat initial) {
        this.format = initial;
    }

    @Override
    public final TrackFormat format() {
        return format;
    }

    @Override
    public final int formatVersion() {
        return formatVersion;
    }

    /** Forgets the changes counted so far: a constructor that refined its initial format from SDP calls this. */
    final void resetVersion() {
        formatVersion = 0;
    }

    /** Replaces the format and bumps the version when it differs from the current one. */
    final void updateFormat(TrackFormat f) {
        if (!f.equals(format)) {
            format = f;
            formatVersion++;
        }
    }

    /**
     * True when {@code frame} was reset since this depacketizer last appended to it (or it is another builder):
     * per-frame state must start over.
     */
    final boolean freshFrame(FrameBuilder frame) {
        return frame != lastFrame || frame.length() == 0 || frame.length() != lastLength
                || frame.timestamp() != lastTimestamp;
    }

    /** Remembers the builder's state after an append, for {@link #freshFrame}. */
    final void appended(FrameBuilder frame) {
        lastFrame = frame;
        lastLength = frame.length();
        lastTimestamp = frame.timestamp();
    }

    /** Forgets the builder, so the next append starts a frame. */
    final void forgetFrame() {
        lastFrame = null;
        lastLength = -1;
    }

    @Override
    public void reset() {
        forgetFrame();
    }
}

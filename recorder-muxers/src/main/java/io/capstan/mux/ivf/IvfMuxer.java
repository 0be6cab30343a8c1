package io.capstan.mux.ivf;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.OutputWriter;
import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.util.Objects;

/**
 * Writes one VP8/VP9/AV1 track as IVF (the libvpx "DKIF" format; all fields little-endian).
 *
 * <pre>
 * file
 * ├── file header, 32 bytes
 * │     0  'DKIF'
 * │     4  u16 version 0
 * │     6  u16 header size 32
 * │     8  fourcc 'VP80' | 'VP90' | 'AV01'
 * │    12  u16 width, u16 height
 * │    16  u32 time base denominator (90000), u32 time base numerator (1)
 * │    24  u32 length in time base units   (patched on close)
 * │    28  u32 frame count                 (patched on close)
 * └── frame*
 *       0  u32 frame size
 *       4  u64 pts in time base units
 *      12  frame bytes (VP8/VP9 frame, AV1 temporal unit)
 * </pre>
 *
 * The time base is the 90 kHz RTP video clock, so timestamps are exact and ffprobe derives the right frame rate.
 * Offset 24 holds the stream length in time base units: libavformat's IVF reader takes it as the stream duration
 * (libvpx writes a frame count there but never reads it back); the frame count goes to offset 28, which readers
 * skip. Until close both are 0, so a file cut off while recording still plays (readers scan frames to EOF).
 *
 * <p>Frames before the first keyframe are dropped (and counted): a decoder could not use them, and players
 * expect an IVF file to start with a keyframe.
 *
 * <p>Width and height come from the {@link TrackFormat}; when unknown (0) and the track is VP8, the first
 * keyframe's header (RFC 6386 section 9.1) supplies them on close.
 */
public final class IvfMuxer implements Muxer {

    /** The 90 kHz RTP video clock (RFC 7741 / draft-ietf-payload-vp9 / AV1 RTP). */
    static final int TIMEBASE_DEN = 90_000;

    private final OutputWriter out;
    private final byte[] frameHeader = new byte[12];
    private final ByteBuilder scratch = new ByteBuilder(32);
    private TrackFormat format;
    private boolean headerWritten;
    private boolean closed;
    private long frames;
    private long firstPts = Long.MIN_VALUE;
    private long lastPts = Long.MIN_VALUE;
    private long minInterval = Long.MAX_VALUE;
    private int width;
    private int height;
    private boolean seenKeyframe;
    private long droppedBeforeKeyframe;

    public IvfMuxer(SeekableOutput out) {
        this.out = new OutputWriter(Objects.requireNonNull(out, "out"), OutputWriter.DEFAULT_BUFFER);
    }

    static String fourcc(Codec c) {
        return switch (c) {
            case VP8 -> "VP80";
            case VP9 -> "VP90";
            case AV1 -> "AV01";
            default -> null;
        };
    }

    @Override
    public int addTrack(TrackFormat f) {
        Objects.requireNonNull(f, "format");
        if (format != null) {
            throw new IllegalStateException("ivf holds exactly one track");
        }
        if (fourcc(f.codec()) == null) {
            throw new IllegalArgumentException("ivf cannot hold " + f.codec() + " (IVF allows VP8, VP9, AV1)");
        }
        if (headerWritten) {
            throw new IllegalStateException("addTrack after the first write");
        }
        format = f;
        width = f.width();
        height = f.height();
        return 0;
    }

    @Override
    public void write(int track, EncodedFrame frame) throws IOException {
        if (closed) {
            throw new IllegalStateException("muxer is closed");
        }
        if (format == null || track != 0) {
            throw new IllegalArgumentException("unknown track " + track);
        }
        writeHeaderOnce();
        if (!seenKeyframe) {
            if (!frame.keyframe()) {
                droppedBeforeKeyframe++; // undecodable without the keyframe it refers to
                return;
            }
            seenKeyframe = true;
        }
        if (width == 0 && format.codec() == Codec.VP8 && frame.keyframe()) {
            vp8Size(frame.array(), frame.length());
        }
        // pts on the 90 kHz time base, rounded to nearest so 90 kHz RTP timestamps that became microseconds
        // come back exactly; never decreasing, never repeated (readers would see duplicate timestamps)
        long pts = Math.floorDiv(frame.ptsMicros() * 9 + 50, 100);
        if (lastPts != Long.MIN_VALUE && pts <= lastPts) {
            pts = lastPts + 1;
        }
        if (lastPts != Long.MIN_VALUE) {
            minInterval = Math.min(minInterval, pts - lastPts);
        }
        if (firstPts == Long.MIN_VALUE) {
            firstPts = pts;
        }
        int len = frame.length();
        putLE(frameHeader, 0, len, 4);
        putLE(frameHeader, 4, pts, 8);
        out.whole(12 + len); // a crash leaves whole frames only
        out.write(frameHeader, 0, 12);
        out.write(frame.array(), 0, len);
        lastPts = pts;
        frames++;
    }

    /** RFC 6386 section 9.1: a keyframe's 3-byte tag, start code 9d 01 2a, then 14-bit width and height. */
    private void vp8Size(byte[] d, int len) {
        if (len >= 10 && (d[0] & 1) == 0 && (d[3] & 0xFF) == 0x9d && (d[4] & 0xFF) == 0x01
                && (d[5] & 0xFF) == 0x2a) {
            width = ((d[6] & 0xFF) | (d[7] & 0xFF) << 8) & 0x3FFF;
            height = ((d[8] & 0xFF) | (d[9] & 0xFF) << 8) & 0x3FFF;
        }
    }

    private void writeHeaderOnce() throws IOException {
        if (headerWritten) {
            return;
        }
        headerWritten = true;
        header(scratch.reset(), 0, 0);
        out.write(scratch);
    }

    private void header(ByteBuilder b, long length, long count) {
        b.ascii("DKIF");
        b.u16LE(0);                                    // version
        b.u16LE(32);                                   // header size
        b.ascii(fourcc(format == null ? Codec.VP8 : format.codec()));
        b.u16LE(width);
        b.u16LE(height);
        b.u32LE(TIMEBASE_DEN);                         // time base denominator ("rate")
        b.u32LE(1);                                    // time base numerator ("scale")
        b.u32LE(Math.min(length, 0xFFFF_FFFFL));       // length in time base units (libavformat: duration)
        b.u32LE(Math.min(count, 0xFFFF_FFFFL));        // frame count (libvpx writes it at 24; readers skip 28)
    }

    @Override
    public void flush() throws IOException {
        if (!closed) {
            out.drain();
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (format == null) {
            out.drain();
            return;
        }
        writeHeaderOnce();
        long length = 0;
        if (frames > 0) {
            long span = lastPts - firstPts;
            // the last frame lasts one frame period: the shortest interval seen (not the mean, which spans the
            // gaps left by frames dropped for loss)
            length = frames > 1 ? span + minInterval : 0;
        }
        header(scratch.reset(), length, frames);
        out.patch(0, scratch.array(), 0, scratch.length());
        out.drain();
    }

    @Override
    public long bytesWritten() {
        return out.position();
    }

    @Override
    public long framesWritten() {
        return frames;
    }

    /** Frames dropped because no keyframe had been written yet. */
    public long droppedBeforeKeyframe() {
        return droppedBeforeKeyframe;
    }

    private static void putLE(byte[] a, int at, long v, int n) {
        for (int i = 0; i < n; i++) {
            a[at + i] = (byte) (v >>> (8 * i));
        }
    }
}

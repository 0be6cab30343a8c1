package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.OpusPackets;

import java.util.Arrays;

/**
 * One track's writing state: its format and clock, the samples staged for the open fragment (bytes, sizes,
 * durations, flags in arrays that are reused from fragment to fragment, so they stop growing once they hold
 * the largest fragment), and the frame held back until its successor gives its duration.
 *
 * <p>Staged sample {@code i} occupies {@code data[offset(i) .. +sizes[i])}; the held frame, when there is one,
 * sits right after the staged samples at {@code data[stagedBytes .. +heldSize)}.
 */
final class Track {

    /** Sample flags, ISO/IEC 14496-12 8.8.3.1: sample_depends_on = 2 (an I picture), is_non_sync_sample = 0. */
    static final int FLAGS_SYNC = 0x0200_0000;
    /** sample_depends_on = 1 (depends on others), sample_is_non_sync_sample = 1. */
    static final int FLAGS_NON_SYNC = 0x0101_0000;

    final int index;
    final int trackId;
    final Codec codec;
    final boolean video;
    /** Media timescale (mdhd): the RTP clock of the track (90 kHz video, the sample rate for audio). */
    final int timescale;
    TrackFormat format;
    Vp9Header vp9;
    int width;
    int height;
    /** Set once the format changed mid-stream in a way the final sample entry must reflect (avc3 / hev1). */
    boolean inBandParameterSets;

    boolean seenKeyframe;
    boolean started;
    /** Decode time (timescale units) of the next sample to be staged. */
    long decodeTime;
    /** Decode time of the first staged sample (the fragment's tfdt for this track). */
    long fragmentBaseTime;
    long lastDuration;
    long minDuration = Long.MAX_VALUE;
    long samples;

    byte[] data = new byte[64 * 1024];
    int stagedBytes;
    int count;
    int[] sizes = new int[64];
    int[] durations = new int[64];
    int[] flags = new int[64];

    boolean holding;
    int heldSize;
    long heldRtp;
    long heldPts;
    boolean heldKey;

    Track(int index, TrackFormat format) {
        this.index = index;
        this.trackId = index + 1;
        this.codec = format.codec();
        this.video = format.codec().isVideo();
        this.timescale = format.clockRate();
        this.format = format;
        this.width = format.width();
        this.height = format.height();
    }

    /**
     * Whether a frame may be written: a video track waits for its first keyframe (a player could not decode what
     * comes before). The first VP8/VP9 keyframe's header gives the vpcC fields and, when unknown, the picture size.
     */
    boolean admit(EncodedFrame frame) {
        if (!video || seenKeyframe) {
            return true;
        }
        if (!frame.keyframe()) {
            return false;
        }
        seenKeyframe = true;
        if ((codec == Codec.VP9 || codec == Codec.VP8) && vp9 == null) {
            vp9 = codec == Codec.VP9 ? Vp9Header.parse(frame.array(), 0, frame.length())
                    : Vp9Header.parseVp8(frame.array(), 0, frame.length());
            if (vp9 != null && (width == 0 || height == 0)) {
                width = vp9.width();
                height = vp9.height();
            }
        }
        return true;
    }

    /** The held frame's duration: RTP timestamp difference to {@code next}, else the pts difference, at least 1. */
    long heldDurationUntil(EncodedFrame next) {
        long d = next.rtpTimestamp() - heldRtp;
        if (d > 0 && d <= Integer.MAX_VALUE) {
            return d;
        }
        long p = ticks(next.ptsMicros()) - ticks(heldPts);
        return p > 0 && p <= Integer.MAX_VALUE ? p : 1;
    }

    /** Copies a frame into the hold slot (after the staged samples). */
    void hold(byte[] src, int off, int len, long rtp, long pts, boolean key) {
        ensureData(stagedBytes + len);
        System.arraycopy(src, off, data, stagedBytes, len);
        heldSize = len;
        heldRtp = rtp;
        heldPts = pts;
        heldKey = key;
        holding = true;
    }

    /** Stages the held frame as a sample of {@code duration} ticks. */
    void stageHeld(long duration) {
        if (count == sizes.length) {
            int n = count * 2;
            sizes = Arrays.copyOf(sizes, n);
            durations = Arrays.copyOf(durations, n);
            flags = Arrays.copyOf(flags, n);
        }
        if (count == 0) {
            fragmentBaseTime = decodeTime;
        }
        int d = (int) Math.max(1, Math.min(Integer.MAX_VALUE, duration));
        sizes[count] = heldSize;
        durations[count] = d;
        flags[count] = heldKey ? FLAGS_SYNC : FLAGS_NON_SYNC;
        count++;
        stagedBytes += heldSize;
        decodeTime += d;
        lastDuration = d;
        minDuration = Math.min(minDuration, d);
        samples++;
        holding = false;
        heldSize = 0;
    }

    /** Forgets the staged samples once written; a held frame moves to the front of the buffer. */
    void clearStaged() {
        if (holding && stagedBytes > 0) {
            System.arraycopy(data, stagedBytes, data, 0, heldSize);
        }
        stagedBytes = 0;
        count = 0;
    }

    private void ensureData(int n) {
        if (n > data.length) {
            data = Arrays.copyOf(data, Math.max(n, data.length + (data.length >> 1)));
        }
    }

    /**
     * Duration (ticks) of the held frame when no successor will come: the packet's own length for audio codecs
     * that say it, otherwise the shortest sample duration so far (or 1/30 s for a lone video frame).
     */
    long finalDuration() {
        long d = switch (codec) {
            case OPUS -> {
                int s = OpusPackets.packetSamples(data, stagedBytes, heldSize);
                yield s > 0 ? (long) s * timescale / 48000 : 0;
            }
            case AAC -> 1024L * timescale / Math.max(1, SampleEntries.sampleRate(format));
            case PCMU, PCMA -> (long) heldSize / Math.max(1, format.channels()) * timescale
                    / Math.max(1, SampleEntries.sampleRate(format));
            default -> 0;
        };
        if (d > 0) {
            return d;
        }
        // one frame period: the shortest sample so far, not the previous one (which spans the gap when frames
        // were dropped for loss before the last one)
        return minDuration != Long.MAX_VALUE ? minDuration : Math.max(1, timescale / 30);
    }

    /** Ticks of {@code micros} in this track's timescale, rounded. */
    long ticks(long micros) {
        return Math.floorDiv(micros * timescale + 500_000, 1_000_000);
    }
}

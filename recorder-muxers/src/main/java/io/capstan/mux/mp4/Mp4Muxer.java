package io.capstan.mux.mp4;

import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.OutputWriter;
import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Writes MP4 (ISO/IEC 14496-12, -14, -15): H.264, H.265, AV1, VP9, VP8, Opus, AAC and G.711 tracks.
 *
 * <h2>Progressive MP4, crash-safe ({@link Mp4MuxerFactory})</h2>
 * While recording the file is a fragmented MP4; {@link #close()} turns it into a progressive, moov-first file
 * without moving a byte of media:
 * <pre>
 * recording                               after close()
 * ftyp                                    ftyp
 * moov   init: empty tables, mvex/trex    free   (the init moov, retyped)
 * free   reserve for the final index      moov   final: stts stss stsz stsc stco/co64, edts, no mvex
 *                                         free   (rest of the reserve)
 * moof   fragment 1 (~1 s, all tracks)    free   (fragment 1's moof, retyped)
 * mdat                                    mdat   unchanged; chunk offsets point into it
 * moof   fragment 2 ...                   free ...
 * mdat                                    mdat
 * </pre>
 * Fragments are cut on a fixed grid of {@link Options#fragmentMillis()} (1 s) from the first sample, at the
 * first frame at or after each grid point, whatever the frame type: senders that send a keyframe every 100 s still get a fragment every
 * second (a fragment may start with a non-sync sample). Each fragment's moof is written as {@code free} and
 * retyped {@code moof} only after its mdat is complete, so a process killed at any moment leaves a file that
 * players read up to its last complete fragment, without errors. {@link Mp4Recovery} makes such a file a
 * finalized one, with the same code as {@code close()}.
 *
 * <p>On close the final index is built from the fragments already in the file (read back through
 * {@link SeekableOutput#read}): no per-sample table is kept in memory while recording, so the heap does not grow
 * with the recording's length. The final moov goes into the reserve in front of the media (sized for
 * {@link Options#expectedDurationSeconds()}, default one hour); when it does not fit it is appended at the end of
 * the file instead, which is still a valid progressive file but not moov-first: {@link #moovAtEnd()} says so.
 * The order of the finalizing writes keeps the file repairable at every step (see {@link Mp4Recovery}).
 *
 * <h2>Fragmented MP4 ({@link FragmentedMp4MuxerFactory})</h2>
 * The same fragments behind {@code ftyp} + init {@code moov}, written strictly forward; nothing is rewritten on
 * close (the last fragment is flushed).
 *
 * <h2>Time</h2>
 * Each track's media timescale is its RTP clock (90 kHz video, the sample rate for audio). A sample's duration is
 * the RTP timestamp difference to the next frame of the same track (the frame is held back until then; the last
 * one gets its codec-given duration on close), so durations are exact. Where a track starts on the segment
 * timeline (the first frame's {@code ptsMicros}) is its first {@code tfdt}; the final moov turns it into an edit
 * list: an empty edit for a track that starts later than the file, and for Opus a media_time of the pre-skip
 * (Opus in ISO BMFF 4.4). Input is in decode order with non-decreasing RTP timestamps per track (WebRTC streams
 * have no B-frames); no {@code ctts} is written. Video frames before a track's first keyframe are dropped.
 *
 * <h2>Format changes</h2>
 * H.264 and H.265 access units keep their in-band SPS/PPS (and VPS), so a new resolution or parameter set is
 * carried in the same file: the change is recorded in a small {@code uuid} box between fragments and the final
 * moov declares the track as {@code avc3} / {@code hev1} (ISO/IEC 14496-15 5.4.2, 8.4.1: parameter sets may be
 * in-band) with the largest picture size; while recording the sample entry stays {@code avc1}/{@code hvc1}.
 * VP8/VP9 carry resolution changes in their keyframes (true). AV1 keeps the file when its av1C is unchanged; other
 * changes (AV1 sequence header, audio configuration) return false, so the session starts a new file.
 *
 * <h2>Errors</h2>
 * A frame for an unknown track or after close is a programming error (IllegalArgumentException /
 * IllegalStateException). An IOException from the output propagates from {@code write}/{@code close}; the muxer
 * then refuses further writes, and what is already in the file stays a playable fragmented MP4 (recoverable).
 */
public final class Mp4Muxer implements Muxer {

    /**
     * @param fragmentMillis          media per fragment (cut on time, not on keyframes); 100..10000 ms
     * @param expectedDurationSeconds recording length the reserved index space is sized for
     * @param reserveBytes            explicit reserve size, or -1 to size it from the tracks and the expected
     *                                duration
     * @param clock                   creation / modification times (inject a fixed clock for identical output)
     */
    public record Options(long fragmentMillis, long expectedDurationSeconds, int reserveBytes, InstantSource clock) {
        public static final Options DEFAULT = new Options(1000, 3600, -1, InstantSource.system());

        public Options {
            if (fragmentMillis < 100 || fragmentMillis > 10_000) {
                throw new IllegalArgumentException("fragmentMillis must be within 100..10000: " + fragmentMillis);
            }
            if (expectedDurationSeconds < 0 || reserveBytes < -1) {
                throw new IllegalArgumentException("negative expected duration or reserve");
            }
            Objects.requireNonNull(clock, "clock");
        }

        public Options withClock(InstantSource c) {
            return new Options(fragmentMillis, expectedDurationSeconds, reserveBytes, c);
        }

        public Options withReserveBytes(int bytes) {
            return new Options(fragmentMillis, expectedDurationSeconds, bytes, clock);
        }

        public Options withFragmentMillis(long ms) {
            return new Options(ms, expectedDurationSeconds, reserveBytes, clock);
        }
    }

    /** A fragment is also cut when its samples reach this size, to bound the staging memory. */
    static final int MAX_FRAGMENT_BYTES = 32 * 1024 * 1024;

    private final OutputWriter out;
    private final SeekableOutput seekable;
    private final boolean progressive;
    /** Moofs are written typed free and retyped once their mdat is out (needs a seekable output). */
    private final boolean placeholders;
    private final Options options;
    private final long fragmentMicros;
    private final List<Track> tracks = new ArrayList<>();
    private final FragmentWriter fragments = new FragmentWriter();
    private final List<byte[]> pendingBoxes = new ArrayList<>();
    private final ByteBuffer moofType = ByteBuffer.wrap(FragmentWriter.MOOF_TYPE.clone());

    private boolean headerWritten;
    private boolean closed;
    private IOException failure;
    /** When the open fragment is cut: the first frame at or after this pts starts the next one. */
    private long fragmentDeadline = Long.MIN_VALUE;
    private long stagedBytes;
    private long frames;
    private long droppedBeforeKeyframe;
    private Mp4Finalizer.Result finalized;

    private Mp4Muxer(WritableByteChannel channel, SeekableOutput seekable, boolean progressive, Options options) {
        this.out = new OutputWriter(channel, OutputWriter.DEFAULT_BUFFER);
        this.seekable = seekable;
        this.progressive = progressive;
        this.placeholders = seekable != null;
        this.options = Objects.requireNonNull(options, "options");
        this.fragmentMicros = options.fragmentMillis() * 1000;
    }

    /** A crash-safe progressive MP4 writer (finalized on close). The output must be empty. */
    public static Mp4Muxer progressive(SeekableOutput out, Options options) {
        Objects.requireNonNull(out, "out");
        try {
            if (out.position() != 0 || out.size() != 0) {
                throw new IllegalArgumentException("MP4 output must be empty (position " + out.position() + ")");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot query the output", e);
        }
        return new Mp4Muxer(out, out, true, options);
    }

    /**
     * A fragmented MP4 writer: init segment then fragments, nothing rewritten on close. Given an empty
     * {@link SeekableOutput}, each moof is made visible only once its mdat is written (as in progressive mode), so
     * a file cut anywhere plays cleanly; on a plain channel it is strictly append-only, and a file cut inside a
     * fragment's mdat makes readers report the missing samples.
     */
    public static Mp4Muxer fragmented(WritableByteChannel out, Options options) {
        Objects.requireNonNull(out, "out");
        SeekableOutput seekable = null;
        if (out instanceof SeekableOutput s) {
            try {
                seekable = s.position() == 0 && s.size() == 0 ? s : null;
            } catch (IOException e) {
                seekable = null;
            }
        }
        return new Mp4Muxer(out, seekable, false, options);
    }

    @Override
    public int addTrack(TrackFormat format) {
        Objects.requireNonNull(format, "format");
        if (headerWritten || frames > 0) {
            throw new IllegalStateException("addTrack after the first write");
        }
        SampleEntries.type(format.codec());
        tracks.add(new Track(tracks.size(), format));
        return tracks.size() - 1;
    }

    @Override
    public void write(int track, EncodedFrame frame) throws IOException {
        checkWritable();
        if (track < 0 || track >= tracks.size()) {
            throw new IllegalArgumentException("unknown track " + track);
        }
        Track t = tracks.get(track);
        if (!t.admit(frame)) {
            droppedBeforeKeyframe++;
            return;
        }
        boolean key = !t.video || frame.keyframe();
        long pts = frame.ptsMicros();
        try {
            if (fragmentDeadline != Long.MIN_VALUE && pts >= fragmentDeadline) {
                emitFragment();
                // fragments on a fixed grid (first sample + n seconds), skipping what a pause left behind
                fragmentDeadline += (Math.floorDiv(pts - fragmentDeadline, fragmentMicros) + 1) * fragmentMicros;
            } else if (stagedBytes >= MAX_FRAGMENT_BYTES) {
                emitFragment();
            }
            if (t.holding) {
                stage(t, t.heldDurationUntil(frame));
            } else if (!t.started) {
                t.started = true;
                t.decodeTime = t.ticks(Math.max(0, pts));
            }
            t.hold(frame.array(), 0, frame.length(), frame.rtpTimestamp(), pts, key);
            frames++;
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    private void stage(Track t, long duration) {
        if (fragmentDeadline == Long.MIN_VALUE) {
            fragmentDeadline = t.heldPts + fragmentMicros;
        }
        stagedBytes += t.heldSize;
        t.stageHeld(duration);
    }

    private void emitFragment() throws IOException {
        if (!FragmentWriter.anyStaged(tracks)) {
            return;
        }
        writeHeaderOnce();
        writePendingBoxes();
        long moofPos = fragments.write(out, tracks, placeholders);
        if (placeholders) {
            // the mdat is complete in the file: now the fragment may become visible
            out.drain();
            long end = seekable.position();
            seekable.position(moofPos + 4);   // the output started empty: logical positions are file positions
            moofType.clear();
            while (moofType.hasRemaining()) {
                if (seekable.write(moofType) < 0) {
                    throw new IOException("output refused to write");
                }
            }
            seekable.position(end);
        } else {
            out.drain();
        }
        stagedBytes = 0;
    }

    /** Format-change boxes go between fragments (indexed loop: no iterator per fragment). */
    private void writePendingBoxes() throws IOException {
        if (pendingBoxes.isEmpty()) {
            return;
        }
        for (int i = 0; i < pendingBoxes.size(); i++) {
            byte[] box = pendingBoxes.get(i);
            out.write(box, 0, box.length);
        }
        pendingBoxes.clear();
    }

    private void writeHeaderOnce() throws IOException {
        if (headerWritten) {
            return;
        }
        headerWritten = true;
        Instant now = options.clock().instant();
        byte[] ftyp = InitSegment.ftyp(tracks);
        byte[] moov = InitSegment.moov(tracks, now);
        out.write(ftyp, 0, ftyp.length);
        out.write(moov, 0, moov.length);
        if (progressive) {
            int reserve = options.reserveBytes() >= 0 ? Math.max(8, options.reserveBytes()) : estimateReserve();
            // 8.1.2 FreeSpaceBox: room for the final moov
            ByteBuilder free = new ByteBuilder(8);
            free.uBE(reserve, 4).uBE(Boxes.FREE, 4);
            out.write(free);
            byte[] zeros = new byte[Math.min(reserve - 8, 64 * 1024)];
            for (int left = reserve - 8; left > 0; left -= zeros.length) {
                out.write(zeros, 0, Math.min(left, zeros.length));
            }
        }
    }

    /**
     * Bytes the final moov needs for {@link Options#expectedDurationSeconds()}: per second, a video track ~30
     * samples of 12 B (stsz + a worst-case stts entry each), an audio track ~50 packets of 6 B, and per track one
     * chunk (stco + stsc entry, 20 B) per fragment; plus the init moov's size again and 4 KiB.
     */
    int estimateReserve() {
        long perSecond = 0;
        for (Track t : tracks) {
            perSecond += (t.video ? 30 * 12 : 50 * 6) + 20L * 1000 / options.fragmentMillis();
        }
        long bytes = 4096 + InitSegment.moov(tracks, Instant.EPOCH).length + perSecond * options.expectedDurationSeconds();
        return (int) Math.min(Integer.MAX_VALUE - 8, bytes);
    }

    @Override
    public boolean formatChanged(int track, TrackFormat format) throws IOException {
        checkWritable();
        Track t = tracks.get(Objects.checkIndex(track, tracks.size()));
        if (format == null || format.equals(t.format)) {
            return true;
        }
        if (format.codec() != t.codec || format.clockRate() != t.timescale) {
            return false;
        }
        boolean samePrivate = Arrays.equals(format.codecPrivate(), t.format.codecPrivate());
        switch (t.codec) {
            case H264, H265 -> {
                if (!headerWritten && t.samples == 0 && !t.holding) {
                    adopt(t, format);                       // nothing written yet: just use the new format
                    return true;
                }
                t.inBandParameterSets = true;
                t.width = Math.max(t.width, format.width());
                t.height = Math.max(t.height, format.height());
                pendingBoxes.add(FormatChange.box(t.trackId, true, t.width, t.height));
                return true;
            }
            case VP8, VP9 -> {
                t.width = Math.max(t.width, format.width());
                t.height = Math.max(t.height, format.height());
                pendingBoxes.add(FormatChange.box(t.trackId, false, t.width, t.height));
                return true;
            }
            case AV1 -> {
                if (!samePrivate && !headerWritten && t.samples == 0 && !t.holding) {
                    adopt(t, format);
                    return true;
                }
                if (samePrivate) {
                    t.width = Math.max(t.width, format.width());
                    t.height = Math.max(t.height, format.height());
                    pendingBoxes.add(FormatChange.box(t.trackId, false, t.width, t.height));
                }
                return samePrivate;
            }
            default -> {
                if (!headerWritten && t.samples == 0 && !t.holding) {
                    adopt(t, format);
                    return true;
                }
                return false;
            }
        }
    }

    private static void adopt(Track t, TrackFormat f) {
        t.format = f;
        if (f.width() > 0 && f.height() > 0) {
            t.width = f.width();
            t.height = f.height();
        }
    }

    private void checkWritable() throws IOException {
        if (closed) {
            throw new IllegalStateException("muxer is closed");
        }
        if (failure != null) {
            throw new IOException("MP4 muxer stopped after an earlier output error: " + failure.getMessage(), failure);
        }
    }

    @Override
    public void flush() throws IOException {
        if (!closed && failure == null) {
            out.drain();
        }
    }

    /**
     * Writes the held frames and the last fragment; for progressive MP4 then builds the final index from the
     * fragments in the file and writes the final moov (see the class comment). Idempotent. After an output error
     * it writes nothing more (the file stays a fragmented MP4 that {@link Mp4Recovery} can finalize).
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (failure != null || tracks.isEmpty()) {
            return;
        }
        try {
            for (Track t : tracks) {
                if (t.holding) {
                    stage(t, t.finalDuration());
                }
            }
            emitFragment();
            writeHeaderOnce();
            writePendingBoxes();
            out.drain();
            if (progressive) {
                finalized = Mp4Finalizer.finalizeFile(seekable, options.clock(), false);
            }
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public long bytesWritten() {
        if (finalized != null) {
            return finalized.fileSize();
        }
        return out.position();
    }

    @Override
    public long framesWritten() {
        return frames;
    }

    /** Video frames dropped because their track had not had a keyframe yet. */
    public long droppedBeforeKeyframe() {
        return droppedBeforeKeyframe;
    }

    /** Movie fragments written so far. */
    public int fragmentsWritten() {
        return fragments.sequence();
    }

    /** True when the final moov did not fit the reserve and was written after the media (still progressive). */
    public boolean moovAtEnd() {
        return finalized != null && finalized.moovAtEnd();
    }

    /** What finalization did, or null before close (and always for fragmented MP4). */
    public Mp4Finalizer.Result finalizeResult() {
        return finalized;
    }
}

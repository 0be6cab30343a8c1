package io.capstan.session;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.StorageSink;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One file being written: a set of tracks, the muxer factory chosen for their codecs, and, once open, the muxer and
 * the storage output of the current segment. Lives on the session lane only.
 */
final class OutputGroup {

    final int[] tracks;          // session track indexes
    final MuxerFactory factory;
    private final int[] muxTrack;  // session track index -> muxer track, -1 when not in this segment

    private Muxer muxer;
    private SegmentOutput output;      // the file, or null for a multi-object group
    private ObjectGroup objects;       // DASH/HLS: the objects' prefix
    private String manifestName;
    private SegmentKey key;
    private boolean failed;
    private long originSessionMicros;
    private long[] lastPts;
    private long[] prevPts;
    private long[] frames;
    private long maxEndMicros;
    private long lastFlushMicros;
    private int keyTrack = -1;          // session track whose keyframes are reported (first video track)
    private long[] keyframes = new long[16];
    private int keyframeCount;

    /**
     * Media time between {@link Muxer#flush()} calls: what a muxer buffers reaches the storage at least this
     * often, so a process killed at any moment loses well under a second of what was already written.
     */
    static final long FLUSH_INTERVAL_MICROS = 250_000;
    private Instant startTime;
    private List<String> trackIds;
    private List<TrackFormat> formats;
    private TrackFormat[] current;     // session track index -> format of its frames in this segment
    long firstArrivalNanos = Long.MIN_VALUE;
    /** Segments opened so far ({@code {index}} of the current one). */
    int segmentIndex;
    /**
     * Naming: when set, the current segment was opened under a temporary key and is committed under the key this
     * renders from the segment's media duration (templates with {@code {duration}}, {@code {endTime}}...).
     */
    java.util.function.LongFunction<SegmentKey> finalKey;

    OutputGroup(int[] tracks, MuxerFactory factory, int sessionTracks) {
        this.tracks = tracks;
        this.factory = factory;
        this.muxTrack = new int[sessionTracks];
        Arrays.fill(muxTrack, -1);
    }

    boolean contains(int track) {
        for (int t : tracks) {
            if (t == track) {
                return true;
            }
        }
        return false;
    }

    boolean isOpen() {
        return muxer != null;
    }

    boolean failed() {
        return failed;
    }

    boolean inSegment(int track) {
        return muxTrack[track] >= 0;
    }

    // ---- rotation state (lane only): set when a segment opens
    /** A cut is due at the next opportunity (consent change, restart), whatever the rotation policy says. */
    boolean cutPending;
    /** Session time of the last keyframe request for this segment's rotation, or Long.MIN_VALUE. */
    long keyframeAskedAt = Long.MIN_VALUE;
    /** Wall-clock rotation: the boundary this segment ends at. */
    Instant boundary;
    /**
     * Where the next segment starts when this one is cut to continue in it (session micros), else Long.MIN_VALUE:
     * the segment then covers exactly up to there, so consecutive segments' spans add up to the recording (an
     * audio frame that straddles the cut is in this file, its tail overlaps the next one's start by less than a
     * frame).
     */
    long cutAtMicros = Long.MIN_VALUE;
    /** A segment was opened before: the next one continues the session timeline where it is. */
    boolean closedBefore;

    /** Where the open segment starts on the session timeline (micros). */
    long originMicros() {
        return originSessionMicros;
    }

    /** Wall-clock time of the open segment's start. */
    Instant startTime() {
        return startTime;
    }

    /** Bytes of the open segment so far. */
    long bytes() {
        if (muxer == null) {
            return 0;
        }
        return output != null ? Math.max(output.bytesWritten(), muxer.bytesWritten()) : muxer.bytesWritten();
    }

    /** Whether the open segment holds a video track (then it is cut at that track's keyframes). */
    boolean videoInSegment(TrackSpec[] specs) {
        for (int t : tracks) {
            if (muxTrack[t] >= 0 && specs[t].codec().isVideo()) {
                return true;
            }
        }
        return false;
    }

    List<Codec> codecs(TrackSpec[] specs) {
        List<Codec> c = new ArrayList<>();
        for (int t : tracks) {
            c.add(specs[t].codec());
        }
        return c;
    }

    /**
     * Opens a segment with the tracks that are ready.
     *
     * @return null on success, otherwise the error sentence (the group is then failed)
     */
    String open(StorageSink sink, SegmentKey segmentKey, TrackSpec[] specs, TrackFormat[] trackFormats, boolean[] ready,
                long originMicros, Instant wallStart) {
        this.key = segmentKey;
        this.originSessionMicros = originMicros;
        this.startTime = wallStart;
        this.cutPending = false;
        this.keyframeAskedAt = Long.MIN_VALUE;
        this.boundary = null;
        this.maxEndMicros = 0;
        try {
            if (factory instanceof MuxerFactory.Grouped gf) {
                objects = sink.openGroup(segmentKey);
                manifestName = segmentKey.fileName();
                muxer = gf.create(objects, manifestName);
            } else if (factory instanceof MuxerFactory.Seekable s) {
                output = sink.open(segmentKey, true);
                muxer = s.create(output.seekable().orElseThrow(
                        () -> new IOException(sink.describe() + " cannot seek, " + factory.container().id() + " needs it")));
            } else {
                output = sink.open(segmentKey, false);
                muxer = ((MuxerFactory.Streaming) factory).create(output);
            }
            trackIds = new ArrayList<>();
            formats = new ArrayList<>();
            current = new TrackFormat[muxTrack.length];
            for (int t : tracks) {
                if (ready[t]) {
                    muxTrack[t] = muxer.addTrack(trackFormats[t]);
                    trackIds.add(specs[t].id());
                    formats.add(trackFormats[t]);
                    current[t] = trackFormats[t];
                    if (keyTrack < 0 && trackFormats[t].codec().isVideo()) {
                        keyTrack = t;
                    }
                }
            }
            lastPts = new long[muxTrack.length];
            Arrays.fill(lastPts, Long.MIN_VALUE);
            prevPts = new long[muxTrack.length];
            Arrays.fill(prevPts, Long.MIN_VALUE);
            frames = new long[muxTrack.length];
            lastFlushMicros = 0;
            keyframeCount = 0;
            return null;
        } catch (IOException | RuntimeException e) {
            failed = true;
            if (output != null) {
                output.abort();
            }
            output = null;
            objects = null;
            muxer = null;
            return "cannot open segment " + segmentKey.path() + ": " + message(e);
        }
    }

    /**
     * Tells the muxer that {@code f}'s track changed format just before {@code f}.
     *
     * @return false when the file cannot carry the change and a new segment must start at {@code f}
     */
    boolean carriesFormatChange(EncodedFrame f) {
        int mt = muxTrack[f.track()];
        if (mt < 0 || failed || muxer == null || f.formatChange().equals(current[f.track()])) {
            return true;
        }
        try {
            if (!muxer.formatChanged(mt, f.formatChange())) {
                return false;
            }
            current[f.track()] = f.formatChange();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Writes a frame whose session time is {@code sessionMicros}.
     *
     * @return null, or an error sentence when writing failed (the segment is then salvaged and the group failed)
     */
    String write(EncodedFrame f, long sessionMicros) {
        int t = f.track();
        int mt = muxTrack[t];
        if (mt < 0 || failed) {
            return null;
        }
        long pts = Math.max(0, sessionMicros - originSessionMicros);
        if (pts <= lastPts[t]) {
            pts = lastPts[t] + 1; // presentation times strictly increase within a track
        }
        prevPts[t] = lastPts[t];
        lastPts[t] = pts;
        f.ptsMicros(pts);
        try {
            muxer.write(mt, f);
            frames[t]++;
            if (t == keyTrack && f.keyframe()) {
                if (keyframeCount == keyframes.length) {
                    keyframes = Arrays.copyOf(keyframes, keyframeCount * 2);
                }
                keyframes[keyframeCount++] = pts;
            }
            if (pts - lastFlushMicros >= FLUSH_INTERVAL_MICROS) {
                lastFlushMicros = pts;
                muxer.flush();
            }
            long step = prevPts[t] == Long.MIN_VALUE ? 0 : pts - prevPts[t];
            maxEndMicros = Math.max(maxEndMicros, pts + step);
            return null;
        } catch (IOException | RuntimeException e) {
            failed = true;
            return "writing " + key.path() + " failed: " + message(e) + "; the file keeps what was written before";
        }
    }

    /**
     * Finalizes and commits the segment (also after a write failure: what was written is kept).
     *
     * @return the segment's metadata, or null when nothing was open
     */
    SegmentInfo close(List<String> errors) {
        if (muxer == null) {
            return null;
        }
        boolean complete = !failed;
        try {
            muxer.close();
        } catch (IOException | RuntimeException e) {
            complete = false;
            errors.add("finalizing " + key.path() + " failed: " + message(e));
        }
        long bytes;
        String location;
        if (output != null) {
            bytes = output.bytesWritten();
            try {
                commitOutput(errors);
            } catch (IOException | RuntimeException e) {
                complete = false;
                errors.add("committing " + key.path() + " failed: " + message(e));
            }
            location = output.location();
        } else {
            bytes = muxer.bytesWritten(); // the group's objects are committed by the muxer as they complete
            location = objects.location(manifestName);
        }
        List<Long> counts = new ArrayList<>();
        for (int t : tracks) {
            if (muxTrack[t] >= 0) {
                counts.add(frames[t]);
            }
        }
        long duration = segmentDuration();
        cutAtMicros = Long.MIN_VALUE;
        SegmentInfo info = new SegmentInfo(location, key.path(), factory.container(), List.copyOf(trackIds),
                List.copyOf(formats), originSessionMicros, duration, startTime, counts, bytes, complete,
                LongList.of(keyframes, keyframeCount));
        keyTrack = -1;
        output = null;
        objects = null;
        muxer = null;
        Arrays.fill(muxTrack, -1);
        return info;
    }

    /**
     * Commits the output; under the final name when the naming template needs end values ({@link #finalKey}). A
     * sink that cannot rename keeps the temporary name (reported in {@code errors}).
     */
    /**
     * The open segment's span: up to the next segment's start when it was cut to continue there, else to the end
     * of its last frame; 0 without frames.
     */
    private long segmentDuration() {
        long total = 0;
        for (int t : tracks) {
            total += muxTrack[t] >= 0 ? frames[t] : 0;
        }
        if (total == 0) {
            return 0;
        }
        return cutAtMicros != Long.MIN_VALUE ? Math.max(0, cutAtMicros - originSessionMicros) : maxEndMicros;
    }

    private void commitOutput(List<String> errors) throws IOException {
        java.util.function.LongFunction<SegmentKey> rename = finalKey;
        finalKey = null;
        if (rename == null) {
            output.commit();
            return;
        }
        SegmentKey fin = rename.apply(segmentDuration());
        try {
            output.commit(fin);
            key = fin;
        } catch (IOException e) {
            errors.add("cannot name " + key.path() + " " + fin.path() + ": " + message(e)
                    + "; it keeps its temporary name");
            output.commit();
        }
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}

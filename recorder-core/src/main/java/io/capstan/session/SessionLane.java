package io.capstan.session;

import io.capstan.media.EncodedFrame;
import io.capstan.media.Timeline;
import io.capstan.media.TrackFormat;
import io.capstan.storage.SegmentKey;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A session's serial lane on the {@link RecorderExecutor}: receives frames and control items from the pushing
 * threads through a bounded queue, and on an executor thread puts frames on the timeline, interleaves the tracks by
 * presentation time and hands them to the output groups.
 *
 * <p>Frames come from a bounded pool; a frame is "in flight" from the moment a pushing thread takes it until the
 * lane has written it. When the pool is empty the pushing thread either drops the frame (live mode: never wait,
 * report an overflow) or waits (offline conversion with back-pressure).
 *
 * <p>Start-up: frames are held until every track with media has an RTCP SR or the sync window has passed, then
 * the {@link Timeline} decides how to align the tracks. A file is opened when each of its tracks has media (or
 * after the open timeout, without the missing ones).
 */
final class SessionLane implements Runnable {

    private final RecordingSession session;
    private final RecorderExecutor executor;
    private final ArrayBlockingQueue<Object> queue;
    private final ArrayBlockingQueue<EncodedFrame> pool;
    private final AtomicInteger allocated = new AtomicInteger();
    private final int poolCapacity;
    private final AtomicBoolean scheduled = new AtomicBoolean();

    // ---- lane-thread state
    private final Timeline timeline = new Timeline();
    private final TrackSpec[] specs;
    private final TrackFormat[] formats;        // latest format announced per track
    private final TrackFormat[] pendingFormat;  // announced, not yet attached to a frame
    private final TrackFormat[] releasedFormat; // format of the last frame released per track
    private final ArrayDeque<EncodedFrame>[] held;
    private final boolean[] hadFrames;
    private final long[] lastArrival;
    private final Map<Long, long[]> ssrcBinding = new HashMap<>(); // ssrc -> {track, raw32, trackTs}
    private final Map<Long, io.capstan.rtp.SenderReport> pendingSr = new HashMap<>();
    private final List<OutputGroup> groups;
    private final List<SegmentInfo> closed = new ArrayList<>();
    private final long syncWindowNanos;
    private final long openTimeoutNanos;
    private final long interleaveNanos;
    private int heldCount;
    private long firstArrival = Long.MIN_VALUE;
    private long latestArrival = Long.MIN_VALUE;
    private boolean decided;
    private long sessionOrigin;
    private boolean stopping;
    private final long[] excludedDrops;

    @SuppressWarnings("unchecked")
    SessionLane(RecordingSession session, RecorderExecutor executor, TrackSpec[] specs, List<OutputGroup> groups,
                int poolCapacity, long syncWindowNanos, long openTimeoutNanos, long interleaveNanos) {
        this.session = session;
        this.executor = executor;
        this.specs = specs;
        this.groups = groups;
        this.poolCapacity = poolCapacity;
        this.pool = new ArrayBlockingQueue<>(poolCapacity);
        this.queue = new ArrayBlockingQueue<>(poolCapacity + 1024);
        this.syncWindowNanos = syncWindowNanos;
        this.openTimeoutNanos = openTimeoutNanos;
        this.interleaveNanos = interleaveNanos;
        int n = specs.length;
        this.formats = new TrackFormat[n];
        this.pendingFormat = new TrackFormat[n];
        this.releasedFormat = new TrackFormat[n];
        this.held = new ArrayDeque[n];
        this.hadFrames = new boolean[n];
        this.lastArrival = new long[n];
        this.excludedDrops = new long[n];
        for (int i = 0; i < n; i++) {
            held[i] = new ArrayDeque<>(256);
            timeline.addTrack(i, specs[i].clockRate());
        }
    }

    // ================= pushing-thread side

    /**
     * Takes a free frame from the pool; null when the pool is exhausted (and, with {@code waitNanos > 0}, stayed
     * exhausted that long).
     */
    EncodedFrame borrow(long waitNanos) {
        EncodedFrame f = pool.poll();
        if (f != null) {
            return f;
        }
        if (allocated.get() < poolCapacity && allocated.incrementAndGet() <= poolCapacity) {
            return new EncodedFrame(16 * 1024);
        }
        if (waitNanos <= 0) {
            return null;
        }
        try {
            return pool.poll(waitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Queues a filled frame (always fits: the queue is larger than the pool). */
    void submit(EncodedFrame f) {
        queue.add(f);
        schedule();
    }

    /** Queues a control item; false if the queue is full (the item is dropped). */
    boolean control(LaneItem item) {
        boolean ok = queue.offer(item);
        schedule();
        return ok;
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            if (!executor.submit(this)) {
                scheduled.set(false);
                session.laneError("the recorder executor is shut down; media cannot be written");
            }
        }
    }

    // ================= lane side

    @Override
    public void run() {
        try {
            int budget = 512;
            Object item;
            while (budget-- > 0 && (item = queue.poll()) != null) {
                try {
                    if (item instanceof EncodedFrame f) {
                        onFrame(f);
                    } else {
                        onControl((LaneItem) item);
                    }
                } catch (RuntimeException e) {
                    session.laneError("internal error on the muxing lane: " + OutputGroup.message(e));
                }
            }
            try {
                release();
            } catch (RuntimeException e) {
                session.laneError("internal error on the muxing lane: " + OutputGroup.message(e));
            }
        } finally {
            scheduled.set(false);
            if (!queue.isEmpty()) {
                schedule();
            }
        }
    }

    private void onFrame(EncodedFrame f) {
        int t = f.track();
        long arrival = f.arrivalNanos();
        if (firstArrival == Long.MIN_VALUE) {
            firstArrival = arrival;
        }
        latestArrival = Math.max(latestArrival, arrival);
        lastArrival[t] = arrival;
        hadFrames[t] = true;
        timeline.anchor(t, f.rtpTimestamp());
        timeline.observeArrival(t, f.rtpTimestamp(), arrival);
        applyPendingSr(t);
        f.formatChange(pendingFormat[t]); // always assigned: pooled frames carry no stale format
        pendingFormat[t] = null;
        held[t].addLast(f);
        heldCount++;
        // decide at the frame that ends the sync window, not whenever the batch ends: an SR queued behind later
        // frames must not change the outcome (deterministic for the same input)
        maybeDecide();
    }

    private void onControl(LaneItem item) {
        if (item instanceof LaneItem.Format fm) {
            formats[fm.track()] = fm.format();
            pendingFormat[fm.track()] = fm.format();
            session.emit(new RecordingEvent.FormatChanged(session.id(), specs[fm.track()].id(), fm.format()));
        } else if (item instanceof LaneItem.SsrcBound b) {
            ssrcBinding.put(b.ssrc(), new long[] {b.track(), b.raw32(), b.trackTs()});
            timeline.anchor(b.track(), b.trackTs());
            applyPendingSr(b.track());
            if (b.previousSsrc() >= 0) {
                session.emit(new RecordingEvent.SsrcChanged(session.id(), specs[b.track()].id(), b.previousSsrc(),
                        b.ssrc()));
            }
        } else if (item instanceof LaneItem.Sr sr) {
            pendingSr.putIfAbsent(sr.report().ssrc(), sr.report());
            long[] bind = ssrcBinding.get(sr.report().ssrc());
            if (bind != null) {
                applyPendingSr((int) bind[0]);
            }
        } else if (item instanceof LaneItem.Stop stop) {
            stopping = true;
            finish();
            stop.done().complete(null);
        }
    }

    /** Applies the first SR of the SSRC currently bound to {@code track}, once the track is anchored. */
    private void applyPendingSr(int track) {
        if (pendingSr.isEmpty() || timeline.hasSenderReport(track) || !timeline.anchored(track)) {
            return;
        }
        for (Map.Entry<Long, long[]> e : ssrcBinding.entrySet()) {
            long[] b = e.getValue();
            if (b[0] != track) {
                continue;
            }
            io.capstan.rtp.SenderReport sr = pendingSr.get(e.getKey());
            if (sr != null) {
                long trackTs = b[2] + io.capstan.rtp.SeqMath.tsDelta(b[1], sr.rtpTimestamp());
                timeline.senderReport(track, sr.ntpMicros(), trackTs);
                return;
            }
        }
    }

    private boolean underPressure() {
        return heldCount >= poolCapacity * 3 / 4;
    }

    private void maybeDecide() {
        if (decided || firstArrival == Long.MIN_VALUE) {
            return;
        }
        boolean allSr = true;
        for (int t = 0; t < specs.length; t++) {
            if (!hadFrames[t] || !timeline.hasSenderReport(t)) {
                allSr = false;
                break;
            }
        }
        if (allSr || stopping || underPressure() || latestArrival - firstArrival >= syncWindowNanos) {
            timeline.decide();
            decided = true;
            long origin = Long.MAX_VALUE;
            for (int t = 0; t < specs.length; t++) {
                EncodedFrame head = held[t].peekFirst();
                if (head != null) {
                    origin = Math.min(origin, timeline.absoluteMicros(t, head.rtpTimestamp()));
                }
            }
            sessionOrigin = origin == Long.MAX_VALUE ? 0 : origin;
            session.timelineDecided(timeline.mode());
        }
    }

    /** Writes held frames in presentation order as far as the interleaving and open rules allow. */
    private void release() {
        maybeDecide();
        if (!decided) {
            return;
        }
        while (true) {
            int best = -1;
            long bestPts = Long.MAX_VALUE;
            for (int t = 0; t < specs.length; t++) {
                EncodedFrame head = held[t].peekFirst();
                if (head != null) {
                    long pts = timeline.absoluteMicros(t, head.rtpTimestamp()) - sessionOrigin;
                    if (pts < bestPts) {
                        bestPts = pts;
                        best = t;
                    }
                }
            }
            if (best < 0) {
                return;
            }
            if (!stopping && !underPressure()) {
                // wait for tracks that are flowing but have nothing queued yet: their next frame may be earlier
                for (int t = 0; t < specs.length; t++) {
                    if (t != best && hadFrames[t] && held[t].isEmpty()
                            && latestArrival - lastArrival[t] < interleaveNanos) {
                        return;
                    }
                }
            }
            OutputGroup g = groupOf(best);
            if (g != null && !g.isOpen() && !g.failed()) {
                if (g.firstArrivalNanos == Long.MIN_VALUE) {
                    g.firstArrivalNanos = held[best].peekFirst().arrivalNanos();
                }
                if (!readyToOpen(g)) {
                    return;
                }
                open(g, Long.MIN_VALUE);
            }
            EncodedFrame f = held[best].pollFirst();
            heldCount--;
            if (f.formatChange() != null) {
                releasedFormat[best] = f.formatChange();
                if (g != null && g.isOpen() && g.inSegment(best) && !g.carriesFormatChange(f)) {
                    // the container cannot carry the change in this file: the next segment starts at this frame
                    closeGroup(g);
                    open(g, bestPts);
                }
            }
            if (g != null && g.isOpen()) {
                if (g.inSegment(best)) {
                    String err = g.write(f, bestPts);
                    if (err != null) {
                        session.laneError(err);
                        closeGroup(g);
                    }
                } else {
                    excludedDrops[best]++;
                }
            }
            pool.offer(f);
        }
    }

    private boolean readyToOpen(OutputGroup g) {
        if (stopping || underPressure() || latestArrival - g.firstArrivalNanos >= openTimeoutNanos) {
            return true;
        }
        for (int t : g.tracks) {
            if (!hadFrames[t] || formats[t] == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Opens the group's next segment. {@code continueAt} is {@code Long.MIN_VALUE} for a first segment (it starts
     * at the earliest held frame of its tracks), or the session time where a new segment continues the previous
     * one (every track that has media goes on in it).
     */
    private void open(OutputGroup g, long continueAt) {
        boolean[] ready = new boolean[specs.length];
        TrackFormat[] startFormats = new TrackFormat[specs.length];
        long origin = continueAt == Long.MIN_VALUE ? Long.MAX_VALUE : continueAt;
        List<String> missing = new ArrayList<>();
        for (int t : g.tracks) {
            EncodedFrame head = held[t].peekFirst();
            startFormats[t] = head != null && head.formatChange() != null ? head.formatChange()
                    : releasedFormat[t] != null ? releasedFormat[t] : formats[t];
            ready[t] = hadFrames[t] && startFormats[t] != null && (head != null || continueAt != Long.MIN_VALUE);
            if (ready[t]) {
                if (continueAt == Long.MIN_VALUE) {
                    origin = Math.min(origin, timeline.absoluteMicros(t, head.rtpTimestamp()) - sessionOrigin);
                }
            } else {
                missing.add(specs[t].id());
            }
        }
        Instant wall = session.wallClockAt(origin);
        StringBuilder trackNames = new StringBuilder();
        StringBuilder codecs = new StringBuilder();
        String videoCodec = "";
        String audioCodec = "";
        for (int t : g.tracks) {
            String codec = specs[t].codec().name().toLowerCase(java.util.Locale.ROOT);
            trackNames.append(trackNames.length() > 0 ? "+" : "").append(specs[t].id());
            codecs.append(codecs.length() > 0 ? "+" : "").append(codec);
            if (specs[t].codec().isVideo() && videoCodec.isEmpty()) {
                videoCodec = codec;
            } else if (!specs[t].codec().isVideo() && audioCodec.isEmpty()) {
                audioCodec = codec;
            }
        }
        NameValues values = NameValues.builder(wall)
                .stream(session.streamName())
                .room(session.nameLabel("room"))
                .participant(session.nameLabel("participant"))
                .mediaSessionId(session.nameLabel("mediaSessionId"))
                .sessionId(session.id())
                .index(++g.segmentIndex) // from 1 per session and file group
                .track(trackNames.toString())
                .codec(codecs.toString())
                .videoCodec(videoCodec)
                .audioCodec(audioCodec)
                .ssrc(g.tracks.length == 1 ? Long.toString(session.currentSsrc(g.tracks[0])) : "")
                .startTimeMillis(session.serverNow().toEpochMilli())
                .build();
        NamingTemplate naming = session.naming(g);
        String extension = g.factory.extension(g.codecs(specs));
        SegmentKey key = naming.render(values, extension);
        // names with end values ({duration}...) are written under a temporary key ("open" in their place) and
        // committed under the name rendered on close; DASH/HLS directories keep the name they were opened with
        g.finalKey = naming.needsEnd() && !(g.factory instanceof io.capstan.mux.MuxerFactory.Grouped)
                ? durationMicros -> naming.render(values.end(durationMicros, session.serverNow().toEpochMilli()),
                        extension)
                : null;
        String err = g.open(session.sink(), key, specs, startFormats, ready, origin, wall);
        if (err != null) {
            session.laneError(err);
            return;
        }
        List<String> names = new ArrayList<>();
        for (int t : g.tracks) {
            if (ready[t]) {
                names.add(specs[t].id());
            }
        }
        session.emit(new RecordingEvent.SegmentOpened(session.id(), key.path(), names));
        if (!missing.isEmpty()) {
            session.laneError("track(s) " + missing + " had no media when " + key.path()
                    + " was opened; they are not in that file");
        }
    }

    private OutputGroup groupOf(int track) {
        for (int i = 0; i < groups.size(); i++) { // indexed: no iterator per frame
            OutputGroup g = groups.get(i);
            if (g.contains(track)) {
                return g;
            }
        }
        return null;
    }

    private void closeGroup(OutputGroup g) {
        List<String> errors = new ArrayList<>();
        SegmentInfo info = g.close(errors);
        for (String e : errors) {
            session.laneError(e);
        }
        if (info != null) {
            closed.add(info);
            session.emit(new RecordingEvent.SegmentClosed(session.id(), info));
        }
    }

    private void finish() {
        release();
        for (OutputGroup g : groups) {
            closeGroup(g);
        }
        for (int t = 0; t < specs.length; t++) {
            if (excludedDrops[t] > 0) {
                session.laneError("track " + specs[t].id() + ": " + excludedDrops[t]
                        + " frame(s) could not be written because the track started after its file was opened");
            }
        }
    }

    List<SegmentInfo> closedSegments() {
        return List.copyOf(closed);
    }
}

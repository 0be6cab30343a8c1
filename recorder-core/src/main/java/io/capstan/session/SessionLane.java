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
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.SpmcArrayQueue;

/**
 * A session's serial lane on the {@link RecorderExecutor}: receives frames and control items from the pushing
 * threads through a bounded queue, and on an executor thread puts frames on the timeline, interleaves the tracks by
 * presentation time and hands them to the output groups.
 *
 * <p>Frames come from a bounded pool; a frame is "in flight" from the moment a pushing thread takes it until the
 * lane has written it. When the pool is empty the pushing thread either drops the frame (live mode: never wait,
 * report an overflow) or waits (offline conversion with back-pressure).
 *
 * <p>Hand-off without locks or allocation (issue 7): the lane queue is a lock-free multi-producer single-consumer
 * array queue (any host thread may push or call a control method; only the lane, one executor thread at a time,
 * takes), the pool a single-producer multi-consumer one (only the lane returns frames; the pushing threads, one per
 * track at a time, take them). A pushing thread waiting for a free frame (back-pressure) parks in its track's slot
 * of {@link #waiting} and is unparked by the lane once {@link #wakeBatch} frames were returned (an eighth of the
 * pool, at most 256: a waiting pusher is woken a few times per pool, not per frame) or the lane has drained its
 * queue.
 *
 * <p>Start-up: frames are held until every track with media has an RTCP SR or the sync window has passed, then
 * the {@link Timeline} decides how to align the tracks. A file is opened when each of its tracks has media (or
 * after the open timeout, without the missing ones).
 */
final class SessionLane implements Runnable {

    /** Longest single park of a waiting pusher (a safety net: the lane unparks it). */
    private static final long MAX_PARK_NANOS = 1_000_000;

    private final RecordingSession session;
    private final RecorderExecutor executor;
    private final MpscArrayQueue<Object> queue;     // producers: pushing / control threads; consumer: the lane
    /**
     * Free frames per track (producer: the lane; consumers: that track's pushing thread). Per track, so a buffer
     * that grew for a video keyframe is reused for video and audio frames stay small: a frame keeps the largest
     * buffer it ever needed, and one shared pool let every frame in flight grow to the largest keyframe.
     */
    private final SpmcArrayQueue<EncodedFrame>[] pools;
    /** The buffer a new frame of each track starts with: 16 KiB for video, 2 KiB for audio. */
    private final int[] initialCapacity;
    private final AtomicInteger allocated = new AtomicInteger();
    private final int poolCapacity;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicReferenceArray<Thread> waiting; // per track: the pusher parked for a free frame
    private final AtomicInteger waiters = new AtomicInteger();
    private int returnedSinceWake; // lane only
    /** Frames returned to the pool between two checks for waiting pushers (and their wake-up). */
    private final int wakeBatch;

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
    /** The most recent closed segments, for {@code stop()}; older ones were reported by SegmentClosed only. */
    private final ArrayDeque<SegmentInfo> closed = new ArrayDeque<>();
    private final int retainedSegments;
    private long forgottenSegments;
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

    // ---- rotation, pause, consent (lane only)
    private RotationPolicy rotation;
    private NamingTemplate combinedNaming;
    private NamingTemplate perTrackNaming;
    private boolean pauseRequested;   // pause() arrived; the cut starts at the next frame released
    private boolean paused;           // frames are being dropped
    private boolean resumeRequested;  // resume() arrived; writing goes on at the next video keyframe
    private long pausedAtMicros;      // media time where the pause began
    private long pauseOffsetMicros;   // session time cut out so far: media time = session time - this
    private long pausedDrops;         // frames dropped in the current pause
    private long keyframeAskedAt = Long.MIN_VALUE; // session time of the lane's last keyframe request (resume)
    private final boolean[] allowed;  // consent: false for tracks of participants who have not consented
    private final boolean[] gated;    // a video track waits for its next keyframe (after resume or consent)
    private final TrackFormat[] carriedFormat; // announced by a frame that was dropped (pause, consent)
    private final ArrayDeque<Object[]> pendingActions = new ArrayDeque<>(); // {latestArrival when queued, item}

    @SuppressWarnings("unchecked")
    SessionLane(RecordingSession session, RecorderExecutor executor, TrackSpec[] specs, List<OutputGroup> groups,
                int poolCapacity, long syncWindowNanos, long openTimeoutNanos, long interleaveNanos,
                RotationPolicy rotation, NamingTemplate combinedNaming, NamingTemplate perTrackNaming,
                boolean[] needsConsent, int retainedSegments) {
        this.session = session;
        this.retainedSegments = retainedSegments;
        this.rotation = rotation;
        this.combinedNaming = combinedNaming;
        this.perTrackNaming = perTrackNaming;
        this.executor = executor;
        this.specs = specs;
        this.groups = groups;
        this.poolCapacity = poolCapacity;
        this.pools = new SpmcArrayQueue[specs.length];
        this.initialCapacity = new int[specs.length];
        for (int t = 0; t < specs.length; t++) {
            pools[t] = new SpmcArrayQueue<>(poolCapacity); // every frame may be of one track
            initialCapacity[t] = specs[t].codec().isVideo() ? 16 * 1024 : 2 * 1024;
        }
        this.queue = new MpscArrayQueue<>(poolCapacity + 1024);
        this.waiting = new AtomicReferenceArray<>(specs.length);
        this.wakeBatch = Math.max(1, Math.min(256, poolCapacity / 8));
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
        this.allowed = new boolean[n];
        this.gated = new boolean[n];
        this.carriedFormat = new TrackFormat[n];
        for (int i = 0; i < n; i++) {
            allowed[i] = !needsConsent[i];
            held[i] = new ArrayDeque<>(256);
            timeline.addTrack(i, specs[i].clockRate());
        }
    }

    // ================= pushing-thread side

    /**
     * Takes a free frame from the pool for a frame of {@code track}; null when the pool is exhausted (and, with
     * {@code waitNanos > 0}, stayed exhausted that long, or the thread was interrupted). One thread at a time per
     * track ({@link TrackInput} serializes its pushes).
     */
    EncodedFrame borrow(int track, long waitNanos) {
        EncodedFrame f = pools[track].poll();
        if (f != null) {
            return f;
        }
        if (allocated.get() < poolCapacity && allocated.incrementAndGet() <= poolCapacity) {
            return new EncodedFrame(initialCapacity[track]);
        }
        f = steal(track);
        if (f != null) {
            return f;
        }
        if (waitNanos <= 0) {
            return null;
        }
        Thread me = Thread.currentThread();
        long end = System.nanoTime() + waitNanos;
        waiting.set(track, me);
        waiters.incrementAndGet(); // full fence: the lane reads waiters after returning frames (see wakeWaiters)
        try {
            while (true) {
                f = pools[track].poll();
                if (f == null) {
                    f = steal(track);
                }
                if (f != null) {
                    return f;
                }
                long left = end - System.nanoTime();
                if (left <= 0 || me.isInterrupted()) {
                    return null;
                }
                LockSupport.parkNanos(this, Math.min(left, MAX_PARK_NANOS));
            }
        } finally {
            waiting.set(track, null);
            waiters.decrementAndGet();
        }
    }

    /**
     * A free frame of another track, once every frame the session may have exists: a track that starts late (or
     * after a long run of the other) must not wait for frames that all sit in the other tracks' pools. The frame
     * then belongs to {@code track} and returns to its pool.
     */
    private EncodedFrame steal(int track) {
        for (int t = 0; t < pools.length; t++) {
            if (t != track) {
                EncodedFrame f = pools[t].poll();
                if (f != null) {
                    return f;
                }
            }
        }
        return null;
    }

    /** Queues a filled frame (always fits: the queue is larger than the pool). */
    void submit(EncodedFrame f) {
        if (!queue.offer(f)) {
            throw new IllegalStateException("lane queue full"); // cannot happen: capacity > frames in flight
        }
        schedule();
    }

    /** Queues a control item; false if the queue is full (the item is dropped). */
    boolean control(LaneItem item) {
        boolean ok = queue.offer(item);
        schedule();
        return ok;
    }

    private void schedule() {
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
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
            if (returnedSinceWake > 0 && queue.isEmpty()) {
                wakeWaiters(); // going idle: whatever was returned is all a waiting pusher gets for now
            }
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
        } else if (item instanceof LaneItem.Pause || item instanceof LaneItem.Resume
                || item instanceof LaneItem.Consent || item instanceof LaneItem.Restart) {
            // takes effect between the frames pushed before the call and those pushed after it: frames are
            // released later (interleaving, sync window), so the item waits for the first frame that arrived after
            pendingActions.addLast(new Object[] {latestArrival, item});
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
            EncodedFrame headFrame = held[best].peekFirst();
            applyActions(headFrame.arrivalNanos());
            if (!admitAfterPause(best, headFrame, bestPts)) {
                held[best].pollFirst();
                heldCount--;
                rememberFormat(best, headFrame);
                pausedDrops++;
                recycle(headFrame);
                continue;
            }
            if (!allowed[best] || (gated[best] && !headFrame.keyframe())) {
                held[best].pollFirst(); // no consent, or a video track waiting for its keyframe: not recorded
                heldCount--;
                rememberFormat(best, headFrame);
                recycle(headFrame);
                continue;
            }
            gated[best] = false;
            bestPts -= pauseOffsetMicros; // media time: paused spans cut out
            OutputGroup g = groupOf(best);
            if (g != null && g.isOpen() && g.inSegment(best)) {
                maybeRotate(g, best, headFrame, bestPts);
            }
            if (g != null && !g.isOpen() && !g.failed()) {
                if (g.firstArrivalNanos == Long.MIN_VALUE) {
                    g.firstArrivalNanos = held[best].peekFirst().arrivalNanos();
                }
                if (!readyToOpen(g)) {
                    return;
                }
                open(g, g.closedBefore ? bestPts : Long.MIN_VALUE);
            }
            EncodedFrame f = held[best].pollFirst();
            heldCount--;
            if (carriedFormat[best] != null) {
                if (f.formatChange() == null) {
                    f.formatChange(carriedFormat[best]);
                }
                carriedFormat[best] = null;
            }
            if (f.formatChange() != null) {
                releasedFormat[best] = f.formatChange();
                if (g != null && g.isOpen() && g.inSegment(best) && !g.carriesFormatChange(f)) {
                    // the container cannot carry the change in this file: the next segment starts at this frame
                    g.cutAtMicros = bestPts;
                    closeGroup(g);
                    open(g, bestPts);
                }
            }
            if (g != null && g.isOpen()) {
                if (g.inSegment(best)) {
                    String err = g.write(f, bestPts);
                    if (err != null) {
                        session.laneError(err);
                        session.status(session.id(), RecordingStatus.ERROR, "write-failed", err);
                        closeGroup(g);
                    }
                } else {
                    excludedDrops[best]++;
                }
            }
            recycle(f);
        }
    }

    /** Returns a written or dropped frame to the pool (lane only); wakes waiting pushers every few frames. */
    private void recycle(EncodedFrame f) {
        pools[f.track()].offer(f); // always fits: each pool can hold every frame ever allocated
        if (++returnedSinceWake >= wakeBatch) {
            wakeWaiters();
        }
    }

    private void wakeWaiters() {
        returnedSinceWake = 0;
        VarHandle.fullFence(); // the returned frames are visible before waiters is read (pairs with borrow)
        if (waiters.get() == 0) {
            return;
        }
        for (int t = 0; t < waiting.length(); t++) {
            Thread w = waiting.get(t);
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /** Applies the host's pause / resume / consent / restart calls queued before frames that arrived after them. */
    private void applyActions(long beforeArrival) {
        while (!pendingActions.isEmpty() && (long) pendingActions.peekFirst()[0] < beforeArrival) {
            apply((LaneItem) pendingActions.pollFirst()[1]);
        }
    }

    private void apply(LaneItem item) {
        if (item instanceof LaneItem.Pause) {
            if (!paused && !pauseRequested) {
                pauseRequested = true;
                resumeRequested = false;
                session.status(session.id(), RecordingStatus.PAUSED, "paused", "paused by the host");
            } else if (resumeRequested) {
                resumeRequested = false; // paused again before the resume took effect
                session.status(session.id(), RecordingStatus.PAUSED, "paused", "paused by the host");
            }
        } else if (item instanceof LaneItem.Resume) {
            if (pauseRequested && !paused) {
                pauseRequested = false; // nothing was dropped yet: nothing to cut
                session.status(session.id(), RecordingStatus.ACTIVE, "resumed", "resumed");
            } else if (paused) {
                resumeRequested = true;
            }
        } else if (item instanceof LaneItem.Consent c) {
            onConsent(c);
        } else if (item instanceof LaneItem.Restart r) {
            rotation = r.rotation();
            combinedNaming = r.combined();
            perTrackNaming = r.perTrack();
            for (OutputGroup g : groups) {
                g.segmentIndex = 0; // a new recording: numbered from 1 again
                if (g.isOpen()) {
                    g.cutPending = true;
                }
            }
        }
    }

    /** Keeps the format a dropped frame announced, for the next frame of its track that is written. */
    private void rememberFormat(int t, EncodedFrame f) {
        if (f.formatChange() != null) {
            carriedFormat[t] = f.formatChange();
        }
    }

    /**
     * Pause and resume: whether the head frame of {@code t} (session time {@code pts}) is written. A pause drops
     * frames from the first one released after it; a resume takes effect at the next keyframe of a consenting
     * video track (at the next frame when there is no video), and the paused span is cut out of the timeline so
     * files continue without a gap.
     */
    private boolean admitAfterPause(int t, EncodedFrame head, long pts) {
        if (pauseRequested && !paused) {
            paused = true;
            pauseRequested = false;
            pausedDrops = 0;
            pausedAtMicros = pts - pauseOffsetMicros;
        }
        if (!paused) {
            return true;
        }
        if (!resumeRequested) {
            return false;
        }
        boolean video = anyVideoFlowing();
        if (video && !(specs[t].codec().isVideo() && allowed[t] && head.keyframe())) {
            askKeyframes(pts, "resume");
            return false;
        }
        long before = pauseOffsetMicros;
        pauseOffsetMicros = pts - pausedAtMicros;
        paused = false;
        resumeRequested = false;
        for (int i = 0; i < specs.length; i++) {
            gated[i] = specs[i].codec().isVideo() && i != t; // other video tracks resume at their own keyframe
        }
        session.status(session.id(), RecordingStatus.ACTIVE, "resumed",
                "resumed; " + (pauseOffsetMicros - before) / 1000 + " ms of media (" + pausedDrops
                        + " frames) cut out");
        return true;
    }

    private boolean anyVideoFlowing() {
        for (int i = 0; i < specs.length; i++) {
            if (specs[i].codec().isVideo() && allowed[i] && hadFrames[i]) {
                return true;
            }
        }
        return false;
    }

    /** Asks the senders of the consenting video tracks for a keyframe, at most once a second of session time. */
    private void askKeyframes(long pts, String reason) {
        if (keyframeAskedAt != Long.MIN_VALUE && pts - keyframeAskedAt < 1_000_000) {
            return;
        }
        keyframeAskedAt = pts;
        for (int i = 0; i < specs.length; i++) {
            if (specs[i].codec().isVideo() && allowed[i]) {
                requestKeyframe(i, reason);
            }
        }
    }

    private void requestKeyframe(int t, String reason) {
        session.emit(new RecordingEvent.KeyframeNeeded(session.id(), specs[t].id(), session.currentSsrc(t), reason));
    }

    /**
     * Rotation: cuts {@code g} before the head frame {@code f} of track {@code t} (media time {@code pts}) when
     * the policy (or a pending consent change / restart) says so and this frame can start a file — a keyframe of
     * the file's video, or any frame of a file without video. Shortly before a boundary the video senders are
     * asked for a keyframe, so a file does not overrun by a whole keyframe interval.
     */
    private void maybeRotate(OutputGroup g, int t, EncodedFrame f, long pts) {
        boolean due = g.cutPending;
        boolean soon = due;
        long age = pts - g.originMicros();
        if (rotation instanceof RotationPolicy.ByDuration d) {
            long period = d.period().toNanos() / 1000;
            due |= age >= period;
            soon |= age >= period - RotationPolicy.KEYFRAME_LEAD_MICROS;
        } else if (rotation instanceof RotationPolicy.BySize sz) {
            long bytes = g.bytes();
            due |= bytes >= sz.bytes();
            // at the current rate, the limit is less than the lead time away
            soon |= age > 0 && bytes + bytes * RotationPolicy.KEYFRAME_LEAD_MICROS / age >= sz.bytes();
        } else if (rotation instanceof RotationPolicy.WallClock && g.boundary != null) {
            Instant now = session.wallClockAt(pts + pauseOffsetMicros);
            due |= !now.isBefore(g.boundary);
            soon |= !now.isBefore(g.boundary.minusNanos(RotationPolicy.KEYFRAME_LEAD_MICROS * 1000));
        }
        if (!soon) {
            return;
        }
        boolean video = g.videoInSegment(specs);
        if (due && age > 0 && (!video || (specs[t].codec().isVideo() && f.keyframe()))) {
            String why = g.cutPending ? "restart or consent change" : "rotation";
            g.cutAtMicros = pts;
            closeGroup(g);
            open(g, pts);
            if (!g.isOpen()) {
                session.laneError("rotation: the next file could not be opened (" + why + ")");
            }
            return;
        }
        if (video && (g.keyframeAskedAt == Long.MIN_VALUE || pts - g.keyframeAskedAt >= 1_000_000)) {
            g.keyframeAskedAt = pts;
            for (int i : g.tracks) {
                if (g.inSegment(i) && specs[i].codec().isVideo()) {
                    requestKeyframe(i, "rotation");
                }
            }
        }
    }

    private void onConsent(LaneItem.Consent c) {
        List<String> names = new ArrayList<>();
        for (int t : c.tracks()) {
            names.add(specs[t].id());
            if (allowed[t] == c.granted()) {
                continue;
            }
            allowed[t] = c.granted();
            gated[t] = c.granted() && specs[t].codec().isVideo();
            OutputGroup g = groupOf(t);
            if (g != null && g.isOpen()) {
                boolean anyLeft = false;
                for (int o : g.tracks) {
                    anyLeft |= allowed[o];
                }
                if (!anyLeft) {
                    closeGroup(g); // nobody left to record in this file
                } else if (c.granted() != g.inSegment(t)) {
                    g.cutPending = true; // the next file starts with (or without) the track, at a keyframe
                }
            }
            if (c.granted() && specs[t].codec().isVideo() && hadFrames[t]) {
                requestKeyframe(t, "consent");
            }
            session.status(specs[t].id(), c.granted() ? RecordingStatus.ACTIVE : RecordingStatus.INACTIVE,
                    c.granted() ? "consent-given" : "consent-withdrawn",
                    "participant " + c.participant() + (c.granted() ? " consented" : " withdrew consent"));
        }
        session.emit(new RecordingEvent.ConsentChanged(session.id(), c.participant(), c.granted(), names));
    }

    private boolean readyToOpen(OutputGroup g) {
        boolean any = false;
        for (int t : g.tracks) {
            any |= allowed[t];
        }
        if (!any) {
            return false; // nobody in this group consented: no file
        }
        if (stopping || underPressure() || latestArrival - g.firstArrivalNanos >= openTimeoutNanos) {
            return true;
        }
        for (int t : g.tracks) {
            if (allowed[t] && (!hadFrames[t] || formats[t] == null)) {
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
                    : carriedFormat[t] != null ? carriedFormat[t]
                    : releasedFormat[t] != null ? releasedFormat[t] : formats[t];
            ready[t] = allowed[t] && hadFrames[t] && startFormats[t] != null
                    && (head != null || continueAt != Long.MIN_VALUE);
            if (ready[t]) {
                if (continueAt == Long.MIN_VALUE) {
                    origin = Math.min(origin, timeline.absoluteMicros(t, head.rtpTimestamp()) - sessionOrigin
                            - pauseOffsetMicros);
                }
            } else if (allowed[t]) {
                missing.add(specs[t].id());
            }
        }
        Instant wall = session.wallClockAt(origin + pauseOffsetMicros);
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
                .participant(participantName(g))
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
        NamingTemplate naming = g.tracks.length == 1 && session.perTrackLayout() ? perTrackNaming : combinedNaming;
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
            session.status(session.id(), RecordingStatus.ERROR, "open-failed", err);
            return;
        }
        g.closedBefore = true;
        if (rotation instanceof RotationPolicy.WallClock w) {
            g.boundary = w.nextBoundary(wall);
        }
        if (session.status() == RecordingStatus.ERROR) {
            session.status(session.id(), RecordingStatus.ACTIVE, "recovered", "writing again, to " + key.path());
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

    /** {participant}: the one participant owning every track of the group, else the session's label. */
    private String participantName(OutputGroup g) {
        String owner = null;
        for (int t : g.tracks) {
            String p = session.participantOf(specs[t].id());
            if (p == null || (owner != null && !owner.equals(p))) {
                return session.nameLabel("participant");
            }
            owner = p;
        }
        return owner;
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
            if (closed.size() == retainedSegments) {
                closed.removeFirst();
                forgottenSegments++;
            }
            closed.add(info);
            session.emit(new RecordingEvent.SegmentClosed(session.id(), info));
        }
    }

    private void finish() {
        release();
        applyActions(Long.MAX_VALUE);
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

    /** Closed segments no longer in {@link #closedSegments()} (beyond the retention limit). */
    long forgottenSegments() {
        return forgottenSegments;
    }
}

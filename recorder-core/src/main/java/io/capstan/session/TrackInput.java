package io.capstan.session;

import io.capstan.codec.Depacketizer;
import io.capstan.codec.FrameAssembler;
import io.capstan.codec.FrameBuilder;
import io.capstan.media.EncodedFrame;
import io.capstan.rtp.ReceiveBuffer;
import io.capstan.rtp.RtpPacket;
import io.capstan.rtp.RtpRejectReason;

/**
 * Where the host pushes one track's RTP. {@link #pushRtp} parses the packet in place, runs it through the
 * track's receive buffer (reorder, dedupe, loss), depacketizer and frame assembler, and queues complete frames to
 * the session's muxing lane. It never throws for bad input and never waits on I/O (unless the session was built
 * with back-pressure for offline conversion). Thread-safe: calls for one track are serialized by a lock that is
 * never held across I/O.
 */
public final class TrackInput {

    private static final int STASH = 4;
    private static final int SSRC_SWITCH_PACKETS = 3;

    private final RecordingSession session;
    private final int index;
    private final TrackSpec spec;
    private final Depacketizer depacketizer;
    private final FrameAssembler assembler;
    private final RtpPacket view = new RtpPacket();
    private final long latencyNanos;
    private final int bufferSlots;
    private ReceiveBuffer buffer;

    // SSRC state
    // written under this lock; read without it by the muxing lane (naming, keyframe requests) and by
    // RecordingSession.push's routing: a lane that took the lock could wait forever on a pusher that holds it while
    // it waits for a free frame (back-pressure)
    private volatile long ssrc = -1;
    private long ssrcOffset;
    private boolean needBinding = true;
    private long previousSsrc = -1;
    private long lastTrackTs;
    private long lastTrackArrival;
    private boolean anyReleased;
    private long candidate = -1;
    private int candidateCount;
    private final byte[][] stash = new byte[STASH][];
    private final int[] stashLen = new int[STASH];
    private final long[] stashArrival = new long[STASH];

    private int postedFormatVersion = -1;
    private long lastKeyframeRequest = Long.MIN_VALUE;
    private long lastOverflowEvent = Long.MIN_VALUE;
    private long currentArrival;

    // counters (guarded by this)
    private long invalid;
    private long framesOut;
    private long overflowDropped;
    private long keyframeRequests;
    private long ssrcChanges;
    private long lostBefore;
    private long dupBefore;
    private long reorderedBefore;
    private long lateBefore;
    private long packetsBefore;
    private int pendingDropped;

    TrackInput(RecordingSession session, int index, TrackSpec spec, Depacketizer depacketizer, long latencyNanos,
               int bufferSlots) {
        this.session = session;
        this.index = index;
        this.spec = spec;
        this.depacketizer = depacketizer;
        this.latencyNanos = latencyNanos;
        this.bufferSlots = bufferSlots;
        this.assembler = new FrameAssembler(depacketizer, new FrameBuilder(), new AssemblerOutput());
        this.buffer = newBuffer();
        if (spec.ssrc() > 0) {
            this.ssrc = spec.ssrc();
        }
    }

    private ReceiveBuffer newBuffer() {
        return new ReceiveBuffer(bufferSlots, latencyNanos, this::released);
    }

    public TrackSpec spec() {
        return spec;
    }

    public String id() {
        return spec.id();
    }

    /**
     * Pushes one RTP datagram.
     *
     * @param arrivalNanos when it arrived, on a monotonic clock ({@code System.nanoTime()}, or capture time)
     * @return null when accepted, otherwise why it was rejected (also counted in {@link #stats()})
     */
    public synchronized RtpRejectReason pushRtp(byte[] buf, int off, int len, long arrivalNanos) {
        if (!session.accepting()) {
            return null;
        }
        RtpRejectReason r = view.wrap(buf, off, len);
        if (r != null) {
            invalid++;
            return r;
        }
        if (view.payloadType() != spec.payloadType()) {
            invalid++;
            return RtpRejectReason.UNKNOWN_PAYLOAD_TYPE;
        }
        currentArrival = arrivalNanos;
        long s = view.ssrc();
        if (ssrc < 0) {
            ssrc = s;
        }
        if (s == ssrc) {
            if (candidate >= 0 && candidateCount > 0) {
                invalid += candidateCount; // a few packets of a foreign SSRC that never took over
                candidate = -1;
                candidateCount = 0;
            }
            buffer.push(view, arrivalNanos);
            return null;
        }
        // another SSRC: a sender restart, or strays. Switch once it has sent SSRC_SWITCH_PACKETS in a row.
        if (s != candidate) {
            invalid += candidateCount;
            candidate = s;
            candidateCount = 0;
        }
        if (candidateCount < STASH) {
            if (stash[candidateCount] == null || stash[candidateCount].length < len) {
                stash[candidateCount] = new byte[Math.max(len, 1500)];
            }
            System.arraycopy(buf, off, stash[candidateCount], 0, len);
            stashLen[candidateCount] = len;
            stashArrival[candidateCount] = arrivalNanos;
        }
        candidateCount++;
        if (candidateCount >= SSRC_SWITCH_PACKETS) {
            switchSsrc(s);
        }
        return null;
    }

    private void switchSsrc(long newSsrc) {
        buffer.releaseAll();
        accumulate(buffer);
        assembler.discontinuity("SSRC change");
        depacketizer.reset();
        previousSsrc = ssrc;
        ssrc = newSsrc;
        ssrcChanges++;
        needBinding = true;
        buffer = newBuffer();
        int n = Math.min(candidateCount, STASH);
        candidate = -1;
        candidateCount = 0;
        RtpPacket p = new RtpPacket();
        for (int i = 0; i < n; i++) {
            p.wrap(stash[i], 0, stashLen[i]);
            currentArrival = stashArrival[i];
            buffer.push(p, stashArrival[i]);
        }
    }

    private void accumulate(ReceiveBuffer old) {
        lostBefore += old.lost();
        dupBefore += old.duplicates();
        reorderedBefore += old.reordered();
        lateBefore += old.late();
        packetsBefore += old.received();
    }

    /** Releases packets whose gaps have waited out the latency (call periodically when packets may stop). */
    public synchronized void poll(long nowNanos) {
        buffer.poll(nowNanos);
    }

    /** Flushes everything buffered (before stop). */
    synchronized void drain() {
        buffer.releaseAll();
        assembler.flush();
        if (candidateCount > 0) {
            invalid += candidateCount;
            candidateCount = 0;
            candidate = -1;
        }
    }

    /** The SSRC being recorded (-1 before the first packet); read without the lock (see the field). */
    long currentSsrc() {
        return ssrc;
    }

    // ---- receive buffer output: in-order packets
    private void released(RtpPacket p, long extSeq, long extTs, long arrivalNanos, boolean lossBefore) {
        if (needBinding) {
            needBinding = false;
            if (anyReleased) {
                // continue the track's clock across the SSRC change: elapsed arrival time in track ticks
                long elapsed = Math.max(1, (arrivalNanos - lastTrackArrival) * spec.clockRate() / 1_000_000_000L);
                ssrcOffset = lastTrackTs + elapsed - extTs;
            } else {
                ssrcOffset = 0;
            }
            session.lane().control(new LaneItem.SsrcBound(index, ssrc, previousSsrc, extTs & 0xFFFFFFFFL,
                    extTs + ssrcOffset));
        }
        anyReleased = true;
        long trackTs = extTs + ssrcOffset;
        lastTrackTs = trackTs;
        lastTrackArrival = arrivalNanos;
        if (!assembler.packet(p, trackTs, lossBefore, arrivalNanos)) {
            invalid++;
        }
    }

    private final class AssemblerOutput implements FrameAssembler.Output {
        @Override
        public void frame(byte[] data, int off, int len, long rtpTimestamp, boolean keyframe, long arrivalNanos,
                          int droppedBefore) {
            int v = depacketizer.formatVersion();
            if (v != postedFormatVersion) {
                postedFormatVersion = v;
                session.lane().control(new LaneItem.Format(index, depacketizer.format()));
            }
            EncodedFrame f = session.lane().borrow(index, session.backpressureNanos());
            if (f == null) {
                overflowDropped++;
                pendingDropped++;
                if (!depacketizer.independentFrames()) {
                    assembler.discontinuity("muxing lane overflow");
                }
                if (lastOverflowEvent == Long.MIN_VALUE || arrivalNanos - lastOverflowEvent >= 1_000_000_000L) {
                    lastOverflowEvent = arrivalNanos;
                    session.emit(new RecordingEvent.Overflow(session.id(), spec.id(), overflowDropped));
                }
                return;
            }
            f.set(data, off, len).track(index).rtpTimestamp(rtpTimestamp).arrivalNanos(arrivalNanos)
                    .keyframe(keyframe).droppedBefore(droppedBefore + pendingDropped).ptsMicros(0);
            pendingDropped = 0;
            framesOut++;
            session.lane().submit(f);
        }

        @Override
        public void keyframeNeeded(String reason) {
            long now = currentArrival;
            if (lastKeyframeRequest != Long.MIN_VALUE && now - lastKeyframeRequest < session.keyframeIntervalNanos()) {
                return;
            }
            lastKeyframeRequest = now;
            keyframeRequests++;
            session.emit(new RecordingEvent.KeyframeNeeded(session.id(), spec.id(), ssrc, reason));
        }
    }

    /** A snapshot of this track's counters. */
    public synchronized TrackStats stats() {
        return new TrackStats(spec.id(), ssrc, packetsBefore + buffer.received(), lostBefore + buffer.lost(),
                dupBefore + buffer.duplicates(), reorderedBefore + buffer.reordered(), invalid,
                lateBefore + buffer.late(), framesOut, assembler.framesDropped() + overflowDropped, overflowDropped,
                keyframeRequests, ssrcChanges);
    }
}

package io.capstan.session;

import io.capstan.codec.Depacketizer;
import io.capstan.codec.Depacketizers;
import io.capstan.media.Codec;
import io.capstan.media.Timeline;
import io.capstan.mux.MuxerFactory;
import io.capstan.mux.MuxerSelector;
import io.capstan.rtp.RtcpParser;
import io.capstan.rtp.RtpPacket;
import io.capstan.rtp.RtpRejectReason;
import io.capstan.rtp.SenderReport;
import io.capstan.storage.StorageSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A recording: RTP in, files out.
 *
 * <pre>{@code
 * RecordingSession session = RecordingSession.builder()
 *         .sink(new FileSystemSink(Path.of("records")))
 *         .muxers(StandardMuxers.selector(Container.AUTO, false))
 *         .stream("room42")
 *         .track(TrackSpec.of("video", Codec.VP8, 96))
 *         .track(TrackSpec.of("audio", Codec.OPUS, 111))
 *         .listener(event -> log.info("{}", event))
 *         .build();
 * session.start();
 * session.track("video").pushRtp(buf, 0, len, System.nanoTime());   // from the host's receive thread
 * session.pushRtcp(buf, 0, len, System.nanoTime());
 * List<SegmentInfo> files = session.stop();
 * }</pre>
 *
 * <p>Threads: {@code pushRtp}/{@code pushRtcp} run on the host's threads and only parse, reorder, depacketize and
 * queue; muxing and writing run on the session's lane on a shared {@link RecorderExecutor}. Nothing thrown by bad
 * input or failed I/O reaches the host: rejected packets are counted, failures become
 * {@link RecordingEvent.Error} events.
 */
public final class RecordingSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RecordingSession.class);

    /** {@link Builder#retainedSegments(int)} by default: 256 segments, e.g. 43 minutes of 10 s rotation. */
    public static final int DEFAULT_RETAINED_SEGMENTS = 256;

    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    private final String id;
    private final String stream;
    private final StorageSink sink;
    private final RecordingListener listener;
    private final RecorderExecutor executor;
    private final InstantSource clock;
    private final Layout layout;
    private final NamingTemplate combinedNaming;
    private final NamingTemplate perTrackNaming;
    private final Map<String, String> nameLabels; // naming: room, participant, mediaSessionId
    private final long backpressureNanos;
    private final long keyframeIntervalNanos;
    private final TrackSpec[] specs;
    private final TrackInput[] inputs;
    private final Map<String, TrackInput> byId = new LinkedHashMap<>();
    private final SessionLane lane;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final RotationPolicy rotation;
    private final Map<String, List<String>> participants; // participant -> its track ids
    private final Map<String, RecordingStatus> statuses = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Instant startInstant;
    private volatile Timeline.Mode timelineMode = Timeline.Mode.UNDECIDED;
    private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile List<SegmentInfo> result;
    private long rtcpInvalid;

    private RecordingSession(Builder b, List<OutputGroup> groups) {
        this.id = b.id;
        this.stream = b.stream;
        this.sink = b.sink;
        this.listener = b.listener;
        this.executor = b.executor;
        this.clock = b.clock;
        this.layout = b.layout;
        this.combinedNaming = b.combinedNaming;
        this.perTrackNaming = b.perTrackNaming;
        this.nameLabels = Map.copyOf(b.nameLabels);
        this.backpressureNanos = b.backpressure.toNanos();
        this.keyframeIntervalNanos = b.keyframeRequestInterval.toNanos();
        this.specs = b.tracks.toArray(new TrackSpec[0]);
        this.rotation = b.rotation;
        this.participants = Map.copyOf(b.participants);
        boolean[] needsConsent = new boolean[specs.length];
        for (int i = 0; i < specs.length; i++) {
            needsConsent[i] = b.participantOf.containsKey(specs[i].id());
        }
        this.lane = new SessionLane(this, executor, specs, groups, b.maxFramesInFlight, b.syncWindow.toNanos(),
                b.openTimeout.toNanos(), b.interleaveWindow.toNanos(), b.rotation, b.combinedNaming,
                b.perTrackNaming, needsConsent, b.retainedSegments);
        this.inputs = new TrackInput[specs.length];
        for (int i = 0; i < specs.length; i++) {
            inputs[i] = new TrackInput(this, i, specs[i], b.depacketizers.get(i), b.latency.toNanos(), b.bufferSlots);
            byId.put(specs[i].id(), inputs[i]);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public String id() {
        return id;
    }

    public String streamName() {
        return stream;
    }

    /** Starts accepting media. */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("session " + id + " was already started");
        }
        startInstant = clock.instant();
        emit(new RecordingEvent.Started(id));
        status(id, RecordingStatus.ACTIVE, "started", "recording");
        for (Map.Entry<String, List<String>> p : participants.entrySet()) {
            for (String t : p.getValue()) {
                status(t, RecordingStatus.INACTIVE, "no-consent", "participant " + p.getKey() + " has not consented");
            }
        }
    }

    /**
     * Pauses: media from now on is dropped, and the span is cut out of the files (one file goes on; its timestamps
     * stay continuous, also across rotation). Emits a {@code PAUSED} status. Non-blocking.
     */
    public void pause() {
        requireRunning("pause");
        laneControl(new LaneItem.Pause());
    }

    /**
     * Resumes after {@link #pause()}: writing goes on at the next keyframe of the video (senders are asked for one;
     * at the next frame when there is no video); {@code ACTIVE} is emitted when it does. Non-blocking.
     */
    public void resume() {
        requireRunning("resume");
        laneControl(new LaneItem.Resume());
    }

    /**
     * Ends the current files (each at its next keyframe, with no gap) and records on into new ones made with
     * {@code overrides}; settings it leaves null keep this session's defaults (those given to the builder).
     * Numbering starts again from 1. Non-blocking.
     */
    public void restart(Overrides overrides) {
        requireRunning("restart");
        Objects.requireNonNull(overrides, "overrides");
        laneControl(new LaneItem.Restart(overrides.rotation() != null ? overrides.rotation() : rotation,
                overrides.naming() != null ? new NamingTemplate(overrides.naming(), combinedNaming.options())
                        : combinedNaming,
                overrides.perTrackNaming() != null
                        ? new NamingTemplate(overrides.perTrackNaming(), perTrackNaming.options()) : perTrackNaming));
    }

    /** What {@link #restart} changes; null = keep the session's default. */
    public record Overrides(String naming, String perTrackNaming, RotationPolicy rotation) {
        public static final Overrides NONE = new Overrides(null, null, null);

        public Overrides withNaming(String template) {
            new NamingTemplate(template); // validates now, on the caller's thread
            return new Overrides(template, perTrackNaming, rotation);
        }

        public Overrides withRotation(RotationPolicy r) {
            return new Overrides(naming, perTrackNaming, r);
        }
    }

    /**
     * Gives or withdraws a participant's consent (it starts withdrawn). Their tracks are recorded only with it:
     * given during a recording, the files go on with their tracks from the next keyframe; withdrawn, their media
     * stops at once and files opened from then on never hold it. Emits {@code ConsentChanged} and per-track status.
     *
     * @throws IllegalArgumentException for a participant the builder did not declare
     */
    public void consent(String participant, boolean granted) {
        List<String> ids = participants.get(participant);
        if (ids == null) {
            throw new IllegalArgumentException("no participant '" + participant + "' in session " + id
                    + " (participants: " + participants.keySet() + ")");
        }
        int[] idx = new int[ids.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = indexOf(ids.get(i));
        }
        laneControl(new LaneItem.Consent(participant, idx, granted));
    }

    /** The recording's status (the session as a whole). */
    public RecordingStatus status() {
        return statuses.getOrDefault(id, RecordingStatus.INACTIVE);
    }

    /** The status of a target: the session id, or a track id. */
    public RecordingStatus status(String target) {
        return statuses.getOrDefault(target, RecordingStatus.INACTIVE);
    }

    private int indexOf(String trackId) {
        for (int i = 0; i < specs.length; i++) {
            if (specs[i].id().equals(trackId)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no track '" + trackId + "'");
    }

    private void requireRunning(String what) {
        if (state.get() != State.RUNNING) {
            throw new IllegalStateException("cannot " + what + " session " + id + ": it is " + state.get());
        }
    }

    private void laneControl(LaneItem item) {
        while (!lane.control(item)) {
            Thread.onSpinWait(); // the queue is larger than the frame pool: a control item finds room promptly
        }
    }

    /** The input of the track with this id. */
    public TrackInput track(String trackId) {
        TrackInput t = byId.get(trackId);
        if (t == null) {
            throw new IllegalArgumentException("no track '" + trackId + "' in session " + id + " (tracks: "
                    + byId.keySet() + ")");
        }
        return t;
    }

    public List<TrackInput> tracks() {
        return List.of(inputs);
    }

    /**
     * Pushes an RTP packet for whichever track it belongs to (by SSRC once bound, else by payload type); RTCP
     * (RFC 5761 multiplexing) is recognised and handled as by {@link #pushRtcp}.
     */
    public RtpRejectReason push(byte[] buf, int off, int len, long arrivalNanos) {
        if (RtcpParser.looksLikeRtcp(buf, off, len)) {
            pushRtcp(buf, off, len, arrivalNanos);
            return null;
        }
        if (len >= 12 && off >= 0 && off + len <= buf.length) {
            long ssrc = RtpPacket.readUint32(buf, off + 8);
            int pt = buf[off + 1] & 0x7F;
            for (TrackInput t : inputs) {
                if (t.currentSsrc() == ssrc) {
                    return t.pushRtp(buf, off, len, arrivalNanos);
                }
            }
            for (TrackInput t : inputs) {
                if (t.spec().payloadType() == pt) {
                    return t.pushRtp(buf, off, len, arrivalNanos);
                }
            }
            return RtpRejectReason.UNKNOWN_PAYLOAD_TYPE;
        }
        return RtpRejectReason.TOO_SHORT;
    }

    /**
     * Pushes an RTCP compound packet (sender reports put the tracks on one clock).
     *
     * @return null when it parsed, otherwise why not (counted)
     */
    public String pushRtcp(byte[] buf, int off, int len, long arrivalNanos) {
        if (!accepting()) {
            return null;
        }
        String err = RtcpParser.parse(buf, off, len, new RtcpParser.Visitor() {
            @Override
            public void senderReport(SenderReport sr) {
                lane.control(new LaneItem.Sr(sr));
            }
        });
        if (err != null) {
            synchronized (this) {
                rtcpInvalid++;
            }
        }
        return err;
    }

    /** Invalid RTCP datagrams seen. */
    public synchronized long rtcpInvalid() {
        return rtcpInvalid;
    }

    /** Releases packets held behind loss gaps longer than the latency (hosts call this on a timer). */
    public void poll(long nowNanos) {
        for (TrackInput t : inputs) {
            t.poll(nowNanos);
        }
    }

    /**
     * Stops: flushes every track, closes and commits every segment, and returns their metadata (the most recent
     * {@link Builder#retainedSegments(int)}; each was also reported by a {@link RecordingEvent.SegmentClosed}).
     * Waits for the muxing lane to finish (at most {@code timeout}). Idempotent.
     */
    public List<SegmentInfo> stop(Duration timeout) {
        return stop(timeout, "stopped", "stopped");
    }

    /**
     * Stops as {@link #stop(Duration)}, with the reason the final {@link RecordingEvent.StatusChanged} (INACTIVE)
     * carries: e.g. code {@code publisher-left} and the transport's sentence when a WebRTC publisher went away.
     */
    public List<SegmentInfo> stop(Duration timeout, String code, String message) {
        if (state.compareAndSet(State.NEW, State.STOPPED)) {
            result = List.of();
            emit(new RecordingEvent.Stopped(id, result, stats()));
            return result;
        }
        if (!state.compareAndSet(State.RUNNING, State.STOPPING)) {
            return waitResult(timeout);
        }
        for (TrackInput t : inputs) {
            t.drain();
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        while (!lane.control(new LaneItem.Stop(done))) {
            Thread.onSpinWait();
        }
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            laneError("stopping did not finish within " + timeout.toSeconds() + " s");
        }
        result = lane.closedSegments();
        state.set(State.STOPPED);
        status(id, RecordingStatus.INACTIVE, code, message);
        emit(new RecordingEvent.Stopped(id, result, stats()));
        synchronized (this) {
            notifyAll();
        }
        return result;
    }

    public List<SegmentInfo> stop() {
        return stop(Duration.ofSeconds(60));
    }

    private synchronized List<SegmentInfo> waitResult(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (result == null && System.nanoTime() < end) {
            try {
                wait(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return result == null ? List.of() : result;
    }

    @Override
    public void close() {
        stop();
    }

    public List<TrackStats> stats() {
        List<TrackStats> s = new ArrayList<>();
        for (TrackInput t : inputs) {
            s.add(t.stats());
        }
        return s;
    }

    /** Errors reported so far (also sent as events). */
    public List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    /** How the tracks were put on one clock (known once media has flowed for the sync window). */
    public Timeline.Mode timelineMode() {
        return timelineMode;
    }

    // ---- package-private plumbing

    boolean accepting() {
        return state.get() == State.RUNNING;
    }

    SessionLane lane() {
        return lane;
    }

    long backpressureNanos() {
        return backpressureNanos;
    }

    long keyframeIntervalNanos() {
        return keyframeIntervalNanos;
    }

    StorageSink sink() {
        return sink;
    }

    long currentSsrc(int track) {
        return inputs[track].currentSsrc();
    }

    boolean perTrackLayout() {
        return layout == Layout.PER_TRACK;
    }

    /** Records a status change of {@code target} and emits it (nothing when it is unchanged). */
    void status(String target, RecordingStatus s, String code, String message) {
        RecordingStatus old = statuses.put(target, s);
        if (old != s) {
            emit(new RecordingEvent.StatusChanged(id, target, s, code, message));
        }
    }

    /** Naming: a host-given label ({@code room}, {@code participant}, {@code mediaSessionId}), or "". */
    /** The participant a track belongs to (consent), or null. */
    String participantOf(String trackId) {
        for (Map.Entry<String, List<String>> p : participants.entrySet()) {
            if (p.getValue().contains(trackId)) {
                return p.getKey();
            }
        }
        return null;
    }

    String nameLabel(String name) {
        return nameLabels.getOrDefault(name, "");
    }

    /** Naming: the server clock ({@code {startTimeMillis}}, {@code {endTimeMillis}}). */
    Instant serverNow() {
        return clock.instant();
    }

    Instant wallClockAt(long sessionMicros) {
        Instant s = startInstant == null ? clock.instant() : startInstant;
        return s.plusNanos(sessionMicros * 1000);
    }

    void timelineDecided(Timeline.Mode mode) {
        timelineMode = mode;
        LOG.debug("session {}: tracks aligned by {}", id, mode);
    }

    void laneError(String reason) {
        errors.add(reason);
        LOG.warn("session {}: {}", id, reason);
        emit(new RecordingEvent.Error(id, reason));
    }

    void emit(RecordingEvent e) {
        try {
            listener.onEvent(e);
        } catch (RuntimeException ex) {
            LOG.warn("session {}: listener threw on {}: {}", id, e.getClass().getSimpleName(), ex.toString());
        }
    }

    /** Configures and validates a session. */
    public static final class Builder {
        private String id = UUID.randomUUID().toString();
        private String stream = "stream";
        private StorageSink sink;
        private MuxerSelector combinedSelector;
        private MuxerSelector perTrackSelector;
        private Layout layout = Layout.COMBINED;
        private RecordingListener listener = RecordingListener.NONE;
        private RecorderExecutor executor;
        private InstantSource clock = InstantSource.system();
        private NamingTemplate combinedNaming = new NamingTemplate("{stream}_{startTime}");
        private NamingTemplate perTrackNaming = new NamingTemplate("{stream}_{track}_{startTime}");
        private NamingOptions namingOptions = NamingOptions.DEFAULT;
        private final Map<String, String> nameLabels = new java.util.HashMap<>();
        private Duration latency = Duration.ofMillis(300);
        private Duration syncWindow = Duration.ofSeconds(3);
        private Duration openTimeout = Duration.ofSeconds(5);
        private Duration interleaveWindow = Duration.ofMillis(500);
        private Duration backpressure = Duration.ZERO;
        private Duration keyframeRequestInterval = Duration.ofMillis(500);
        private int maxFramesInFlight = 4096;
        private int retainedSegments = DEFAULT_RETAINED_SEGMENTS;
        private int bufferSlots = 1024;
        private final List<TrackSpec> tracks = new ArrayList<>();
        private final List<Depacketizer> depacketizers = new ArrayList<>();
        private RotationPolicy rotation = RotationPolicy.DISABLED;
        private final Map<String, List<String>> participants = new LinkedHashMap<>();
        private final Map<String, String> participantOf = new LinkedHashMap<>();

        private Builder() {
        }

        /** Session id (events, {@code {sessionId}}); random by default. */
        public Builder id(String v) {
            this.id = Objects.requireNonNull(v);
            return this;
        }

        /** Stream name ({@code {stream}} in names). Sanitized when used in names. */
        public Builder stream(String v) {
            this.stream = Objects.requireNonNull(v);
            return this;
        }

        public Builder sink(StorageSink v) {
            this.sink = v;
            return this;
        }

        /** Muxer choice for combined files (and, unless {@link #perTrackMuxers} is set, per-track files). */
        public Builder muxers(MuxerSelector v) {
            this.combinedSelector = v;
            return this;
        }

        public Builder perTrackMuxers(MuxerSelector v) {
            this.perTrackSelector = v;
            return this;
        }

        public Builder layout(Layout v) {
            this.layout = Objects.requireNonNull(v);
            return this;
        }

        public Builder listener(RecordingListener v) {
            this.listener = Objects.requireNonNull(v);
            return this;
        }

        /** Where muxing runs; {@link RecorderExecutor#shared()} by default. */
        public Builder executor(RecorderExecutor v) {
            this.executor = v;
            return this;
        }

        /** Wall clock for file names and segment start times (inject a fixed one for deterministic output). */
        public Builder clock(InstantSource v) {
            this.clock = Objects.requireNonNull(v);
            return this;
        }

        /**
         * Name template for combined files, e.g. {@code {stream}/{yyyy}/{MM}/{dd}/{stream}_{startTime}}; see
         * {@link NamingTemplate} for the placeholders.
         */
        public Builder naming(String template) {
            this.combinedNaming = new NamingTemplate(template, namingOptions);
            return this;
        }

        /** Name template for per-track files. */
        public Builder perTrackNaming(String template) {
            this.perTrackNaming = new NamingTemplate(template, namingOptions);
            return this;
        }

        /** How values are written into names (encoding, excluded characters, numbering); for both templates. */
        public Builder namingOptions(NamingOptions v) {
            this.namingOptions = Objects.requireNonNull(v);
            this.combinedNaming = combinedNaming.withOptions(v);
            this.perTrackNaming = perTrackNaming.withOptions(v);
            return this;
        }

        /** Room name ({@code {room}} in names). Encoded or sanitized when used in names. */
        public Builder room(String v) {
            nameLabels.put("room", Objects.requireNonNull(v));
            return this;
        }

        /**
         * Participant / login ({@code {participant}}, {@code {login}} in names) of the whole session. Files of
         * tracks that belong to one participant declared with {@link #participant(String, String...)} use that
         * participant's name instead.
         */
        public Builder participant(String v) {
            nameLabels.put("participant", Objects.requireNonNull(v));
            return this;
        }

        /** The host's media session id, e.g. a WebRTC session ({@code {mediaSessionId}} in names). */
        public Builder mediaSessionId(String v) {
            nameLabels.put("mediaSessionId", Objects.requireNonNull(v));
            return this;
        }

        /** When files rotate ({@link RotationPolicy#parse} reads {@code 20}, {@code 10M}, {@code 1h@wallclock}...). */
        public Builder rotation(RotationPolicy v) {
            this.rotation = Objects.requireNonNull(v);
            return this;
        }

        /**
         * Declares that {@code trackIds} belong to {@code participant}: they are recorded only while the participant
         * consents ({@link RecordingSession#consent}), which starts withdrawn. Tracks of no participant are always
         * recorded.
         */
        public Builder participant(String participant, String... trackIds) {
            Objects.requireNonNull(participant, "participant");
            for (String t : trackIds) {
                String prev = participantOf.putIfAbsent(t, participant);
                if (prev != null && !prev.equals(participant)) {
                    throw new IllegalArgumentException("track '" + t + "' already belongs to participant " + prev);
                }
                participants.computeIfAbsent(participant, k -> new ArrayList<>()).add(t);
            }
            return this;
        }

        /** How long a missing packet is waited for before the packets after it are released (default 300 ms). */
        public Builder latency(Duration v) {
            this.latency = v;
            return this;
        }

        /** How long first frames are held so RTCP sender reports can align the tracks (default 3 s). */
        public Builder syncWindow(Duration v) {
            this.syncWindow = v;
            return this;
        }

        /** How long a combined file waits for all its tracks before opening without the silent ones (5 s). */
        public Builder openTimeout(Duration v) {
            this.openTimeout = v;
            return this;
        }

        /** How long the lane waits for a quiet track before interleaving without it (default 500 ms). */
        public Builder interleaveWindow(Duration v) {
            this.interleaveWindow = v;
            return this;
        }

        /**
         * Offline conversion: when the muxing lane is full, a push waits up to this long instead of dropping the
         * frame. Zero (the default) never waits: live hosts must not block.
         */
        public Builder backpressure(Duration v) {
            this.backpressure = v;
            return this;
        }

        /** Minimum time between two keyframe requests of one track (default 500 ms). */
        public Builder keyframeRequestInterval(Duration v) {
            this.keyframeRequestInterval = v;
            return this;
        }

        /** Frames that may be queued or held on the lane at once (default 4096). */
        /**
         * How many closed segments {@link #stop()} returns at most, the most recent (256 by default). Every
         * segment is reported by a {@link RecordingEvent.SegmentClosed} when it closes; the limit keeps a
         * recording that rotates for days from holding all their metadata in memory.
         */
        public Builder retainedSegments(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("retainedSegments must be >= 1");
            }
            this.retainedSegments = v;
            return this;
        }

        public Builder maxFramesInFlight(int v) {
            if (v < 16) {
                throw new IllegalArgumentException("maxFramesInFlight must be >= 16");
            }
            this.maxFramesInFlight = v;
            return this;
        }

        /** Reorder slots per track (default 1024 packets). */
        public Builder reorderSlots(int v) {
            this.bufferSlots = v;
            return this;
        }

        /** Adds a track, depacketized by the standard depacketizer of its codec. */
        public Builder track(TrackSpec spec) {
            Depacketizer d = Depacketizers.create(spec.codec(), spec.clockRate(), spec.channels(), spec.fmtp());
            return track(spec, d);
        }

        /** Adds a track with a host-supplied depacketizer. */
        public Builder track(TrackSpec spec, Depacketizer depacketizer) {
            for (TrackSpec t : tracks) {
                if (t.id().equals(spec.id())) {
                    throw new IllegalArgumentException("duplicate track id '" + spec.id() + "'");
                }
            }
            tracks.add(spec);
            depacketizers.add(Objects.requireNonNull(depacketizer));
            return this;
        }

        /**
         * Validates the configuration and builds the session.
         *
         * @throws IllegalArgumentException with a clear message (no tracks, no sink, or a container that cannot
         *                                  hold the codecs)
         */
        public RecordingSession build() {
            if (tracks.isEmpty()) {
                throw new IllegalArgumentException("a session needs at least one track");
            }
            if (sink == null) {
                throw new IllegalArgumentException("a session needs a storage sink");
            }
            if (combinedSelector == null) {
                throw new IllegalArgumentException("a session needs a muxer selector (e.g. StandardMuxers.selector)");
            }
            if (executor == null) {
                executor = RecorderExecutor.shared();
            }
            for (String t : participantOf.keySet()) {
                if (tracks.stream().noneMatch(s -> s.id().equals(t))) {
                    throw new IllegalArgumentException("participant track '" + t + "' is not a track of the session");
                }
            }
            List<OutputGroup> groups = new ArrayList<>();
            if (layout == Layout.COMBINED) {
                int[] all = new int[tracks.size()];
                List<Codec> codecs = new ArrayList<>();
                for (int i = 0; i < all.length; i++) {
                    all[i] = i;
                    codecs.add(tracks.get(i).codec());
                }
                groups.add(new OutputGroup(all, choose(combinedSelector, codecs), tracks.size()));
            } else {
                MuxerSelector sel = perTrackSelector != null ? perTrackSelector : combinedSelector;
                for (int i = 0; i < tracks.size(); i++) {
                    groups.add(new OutputGroup(new int[] {i}, choose(sel, List.of(tracks.get(i).codec())),
                            tracks.size()));
                }
            }
            return new RecordingSession(this, groups);
        }

        private static MuxerFactory choose(MuxerSelector selector, List<Codec> codecs) {
            MuxerFactory f = selector.select(codecs);
            String why = f.rejectReason(codecs);
            if (why != null) {
                throw new IllegalArgumentException(why);
            }
            return f;
        }
    }
}

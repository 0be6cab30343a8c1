package io.capstan.session;

import io.capstan.media.Codec;
import io.capstan.rtp.Rtp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Rotation, pause/resume, consent and restart on a live-shaped VP8 (30 fps) + Opus (20 ms) session, with a fixed
 * clock and arrival times equal to media time, so every cut is deterministic.
 */
class RotationPauseConsentTest {

    private static final long MS = 1_000_000L;
    private static final long FRAME_US = 33_333;
    private final MemoryOutputs mem = new MemoryOutputs();
    private final List<RecordingEvent> events = Collections.synchronizedList(new ArrayList<>());
    private final RecorderExecutor executor = RecorderExecutor.create(1, "test-mux");

    @AfterEach
    void close() {
        executor.close();
    }

    private RecordingSession.Builder builder(String clockAt) {
        return RecordingSession.builder().id("s1").stream("cam").sink(mem.sink()).muxers(c -> mem.factory())
                .executor(executor).listener(events::add).syncWindow(Duration.ofMillis(100))
                .clock(InstantSource.fixed(Instant.parse(clockAt)))
                .naming("{stream}_{index}");
    }

    private RecordingSession.Builder av(String clockAt) {
        return builder(clockAt).track(TrackSpec.of("video", Codec.VP8, 96)).track(TrackSpec.of("audio", Codec.OPUS, 111));
    }

    /** Pushes media of both tracks (or only those given) from {@code fromMs} to {@code toMs}, in arrival order. */
    private static final class Feeder {
        final RecordingSession s;
        final int gop;
        int vSeq = 100;
        int aSeq = 7000;
        long vFrame;   // next video frame number
        long aFrame;   // next audio frame number
        boolean audio = true;
        boolean video = true;
        int pad;       // extra bytes per video frame

        Feeder(RecordingSession s, int gop) {
            this.s = s;
            this.gop = gop;
        }

        void until(long toMs) {
            while (true) {
                long vt = vFrame * FRAME_US;
                long at = aFrame * 20_000;
                long next = Math.min(video ? vt : Long.MAX_VALUE, audio ? at : Long.MAX_VALUE);
                if (next >= toMs * 1000) {
                    return;
                }
                if (video && vt == next) {
                    boolean key = vFrame % gop == 0;
                    byte[] p = vp8(vSeq++ & 0xFFFF, 3000L * vFrame, key, pad);
                    assertThat(s.track("video").pushRtp(p, 0, p.length, vt * 1000)).isNull();
                    vFrame++;
                } else {
                    byte[] p = Rtp.packet(111, aSeq++ & 0xFFFF, 960L * aFrame, 0x1234, true,
                            new byte[] {(byte) 0xfc, 1, 2, 3});
                    assertThat(s.track("audio").pushRtp(p, 0, p.length, at * 1000)).isNull();
                    aFrame++;
                }
            }
        }

        /** Skips media time without sending (a pause on the sender's side is not needed: frames are dropped). */
        void skipVideoTo(long ms) {
            vFrame = Math.max(vFrame, (ms * 1000 + FRAME_US - 1) / FRAME_US);
        }
    }

    static byte[] vp8(int seq, long ts, boolean key, int pad) {
        byte[] payload = key
                ? new byte[] {0x10, 0x10, 0x02, 0x00, (byte) 0x9d, 0x01, 0x2a, (byte) 320, 1, (byte) 240, 0, 1, 2, 3}
                : new byte[] {0x10, 0x11, 0x02, 0x00, 4, 5, 6};
        return Rtp.packet(96, seq, ts, 0x5678, true, java.util.Arrays.copyOf(payload, payload.length + pad));
    }

    private static List<String> frames(List<String> seg, int track) {
        return seg.stream().filter(w -> w.startsWith(track + ":")).toList();
    }

    private static long pts(String w) {
        return Long.parseLong(w.split(":")[1]);
    }

    /** The codec of a muxer-seen frame (the test muxer numbers tracks across all its files). */
    private Codec codecOf(String w) {
        return mem.tracks.get(Integer.parseInt(w.split(":")[0])).codec();
    }

    private int videoIndex() {
        for (int i = 0; i < mem.tracks.size(); i++) {
            if (mem.tracks.get(i).codec() == Codec.VP8) {
                return i;
            }
        }
        return -1;
    }

    private List<String> keyframeReasons() {
        return events.stream().filter(e -> e instanceof RecordingEvent.KeyframeNeeded)
                .map(e -> ((RecordingEvent.KeyframeNeeded) e).reason()).toList();
    }

    @Test
    void byDuration_cutsAtTheFirstKeyframeAfterEachBoundary_contiguousAndComplete() {
        RecordingSession s = av("2026-11-21T10:00:00Z").rotation(RotationPolicy.parse("2")).build();
        s.start();
        Feeder f = new Feeder(s, 15); // a keyframe every 0.5 s
        f.until(9_990);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).hasSize(5);
        assertThat(segs).extracting(SegmentInfo::key).containsExactly("cam_1.bin", "cam_2.bin", "cam_3.bin",
                "cam_4.bin", "cam_5.bin");
        long written = 0;
        for (int i = 0; i < segs.size(); i++) {
            SegmentInfo seg = segs.get(i);
            List<String> w = mem.perSegment.get(i);
            written += w.size();
            // every file starts with a video keyframe at its origin
            List<String> video = w.stream().filter(x -> x.contains(":K:") || x.contains(":-:")).filter(
                    x -> mem.tracks.get(Integer.parseInt(x.split(":")[0])).codec() == Codec.VP8).toList();
            assertThat(video.get(0)).contains(":K:");
            assertThat(pts(video.get(0))).isZero();
            if (i > 0) {
                SegmentInfo prev = segs.get(i - 1);
                // no gap, no overlap: this file starts where the previous one ended (within one video frame)
                assertThat((double) seg.startMicros()).isCloseTo(prev.startMicros() + prev.durationMicros(),
                        within((double) FRAME_US));
                assertThat(seg.startMicros()).isCloseTo(2_000_000L * i, within(FRAME_US));
            }
        }
        // every frame pushed was written, to exactly one file
        assertThat(written).isEqualTo(f.vFrame + f.aFrame);
        long total = segs.stream().mapToLong(SegmentInfo::durationMicros).sum();
        assertThat((double) total).isCloseTo(10_000_000, within(2.0 * FRAME_US));
        assertThat(keyframeReasons()).contains("rotation");
    }

    @Test
    void stopReturnsTheMostRecentRetainedSegments_everyOneWasReportedWhenItClosed() {
        RecordingSession s = av("2026-11-21T10:00:00Z").rotation(RotationPolicy.parse("2")).retainedSegments(2)
                .build();
        s.start();
        new Feeder(s, 15).until(9_990);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).extracting(SegmentInfo::key).containsExactly("cam_4.bin", "cam_5.bin");
        assertThat(events.stream().filter(e -> e instanceof RecordingEvent.SegmentClosed)
                .map(e -> ((RecordingEvent.SegmentClosed) e).segment().key()))
                .containsExactly("cam_1.bin", "cam_2.bin", "cam_3.bin", "cam_4.bin", "cam_5.bin");
    }

    @Test
    void rareKeyframes_theFileOverrunsToTheNextKeyframe_andKeyframesAreRequestedBeforeTheBoundary() {
        RecordingSession s = av("2026-11-21T10:00:00Z").rotation(new RotationPolicy.ByDuration(Duration.ofSeconds(2)))
                .build();
        List<Long> requestedAt = Collections.synchronizedList(new ArrayList<>());
        s.start();
        Feeder f = new Feeder(s, 90); // a keyframe every 3 s: the sender does not answer the requests
        f.until(7_000);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).extracting(SegmentInfo::startMicros).containsExactly(0L, 3_000_000L, 6_000_000L);
        long firstRequests = events.stream().filter(e -> e instanceof RecordingEvent.KeyframeNeeded k
                && k.reason().equals("rotation")).count();
        assertThat(firstRequests).as("asked from 1 s before the boundary, once a second, per file").isBetween(2L, 6L);
    }

    @Test
    void audioOnly_cutsExactlyAtTheBoundary() {
        RecordingSession s = builder("2026-11-21T10:00:00Z").track(TrackSpec.of("audio", Codec.OPUS, 111))
                .rotation(RotationPolicy.parse("1s")).build();
        s.start();
        Feeder f = new Feeder(s, 1);
        f.video = false;
        f.until(3_000);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).extracting(SegmentInfo::startMicros).containsExactly(0L, 1_000_000L, 2_000_000L);
        assertThat(segs).extracting(SegmentInfo::durationMicros).containsExactly(1_000_000L, 1_000_000L, 1_000_000L);
        assertThat(segs).extracting(seg -> seg.frames().get(0)).containsExactly(50L, 50L, 50L);
    }

    @Test
    void bySize_cutsAtTheKeyframeAfterTheFileReachedTheLimit() {
        RecordingSession s = av("2026-11-21T10:00:00Z").rotation(RotationPolicy.parse("8K")).build();
        s.start();
        Feeder f = new Feeder(s, 15);
        f.pad = 200; // ~6.2 KB/s of video
        f.until(6_000);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs.size()).isBetween(3, 5);
        for (int i = 0; i < segs.size() - 1; i++) {
            // a file is cut at the first keyframe once it holds 8 KiB: at most a keyframe interval (0.5 s) more
            long bytes = mem.perSegment.get(i).stream().mapToLong(w -> Long.parseLong(w.split(":")[3])).sum();
            assertThat(bytes).isGreaterThanOrEqualTo(8192).isLessThan(8192 + 15 * 210 + 25 * 4 + 220);
            assertThat(segs.get(i).bytes()).isEqualTo(bytes);
        }
    }

    @Test
    void wallClock_filesStartOnTheBoundaries() {
        RecordingSession s = av("2026-11-21T09:59:59.400Z").rotation(RotationPolicy.parse("1s@wallclock")).build();
        s.start();
        new Feeder(s, 3).until(3_000); // keyframes every 100 ms
        List<SegmentInfo> segs = s.stop();
        assertThat(segs.get(0).startTime()).isEqualTo(Instant.parse("2026-11-21T09:59:59.400Z"));
        assertThat(segs.subList(1, segs.size())).allSatisfy(seg -> {
            long msIntoSecond = seg.startTime().toEpochMilli() % 1000;
            assertThat(msIntoSecond).as("starts at the first keyframe after a whole second").isLessThan(100);
        });
        assertThat(segs).hasSize(4); // 0.6 s, then 1 s, 1 s and the rest
    }

    @Test
    void pause_cutsTheSpanOut_oneFile_timestampsContinue_statusEvents() {
        RecordingSession s = av("2026-11-21T10:00:00Z").build();
        s.start();
        Feeder f = new Feeder(s, 15);
        f.until(2_000);
        s.pause();
        f.until(4_990); // dropped
        s.resume();     // the keyframe at 5.0 s is the first frame after this
        f.until(7_000);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).hasSize(1);
        List<String> video = frames(mem.perSegment.get(0), videoIndex());
        // the first frame after the resume is a keyframe (at 5.0 s, a keyframe: 150 % 15 == 0) placed right after
        // the last frame before the pause
        int resumeAt = -1;
        for (int i = 1; i < video.size(); i++) {
            if (pts(video.get(i)) - pts(video.get(i - 1)) > 0 && video.get(i).contains(":K:") && resumeAt < 0
                    && i >= 55) {
                resumeAt = i;
            }
        }
        assertThat(resumeAt).isPositive();
        assertThat(pts(video.get(resumeAt)) - pts(video.get(resumeAt - 1))).isLessThanOrEqualTo(2 * FRAME_US);
        // 2 s before + 2 s after, nothing of the 3 s pause
        assertThat((double) segs.get(0).durationMicros()).isCloseTo(4_000_000, within(3.0 * FRAME_US));
        assertThat(video.size()).isEqualTo(61 + 61); // frames 0..60 and 150..210
        List<RecordingStatus> statuses = events.stream().filter(e -> e instanceof RecordingEvent.StatusChanged sc
                && sc.target().equals("s1")).map(e -> ((RecordingEvent.StatusChanged) e).status()).toList();
        assertThat(statuses).containsExactly(RecordingStatus.ACTIVE, RecordingStatus.PAUSED, RecordingStatus.ACTIVE,
                RecordingStatus.INACTIVE);
        assertThat(keyframeReasons()).doesNotContain("rotation");
        // 2.0 s .. 5.0 s cut out: video frames 61..149 (89) and audio frames 100..249 (150)
        assertThat(events.stream().filter(e -> e instanceof RecordingEvent.StatusChanged sc && sc.code().equals("resumed"))
                .map(e -> ((RecordingEvent.StatusChanged) e).message()).toList())
                .singleElement().asString().matches("resumed; (2999|3000) ms of media \\(239 frames\\) cut out");
    }

    @Test
    void pauseWithRotation_filesStillContiguousInMediaTime() {
        RecordingSession s = av("2026-11-21T10:00:00Z").rotation(RotationPolicy.parse("2")).build();
        s.start();
        Feeder f = new Feeder(s, 15);
        f.until(3_000);
        s.pause();
        f.until(5_990);
        s.resume();
        f.until(8_990);
        List<SegmentInfo> segs = s.stop();
        // 6 s of media in files of 2 s
        assertThat(segs).extracting(SegmentInfo::startMicros).containsExactly(0L, 2_000_000L, 4_000_000L);
        assertThat((double) segs.get(2).startMicros() + segs.get(2).durationMicros()).isCloseTo(6_000_000,
                within(3.0 * FRAME_US));
    }

    @Test
    void consent_defaultsOff_givenStartsTheTrackInTheNextFile_withdrawnStopsItAtOnce() {
        RecordingSession s = av("2026-11-21T10:00:00Z").participant("alice", "audio").build();
        s.start();
        assertThat(s.status("audio")).isEqualTo(RecordingStatus.INACTIVE);
        Feeder f = new Feeder(s, 15);
        f.until(2_000);
        s.consent("alice", true);
        f.until(4_000);
        s.consent("alice", false);
        f.until(6_000);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).hasSize(3);
        assertThat(segs.get(0).tracks()).containsExactly("video");
        assertThat(segs.get(1).tracks()).containsExactly("video", "audio");
        assertThat(segs.get(2).tracks()).containsExactly("video");
        assertThat(segs.get(1).startMicros()).isBetween(2_000_000L, 2_500_000L); // the next keyframe
        assertThat(segs.get(2).startMicros()).isBetween(4_000_000L, 4_500_000L);
        // no audio in the files opened before the consent or after the withdrawal
        assertThat(mem.perSegment.get(0)).allSatisfy(w -> assertThat(codecOf(w)).isEqualTo(Codec.VP8));
        assertThat(mem.perSegment.get(2)).allSatisfy(w -> assertThat(codecOf(w)).isEqualTo(Codec.VP8));
        // withdrawn: not one audio frame after the withdrawal, even in the file that was open
        long lastAudio = mem.perSegment.get(1).stream().filter(w -> codecOf(w) == Codec.OPUS)
                .mapToLong(RotationPauseConsentTest::pts).max().orElseThrow();
        assertThat(segs.get(1).startMicros() + lastAudio).isLessThan(4_000_000L + 20_000);
        assertThat(events).filteredOn(e -> e instanceof RecordingEvent.ConsentChanged).hasSize(2);
        assertThat(events.stream().filter(e -> e instanceof RecordingEvent.StatusChanged sc
                && sc.target().equals("audio")).map(e -> ((RecordingEvent.StatusChanged) e).code()).toList())
                .containsExactly("no-consent", "consent-given", "consent-withdrawn");
    }

    @Test
    void consentOfEveryTrack_missing_noFileAtAll() {
        RecordingSession s = builder("2026-11-21T10:00:00Z").track(TrackSpec.of("audio", Codec.OPUS, 111))
                .participant("bob", "audio").build();
        s.start();
        Feeder f = new Feeder(s, 1);
        f.video = false;
        f.until(2_000);
        assertThat(s.stop()).isEmpty();
        assertThat(mem.committed).isEmpty();
        assertThatThrownBy(() -> s.consent("eve", true)).hasMessageContaining("no participant 'eve'");
    }

    @Test
    void restart_newNamesNumberedFromOne_noGap() {
        RecordingSession s = av("2026-11-21T10:00:00Z").rotation(RotationPolicy.parse("2")).build();
        s.start();
        Feeder f = new Feeder(s, 15);
        f.until(3_000);
        s.restart(RecordingSession.Overrides.NONE.withNaming("{stream}_take2_{index}")
                .withRotation(RotationPolicy.DISABLED));
        f.until(8_000);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).extracting(SegmentInfo::key).containsExactly("cam_1.bin", "cam_2.bin", "cam_take2_1.bin");
        assertThat(segs.get(2).startMicros()).isBetween(3_000_000L, 3_500_000L);
        assertThat((double) segs.get(2).startMicros()).isCloseTo(segs.get(1).startMicros()
                + segs.get(1).durationMicros(), within((double) FRAME_US));
        assertThatThrownBy(() -> RecordingSession.Overrides.NONE.withNaming("/abs")).isInstanceOf(
                IllegalArgumentException.class);
    }

    @Test
    void pauseBeforeStart_isAClearError() {
        RecordingSession s = av("2026-11-21T10:00:00Z").build();
        assertThatThrownBy(s::pause).isInstanceOf(IllegalStateException.class).hasMessageContaining("NEW");
    }
}

package io.capstan.session;

import io.capstan.media.Codec;
import io.capstan.rtp.Rtp;
import io.capstan.rtp.RtpRejectReason;
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

class RecordingSessionTest {

    private static final long MS = 1_000_000L;
    private final MemoryOutputs mem = new MemoryOutputs();
    private final List<RecordingEvent> events = Collections.synchronizedList(new ArrayList<>());
    private final RecorderExecutor executor = RecorderExecutor.create(1, "test-mux");

    @AfterEach
    void close() {
        executor.close();
    }

    private RecordingSession.Builder builder() {
        return RecordingSession.builder().id("s1").stream("room/../1").sink(mem.sink()).muxers(c -> mem.factory())
                .executor(executor).listener(events::add).clock(InstantSource.fixed(Instant.parse("2026-11-21T10:00:00Z")));
    }

    /** 20 ms Opus packets: TOC 0xfc (CELT FB 20 ms, stereo), a few payload bytes. */
    private static byte[] opus(int seq, long ts) {
        return Rtp.packet(111, seq & 0xFFFF, ts, 0x1234, true, new byte[] {(byte) 0xfc, 1, 2, 3});
    }

    @Test
    void opusTrack_framesOnTimelineEventsInOrder() {
        RecordingSession s = builder().track(TrackSpec.of("audio", Codec.OPUS, 111)).build();
        s.start();
        for (int i = 0; i < 100; i++) {
            byte[] p = opus(1000 + i, 5000 + 960L * i);
            assertThat(s.track("audio").pushRtp(p, 0, p.length, i * 20 * MS)).isNull();
        }
        List<SegmentInfo> segs = s.stop();
        assertThat(mem.written).hasSize(100);
        assertThat(mem.written.get(0)).startsWith("0:0:K");
        assertThat(mem.written.get(99)).startsWith("0:" + 99 * 20_000 + ":");
        assertThat(segs).hasSize(1);
        SegmentInfo seg = segs.get(0);
        assertThat(seg.key()).isEqualTo("room_.._1_20261121T100000Z.bin"); // the network name cannot climb out
        assertThat(seg.frames()).containsExactly(100L);
        assertThat(seg.durationMicros()).isEqualTo(100 * 20_000);
        assertThat(seg.complete()).isTrue();
        assertThat(mem.committed).containsExactly(seg.key());
        assertThat(events.get(0)).isInstanceOf(RecordingEvent.Started.class);
        assertThat(events).last().isInstanceOf(RecordingEvent.Stopped.class);
        assertThat(events).filteredOn(e -> e instanceof RecordingEvent.SegmentOpened).hasSize(1);
        assertThat(events).filteredOn(e -> e instanceof RecordingEvent.SegmentClosed).hasSize(1);
        assertThat(s.stop()).isEqualTo(segs); // idempotent
    }

    @Test
    void malformedAndForeignPackets_countedNeverThrown() {
        RecordingSession s = builder().track(TrackSpec.of("audio", Codec.OPUS, 111)).build();
        s.start();
        TrackInput t = s.track("audio");
        assertThat(t.pushRtp(new byte[5], 0, 5, 0)).isEqualTo(RtpRejectReason.TOO_SHORT);
        byte[] wrongPt = Rtp.packet(96, 1, 1, 1, false, new byte[] {1});
        assertThat(t.pushRtp(wrongPt, 0, wrongPt.length, 0)).isEqualTo(RtpRejectReason.UNKNOWN_PAYLOAD_TYPE);
        byte[] empty = Rtp.packet(111, 2, 1, 0x1234, false, new byte[0]);
        assertThat(t.pushRtp(empty, 0, empty.length, 0)).isNull(); // parsed; the Opus payload is rejected
        assertThat(t.pushRtp(null, 0, 0, 0)).isEqualTo(RtpRejectReason.TOO_SHORT);
        assertThat(s.pushRtcp(new byte[] {1, 2, 3}, 0, 3, 0)).isNotNull();
        s.stop();
        assertThat(t.stats().invalid()).isEqualTo(4);
        assertThat(s.rtcpInvalid()).isEqualTo(1);
    }

    @Test
    void writeFailure_isAnEvent_segmentKeptNotAborted() {
        mem.failAfterFrames = 10;
        RecordingSession s = builder().track(TrackSpec.of("audio", Codec.OPUS, 111)).build();
        s.start();
        for (int i = 0; i < 50; i++) {
            byte[] p = opus(i, 960L * i);
            s.track("audio").pushRtp(p, 0, p.length, i * 20 * MS);
        }
        List<SegmentInfo> segs = s.stop();
        assertThat(events).filteredOn(e -> e instanceof RecordingEvent.Error)
                .extracting(e -> ((RecordingEvent.Error) e).reason())
                .anySatisfy(r -> assertThat(r).contains("No space left on device").contains("keeps what was written"));
        assertThat(segs).hasSize(1);
        assertThat(segs.get(0).complete()).isFalse();
        assertThat(segs.get(0).frames()).containsExactly(10L);
        assertThat(mem.committed).hasSize(1); // what was recorded is kept
        assertThat(mem.aborted).isEmpty();
    }

    @Test
    void laneOverflow_reportedAndCounted_hostNeverBlocks() {
        mem.writeDelayMillis = 20;
        RecordingSession s = builder().maxFramesInFlight(16).syncWindow(Duration.ZERO)
                .track(TrackSpec.of("audio", Codec.OPUS, 111)).build();
        s.start();
        long t0 = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            byte[] p = opus(i, 960L * i);
            s.track("audio").pushRtp(p, 0, p.length, i * 20 * MS);
        }
        long pushMillis = (System.nanoTime() - t0) / 1_000_000;
        s.stop();
        TrackStats st = s.track("audio").stats();
        assertThat(st.overflowDropped()).isPositive();
        assertThat(st.framesOut() + st.overflowDropped()).isEqualTo(200);
        assertThat(mem.written).hasSize((int) st.framesOut());
        assertThat(events).filteredOn(e -> e instanceof RecordingEvent.Overflow).isNotEmpty();
        assertThat(pushMillis).as("pushing 200 packets must not wait for a 20 ms/frame muxer").isLessThan(2000);
    }

    @Test
    void containerThatCannotHoldTheCodec_failsAtBuild() {
        assertThatThrownBy(() -> builder().track(TrackSpec.of("a", Codec.PCMA, 8)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refuses PCMA");
        assertThatThrownBy(() -> builder().build()).hasMessageContaining("at least one track");
    }

    @Test
    void ssrcChange_continuesTrackWithoutTimeJump() {
        RecordingSession s = builder().track(TrackSpec.of("audio", Codec.OPUS, 111)).build();
        s.start();
        TrackInput t = s.track("audio");
        for (int i = 0; i < 50; i++) {
            byte[] p = opus(i, 960L * i);
            t.pushRtp(p, 0, p.length, i * 20 * MS);
        }
        for (int i = 50; i < 100; i++) { // new SSRC, new random sequence and timestamp bases
            byte[] p = Rtp.packet(111, 30000 + i, 777_000_000L + 960L * i, 0x9999, true, new byte[] {(byte) 0xfc, 1});
            t.pushRtp(p, 0, p.length, i * 20 * MS);
        }
        s.stop();
        assertThat(t.stats().ssrcChanges()).isEqualTo(1);
        assertThat(mem.written).hasSize(100);
        List<Long> pts = mem.written.stream().map(w -> Long.parseLong(w.split(":")[1])).toList();
        for (int i = 1; i < pts.size(); i++) {
            assertThat(pts.get(i) - pts.get(i - 1)).as("step at %d", i).isBetween(19_000L, 21_000L);
        }
        assertThat(events).filteredOn(e -> e instanceof RecordingEvent.SsrcChanged).hasSize(1);
    }

    @Test
    void concurrentPushers_twoTracks() throws Exception {
        RecordingSession s = builder().track(TrackSpec.of("a1", Codec.OPUS, 111))
                .track(TrackSpec.of("a2", Codec.PCMU, 0)).build();
        s.start();
        Thread t1 = new Thread(() -> {
            for (int i = 0; i < 500; i++) {
                byte[] p = opus(i, 960L * i);
                s.track("a1").pushRtp(p, 0, p.length, System.nanoTime()); // one host clock for both
            }
        });
        Thread t2 = new Thread(() -> {
            for (int i = 0; i < 500; i++) {
                byte[] p = Rtp.packet(0, i, 160L * i, 77, false, new byte[160]);
                s.push(p, 0, p.length, System.nanoTime());
            }
        });
        t1.start();
        t2.start();
        t1.join();
        t2.join();
        s.stop();
        assertThat(mem.written).hasSize(1000);
        assertThat(mem.tracks).hasSize(2);
    }

    /** A one-packet VP8 frame (RFC 7741 descriptor S=1, PID 0); keyframes carry a size (RFC 6386 9.1). */
    private static byte[] vp8(int seq, long ts, boolean key, int w, int h) {
        byte[] payload = key
                ? new byte[] {0x10, 0x10, 0x02, 0x00, (byte) 0x9d, 0x01, 0x2a, (byte) w, (byte) (w >> 8), (byte) h,
                        (byte) (h >> 8), 1, 2, 3}
                : new byte[] {0x10, 0x11, 0x02, 0x00, 4, 5, 6};
        return Rtp.packet(96, seq, ts, 0x5678, true, payload);
    }

    private List<SegmentInfo> recordResolutionChange() {
        RecordingSession s = builder().track(TrackSpec.of("video", Codec.VP8, 96)).build();
        s.start();
        for (int i = 0; i < 60; i++) {
            boolean second = i >= 30;
            byte[] p = vp8(100 + i, 3000L * i, i % 30 == 0, second ? 640 : 320, second ? 360 : 240);
            assertThat(s.track("video").pushRtp(p, 0, p.length, i * 33 * MS)).isNull();
        }
        return s.stop();
    }

    @Test
    void resolutionChange_carriedByTheMuxer_staysInOneFile() {
        List<SegmentInfo> segs = recordResolutionChange();
        assertThat(segs).hasSize(1);
        assertThat(segs.get(0).frames()).containsExactly(60L);
        assertThat(mem.formatChanges).containsExactly("0:640x360");
        assertThat(events).filteredOn(e -> e instanceof RecordingEvent.FormatChanged).hasSize(2);
    }

    @Test
    void resolutionChange_theContainerCannotCarry_startsANewSegmentAtThatKeyframe() {
        mem.carryFormatChanges = false;
        List<SegmentInfo> segs = recordResolutionChange();
        assertThat(segs).hasSize(2);
        assertThat(segs.get(0).frames()).containsExactly(30L);
        assertThat(segs.get(1).frames()).containsExactly(30L);
        assertThat(segs.get(0).formats().get(0).width()).isEqualTo(320);
        assertThat(segs.get(1).formats().get(0).width()).isEqualTo(640);
        assertThat(segs.get(1).key()).isNotEqualTo(segs.get(0).key());
        // the new segment starts at the keyframe with the new size, on its own timeline
        assertThat(mem.written.get(30)).matches("\\d+:0:K:.*");
        assertThat(mem.committed).hasSize(2);
    }
}

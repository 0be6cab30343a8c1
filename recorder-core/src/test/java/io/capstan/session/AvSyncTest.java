package io.capstan.session;

import io.capstan.media.Codec;
import io.capstan.media.Timeline;
import io.capstan.rtp.Rtp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lip sync end to end: a VP8 and an Opus track whose packets arrive together, while the sender's RTCP SRs say the
 * audio was captured 120 ms after the video. With SRs the muxer must see audio 120 ms later; without them the
 * session falls back to arrival time and the two start together.
 */
class AvSyncTest {

    private static final int VIDEO_PT = 96;
    private static final int AUDIO_PT = 111;
    private static final long VIDEO_SSRC = 0x0A0B0C0DL;
    private static final long AUDIO_SSRC = 0x01020304L;
    private static final long T0 = 5_000_000_000_000L; // host monotonic clock at the first packet (ns)
    private static final long NTP_SECONDS = 3_900_000_000L; // the sender's NTP clock at its first video frame

    private final MemoryOutputs mem = new MemoryOutputs();
    private final RecorderExecutor executor = RecorderExecutor.create(1, "avsync-mux");

    @AfterEach
    void close() {
        executor.close();
    }

    private RecordingSession session() {
        return RecordingSession.builder().id("av").stream("av").sink(mem.sink()).muxers(c -> mem.factory())
                .executor(executor).clock(InstantSource.fixed(Instant.parse("2026-11-21T10:00:00Z")))
                .syncWindow(Duration.ofMillis(200))
                .track(TrackSpec.of("video", Codec.VP8, VIDEO_PT))
                .track(TrackSpec.of("audio", Codec.OPUS, AUDIO_PT))
                .build();
    }

    /** VP8 payload: descriptor + keyframe header (320x240) or an inter frame. */
    private static byte[] vp8(boolean key) {
        return key
                ? Rtp.hex("10"         // descriptor: X=0 N=0 S=1 PID=0
                + "10 02 00"           // frame tag: P=0 (keyframe), version 0, show_frame=1, partition size
                + "9d 01 2a"           // start code
                + "40 01"              // width 320 (14 bits LE) + scale 0
                + "f0 00"              // height 240 + scale 0
                + "01 02 03 04")       // partition data
                : Rtp.hex("10"         // descriptor: S=1 PID=0
                + "31 00 00"           // frame tag: P=1 (inter frame), show_frame=1
                + "05 06 07");
    }

    /** 20 ms Opus packet: TOC 0xfc (CELT FB 20 ms, stereo, one frame) + data. */
    private static final byte[] OPUS = {(byte) 0xfc, 1, 2, 3};

    /**
     * An RTCP sender report (RFC 3550 6.4.1) without report blocks.
     *
     * @param ntpFraction the low 32 bits of the NTP timestamp (units of 2^-32 s)
     */
    static byte[] senderReport(long ssrc, long ntpSeconds, long ntpFraction, long rtpTs) {
        byte[] b = new byte[28];
        b[0] = (byte) 0x80;            // V=2, P=0, RC=0
        b[1] = (byte) 200;             // PT=200 (SR)
        b[2] = 0;
        b[3] = 6;                      // length: 7 words - 1
        Rtp.put32(b, 4, ssrc);         // SSRC of sender
        Rtp.put32(b, 8, ntpSeconds);   // NTP timestamp, most significant word (seconds since 1900)
        Rtp.put32(b, 12, ntpFraction); // NTP timestamp, least significant word (fraction)
        Rtp.put32(b, 16, rtpTs);       // RTP timestamp sampled at that NTP instant
        Rtp.put32(b, 20, 100);         // sender's packet count
        Rtp.put32(b, 24, 10_000);      // sender's octet count
        return b;
    }

    private record Push(long arrival, byte[] data, int order) {
    }

    /**
     * Pushes 1.5 s of media: video at 30 fps, audio at 50 packets/s, both first packets arriving at T0, arrivals
     * advancing in step with the media clocks. SRs (when wanted) arrive 10 ms in.
     */
    private RecordingSession run(boolean withSr, long seed) {
        return run(withSr, seed, 10_000_000L);
    }

    private RecordingSession run(boolean withSr, long seed, long srDelayNanos) {
        Random rnd = new Random(seed);
        long vBase = rnd.nextInt() & 0xFFFFFFFFL;
        long aBase = rnd.nextInt() & 0xFFFFFFFFL;
        int vSeq = rnd.nextInt(65536);
        int aSeq = rnd.nextInt(65536);
        List<Push> pushes = new ArrayList<>();
        int order = 0;
        for (int i = 0; i < 45; i++) {
            long ts = (vBase + 3000L * i) & 0xFFFFFFFFL;
            byte[] p = Rtp.packet(VIDEO_PT, (vSeq + i) & 0xFFFF, ts, VIDEO_SSRC, true, vp8(i % 15 == 0));
            pushes.add(new Push(T0 + i * 100_000_000L / 3, p, order++));
        }
        for (int j = 0; j < 75; j++) {
            long ts = (aBase + 960L * j) & 0xFFFFFFFFL;
            byte[] p = Rtp.packet(AUDIO_PT, (aSeq + j) & 0xFFFF, ts, AUDIO_SSRC, true, OPUS);
            pushes.add(new Push(T0 + j * 20_000_000L, p, order++));
        }
        if (withSr) {
            // video: RTP vBase + 90000 (1 s after the first frame) was sampled at NTP_SECONDS + 1 s
            pushes.add(new Push(T0 + srDelayNanos,
                    senderReport(VIDEO_SSRC, NTP_SECONDS + 1, 0, (vBase + 90_000) & 0xFFFFFFFFL), order++));
            // audio: RTP aBase + 48000 (1 s after the first sample) was sampled at NTP_SECONDS + 1.120 s, so the
            // first audio sample was captured 120 ms after the first video frame
            long frac120ms = Math.round(0.120 * (1L << 32)); // 515396076
            pushes.add(new Push(T0 + srDelayNanos,
                    senderReport(AUDIO_SSRC, NTP_SECONDS + 1, frac120ms, (aBase + 48_000) & 0xFFFFFFFFL), order++));
        }
        pushes.sort(Comparator.comparingLong(Push::arrival).thenComparingInt(Push::order));

        RecordingSession s = session();
        s.start();
        for (Push p : pushes) {
            assertThat(s.push(p.data(), 0, p.data().length, p.arrival())).isNull();
        }
        s.stop();
        assertThat(s.errors()).isEmpty();
        return s;
    }

    /** First pts the muxer received for muxer track {@code track}. */
    private long firstPts(int track) {
        synchronized (mem.written) {
            return mem.written.stream().map(w -> w.split(":")).filter(w -> Integer.parseInt(w[0]) == track)
                    .mapToLong(w -> Long.parseLong(w[1])).findFirst().orElseThrow();
        }
    }

    private int videoTrack() {
        for (int i = 0; i < mem.tracks.size(); i++) {
            if (mem.tracks.get(i).codec() == Codec.VP8) {
                return i;
            }
        }
        throw new AssertionError("no video track in " + mem.tracks);
    }

    private void assertAllFramesWritten() {
        assertThat(mem.tracks).hasSize(2);
        assertThat(mem.written).hasSize(45 + 75);
        assertThat(mem.written.get(0)).as("first frame written").contains(":K:");
    }

    @Test
    void senderReports_putAudio120msAfterVideo_althoughTheyArriveTogether() {
        for (long seed : new long[] {1, 2, 3, 0xC0FFEE}) {
            mem.written.clear();
            mem.tracks.clear();
            RecordingSession s = run(true, seed);
            assertThat(s.timelineMode()).isEqualTo(Timeline.Mode.SENDER_REPORTS);
            assertAllFramesWritten();
            int v = videoTrack();
            int a = 1 - v;
            long delta = firstPts(a) - firstPts(v);
            assertThat(firstPts(v)).as("seed %d: video starts the file", seed).isZero();
            assertThat(delta).as("seed %d: audio after video", seed).isBetween(119_000L, 121_000L);
        }
    }

    @Test
    void withoutSenderReports_arrivalFallback_alignsByArrival() {
        for (long seed : new long[] {1, 2, 3, 0xC0FFEE}) {
            mem.written.clear();
            mem.tracks.clear();
            RecordingSession s = run(false, seed);
            assertThat(s.timelineMode()).isEqualTo(Timeline.Mode.ARRIVAL);
            assertAllFramesWritten();
            int v = videoTrack();
            int a = 1 - v;
            assertThat(firstPts(a) - firstPts(v)).as("seed %d", seed).isBetween(-1_000L, 1_000L);
            assertThat(Math.min(firstPts(a), firstPts(v))).isZero();
        }
    }

    @Test
    void senderReportsBeforeAnyMedia_areKeptUntilTheTracksBind() {
        RecordingSession s = run(true, 7, -5_000_000L);
        assertThat(s.timelineMode()).isEqualTo(Timeline.Mode.SENDER_REPORTS);
        assertAllFramesWritten();
        int v = videoTrack();
        assertThat(firstPts(1 - v) - firstPts(v)).isBetween(119_000L, 121_000L);
    }

    @Test
    void senderReportsAfterTheSyncWindow_arrivalModeStays() {
        RecordingSession s = run(true, 8, 400_000_000L); // SRs 400 ms in, the window is 200 ms
        assertThat(s.timelineMode()).isEqualTo(Timeline.Mode.ARRIVAL);
        assertAllFramesWritten();
        int v = videoTrack();
        assertThat(firstPts(1 - v) - firstPts(v)).isBetween(-1_000L, 1_000L);
        // no jump once the SRs come: steps stay on the media clocks
        synchronized (mem.written) {
            List<Long> audio = mem.written.stream().map(w -> w.split(":")).filter(w -> Integer.parseInt(w[0]) == 1 - v)
                    .map(w -> Long.parseLong(w[1])).toList();
            for (int i = 1; i < audio.size(); i++) {
                assertThat(audio.get(i) - audio.get(i - 1)).as("audio step %d", i).isBetween(19_000L, 21_000L);
            }
        }
    }
}

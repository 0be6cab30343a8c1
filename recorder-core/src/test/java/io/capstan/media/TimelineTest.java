package io.capstan.media;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TimelineTest {

    private static final int VIDEO = 0;
    private static final int AUDIO = 1;
    private static final long V0 = 1_234_567L;   // video anchor (first RTP timestamp, 90 kHz)
    private static final long A0 = 7_654_321L;   // audio anchor (48 kHz)
    private static final long NTP0 = 3_900_000_000_000_000L; // some NTP instant, microseconds since 1900

    private static Timeline twoTracks() {
        Timeline t = new Timeline();
        t.addTrack(VIDEO, 90_000);
        t.addTrack(AUDIO, 48_000);
        t.anchor(VIDEO, V0);
        t.anchor(AUDIO, A0);
        return t;
    }

    private static long nanos(long micros) {
        return micros * 1000;
    }

    @Test
    void mediaMicros_exactIntegerArithmetic_andNegativeDeltas() {
        Timeline t = twoTracks();
        assertThat(t.mediaMicros(VIDEO, V0)).isZero();
        assertThat(t.mediaMicros(VIDEO, V0 + 3000)).isEqualTo(33_333);   // one 30 fps frame
        assertThat(t.mediaMicros(VIDEO, V0 + 9000)).isEqualTo(100_000);  // three frames: exact, no drift
        assertThat(t.mediaMicros(AUDIO, A0 + 960)).isEqualTo(20_000);    // one 20 ms Opus frame
        assertThat(t.mediaMicros(AUDIO, A0 + 1024)).isEqualTo(21_333);   // one AAC frame
        // ten hours of video: no overflow, no accumulated rounding
        assertThat(t.mediaMicros(VIDEO, V0 + 90_000L * 36_000)).isEqualTo(36_000_000_000L);
        assertThat(t.mediaMicros(VIDEO, V0 + 90_000L * 36_000 + 3000)).isEqualTo(36_000_033_333L);
        // before the anchor: floor, so times stay monotonic across zero
        assertThat(t.mediaMicros(VIDEO, V0 - 3000)).isEqualTo(-33_334);
        assertThat(t.mediaMicros(AUDIO, A0 - 960)).isEqualTo(-20_000);
        assertThat(t.mediaMicros(VIDEO, V0 - 90_000)).isEqualTo(-1_000_000);
        assertThat(t.mediaMicros(VIDEO, V0 - 1)).isLessThan(t.mediaMicros(VIDEO, V0));
        assertThat(t.mediaMicros(VIDEO, V0 - 90_001)).isEqualTo(-1_000_012); // -1.0000111 s floored
    }

    @Test
    void anchor_isFixedByFirstCall() {
        Timeline t = twoTracks();
        t.anchor(VIDEO, V0 + 90_000);
        assertThat(t.mediaMicros(VIDEO, V0 + 90_000)).isEqualTo(1_000_000);
    }

    @Test
    void senderReports_alignTwoTracksExactly_fromTheirFirstSr() {
        Timeline t = twoTracks();
        // both first packets arrive at the same instant (host clock 5 s)
        t.observeArrival(VIDEO, V0, nanos(5_000_000));
        t.observeArrival(AUDIO, A0, nanos(5_000_000));
        // video SR: the frame at V0 + 9000 (100 ms in) was captured at NTP0 + 100 ms
        t.senderReport(VIDEO, NTP0 + 100_000, V0 + 9000);
        // audio SR: the sample at A0 + 4800 (100 ms in) was captured at NTP0 + 220 ms,
        // i.e. audio's first sample is 120 ms after video's first frame
        t.senderReport(AUDIO, NTP0 + 220_000, A0 + 4800);
        // later SRs (drift, jitter) are ignored
        t.senderReport(VIDEO, NTP0 + 999_999, V0 + 9000);
        t.senderReport(AUDIO, NTP0, A0);

        assertThat(t.decide()).isEqualTo(Timeline.Mode.SENDER_REPORTS);
        assertThat(t.mode()).isEqualTo(Timeline.Mode.SENDER_REPORTS);
        assertThat(t.absoluteMicros(VIDEO, V0)).isEqualTo(NTP0);
        assertThat(t.absoluteMicros(AUDIO, A0)).isEqualTo(NTP0 + 120_000);
        assertThat(t.absoluteMicros(AUDIO, A0) - t.absoluteMicros(VIDEO, V0)).isEqualTo(120_000);
        assertThat(t.absoluteMicros(VIDEO, V0 + 3000) - t.absoluteMicros(VIDEO, V0)).isEqualTo(33_333);
        assertThat(t.absoluteMicros(AUDIO, A0 + 960) - t.absoluteMicros(AUDIO, A0)).isEqualTo(20_000);
    }

    @Test
    void senderReport_beforeAnchor_isIgnored() {
        Timeline t = new Timeline();
        t.addTrack(VIDEO, 90_000);
        t.senderReport(VIDEO, NTP0, V0);
        assertThat(t.hasSenderReport(VIDEO)).isFalse();
    }

    @Test
    void arrivalMode_usesMinimumArrivalOffset() {
        Timeline t = twoTracks();
        // video frames every 33.333 ms of media time; the network delays them by 50, 26.7 and 3.3 ms
        t.observeArrival(VIDEO, V0, nanos(1_050_000));
        t.observeArrival(VIDEO, V0 + 3000, nanos(1_060_000));          // offset 1_026_667
        t.observeArrival(VIDEO, V0 + 6000, nanos(1_070_000));          // offset 1_003_334 (least delayed)
        t.observeArrival(VIDEO, V0 + 9000, nanos(1_110_000));          // offset 1_010_000
        // audio every 20 ms, least delayed packet is the second
        t.observeArrival(AUDIO, A0, nanos(1_030_000));
        t.observeArrival(AUDIO, A0 + 960, nanos(1_021_000));           // offset 1_001_000
        t.observeArrival(AUDIO, A0 + 1920, nanos(1_045_000));          // offset 1_005_000

        assertThat(t.decide()).isEqualTo(Timeline.Mode.ARRIVAL);
        assertThat(t.absoluteMicros(VIDEO, V0)).isEqualTo(1_003_334);
        assertThat(t.absoluteMicros(VIDEO, V0 + 3000)).isEqualTo(1_003_334 + 33_333);
        assertThat(t.absoluteMicros(AUDIO, A0)).isEqualTo(1_001_000);
        assertThat(t.placeable(VIDEO)).isTrue();
    }

    @Test
    void trackWithoutSr_forcesArrivalModeForAll() {
        Timeline t = twoTracks();
        t.observeArrival(VIDEO, V0, nanos(2_000_000));
        t.observeArrival(AUDIO, A0, nanos(2_010_000));
        t.senderReport(VIDEO, NTP0, V0); // only video has an SR

        assertThat(t.decide()).isEqualTo(Timeline.Mode.ARRIVAL);
        // arrival domain for both, including the track that had an SR
        assertThat(t.absoluteMicros(VIDEO, V0)).isEqualTo(2_000_000);
        assertThat(t.absoluteMicros(AUDIO, A0)).isEqualTo(2_010_000);
    }

    @Test
    void trackWithoutMedia_doesNotBlockSrMode() {
        Timeline t = twoTracks();
        t.addTrack(2, 8000); // registered, never sends
        t.observeArrival(VIDEO, V0, nanos(2_000_000));
        t.observeArrival(AUDIO, A0, nanos(2_000_000));
        t.senderReport(VIDEO, NTP0, V0);
        t.senderReport(AUDIO, NTP0 + 50_000, A0);
        assertThat(t.decide()).isEqualTo(Timeline.Mode.SENDER_REPORTS);
        assertThat(t.placeable(2)).isFalse();
    }

    @Test
    void noMediaAtAll_decidesArrival() {
        assertThat(twoTracks().decide()).isEqualTo(Timeline.Mode.ARRIVAL);
    }

    @Test
    void arrivalMode_frozenAfterDecide_noJumps() {
        Timeline t = twoTracks();
        t.observeArrival(VIDEO, V0, nanos(1_050_000));
        t.observeArrival(AUDIO, A0, nanos(1_050_000));
        assertThat(t.decide()).isEqualTo(Timeline.Mode.ARRIVAL);
        long v = t.absoluteMicros(VIDEO, V0 + 3000);
        long a = t.absoluteMicros(AUDIO, A0 + 960);
        // after the decision: a much less delayed packet and SRs for both tracks
        t.observeArrival(VIDEO, V0 + 6000, nanos(1_000_000));
        t.observeArrival(AUDIO, A0 + 960, nanos(900_000));
        t.senderReport(VIDEO, NTP0, V0);
        t.senderReport(AUDIO, NTP0, A0);

        assertThat(t.decide()).isEqualTo(Timeline.Mode.ARRIVAL);
        assertThat(t.absoluteMicros(VIDEO, V0 + 3000)).isEqualTo(v);
        assertThat(t.absoluteMicros(AUDIO, A0 + 960)).isEqualTo(a);
    }

    @Test
    void srMode_frozenAfterDecide_lateTrackPlacedThroughNtpMinusArrival() {
        Timeline t = twoTracks();
        t.addTrack(2, 8000);
        // NTP runs 100 s ahead of the host clock; both tracks show it exactly
        long d = 100_000_000L;
        t.observeArrival(VIDEO, V0, nanos(1_000_000));
        t.observeArrival(AUDIO, A0, nanos(1_000_000));
        t.senderReport(VIDEO, 1_000_000 + d, V0);
        t.senderReport(AUDIO, 1_040_000 + d, A0);
        assertThat(t.decide()).isEqualTo(Timeline.Mode.SENDER_REPORTS);
        long v = t.absoluteMicros(VIDEO, V0 + 9000);

        // later observations change nothing
        t.observeArrival(VIDEO, V0 + 9000, nanos(500_000));
        t.senderReport(VIDEO, 0, V0);
        assertThat(t.absoluteMicros(VIDEO, V0 + 9000)).isEqualTo(v);
        assertThat(t.decide()).isEqualTo(Timeline.Mode.SENDER_REPORTS);

        // a track that starts after the decision, without an SR, lands through the NTP-minus-arrival difference
        // (the average of video's d and audio's d + 40 ms)
        t.anchor(2, 160);
        t.observeArrival(2, 160, nanos(3_000_000));
        assertThat(t.placeable(2)).isTrue();
        assertThat(t.absoluteMicros(2, 160)).isEqualTo(3_000_000 + d + 20_000);
        assertThat(t.absoluteMicros(2, 160 + 8000)).isEqualTo(4_000_000 + d + 20_000);
    }
}

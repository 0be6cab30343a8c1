package io.capstan.session;

import io.capstan.media.Codec;
import io.capstan.rtp.Rtp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Naming through a session: values from the session, names rendered on close, numbering per file group. */
class NamingSessionTest {

    private static final long MS = 1_000_000L;
    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");
    private final MemoryOutputs mem = new MemoryOutputs();
    private final List<RecordingEvent> events = Collections.synchronizedList(new ArrayList<>());
    private final RecorderExecutor executor = RecorderExecutor.create(1, "test-mux");

    @AfterEach
    void close() {
        executor.close();
    }

    private RecordingSession.Builder builder() {
        return RecordingSession.builder().id("s/1").stream("../cam").sink(mem.sink()).muxers(c -> mem.factory())
                .room("lobby").participant("alice@example.com").mediaSessionId("m1")
                .executor(executor).listener(events::add).clock(InstantSource.fixed(T0));
    }

    private static byte[] opus(int seq, long ts, long ssrc) {
        return Rtp.packet(111, seq & 0xFFFF, ts, ssrc, true, new byte[] {(byte) 0xfc, 1, 2, 3});
    }

    private static void push(RecordingSession s, String track, long ssrc) {
        for (int i = 0; i < 50; i++) {
            byte[] p = opus(1000 + i, 5000 + 960L * i, ssrc);
            s.track(track).pushRtp(p, 0, p.length, i * 20 * MS);
        }
    }

    @Test
    void sessionValues_reachTheName() {
        RecordingSession s = builder()
                .naming("{room}/{yyyy}/{MM}/{dd}/{stream}_{login}_{mediaSessionId}_{sessionId}_{audioCodec}_{videoCodec}_{index}")
                .track(TrackSpec.of("audio", Codec.OPUS, 111)).build();
        s.start();
        push(s, "audio", 0x1234);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).hasSize(1);
        assertThat(segs.get(0).key()).isEqualTo("lobby/2026/11/21/_._cam_alice@example.com_m1_s_1_opus___1.bin");
    }

    @Test
    void endValues_renderedOnClose_andCommittedUnderTheFinalName() {
        mem.renames = true;
        RecordingSession s = builder().naming("{stream}_{startTime}_{endTime}_{duration}_{endTimeMillis}")
                .track(TrackSpec.of("audio", Codec.OPUS, 111)).build();
        s.start();
        push(s, "audio", 0x1234);
        List<SegmentInfo> segs = s.stop();
        String fin = "_._cam_20261121T100000Z_20261121T100001Z_1000_" + T0.toEpochMilli() + ".bin";
        assertThat(segs.get(0).key()).isEqualTo(fin); // 50 x 20 ms
        assertThat(segs.get(0).location()).isEqualTo("mem:" + fin);
        assertThat(mem.committed).containsExactly(fin);
        RecordingEvent.SegmentOpened opened = events.stream().filter(e -> e instanceof RecordingEvent.SegmentOpened)
                .map(e -> (RecordingEvent.SegmentOpened) e).findFirst().orElseThrow();
        assertThat(opened.key()).isEqualTo("_._cam_20261121T100000Z_open_open_open.bin"); // the temporary name
        assertThat(events).noneMatch(e -> e instanceof RecordingEvent.Error);
    }

    @Test
    void sinkThatCannotRename_keepsTheTemporaryName_andSaysSo() {
        RecordingSession s = builder().naming("{stream}_{duration}").track(TrackSpec.of("audio", Codec.OPUS, 111))
                .build();
        s.start();
        push(s, "audio", 0x1234);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs.get(0).key()).isEqualTo("_._cam_open.bin");
        assertThat(segs.get(0).complete()).isTrue();
        assertThat(mem.committed).containsExactly("_._cam_open.bin");
        assertThat(events).anyMatch(e -> e instanceof RecordingEvent.Error err
                && err.reason().contains("keeps its temporary name"));
    }

    @Test
    void perTrackFiles_numberFromOneEach_withSsrcAndEncoding() {
        RecordingSession s = builder().layout(Layout.PER_TRACK)
                .perTrackNaming("{stream}_{trackID}_{ssrc}_{index}")
                .namingOptions(NamingOptions.DEFAULT.withEncoding(NamingOptions.Encoding.HEX))
                .track(TrackSpec.of("a", Codec.OPUS, 111)).track(TrackSpec.of("b", Codec.OPUS, 112)).build();
        s.start();
        for (int i = 0; i < 50; i++) {
            byte[] p = opus(1000 + i, 5000 + 960L * i, 7);
            s.track("a").pushRtp(p, 0, p.length, i * 20 * MS);
            byte[] q = Rtp.packet(112, (2000 + i) & 0xFFFF, 9000 + 960L * i, 8, true, new byte[] {(byte) 0xfc, 1});
            s.track("b").pushRtp(q, 0, q.length, i * 20 * MS);
        }
        List<String> keys = s.stop().stream().map(SegmentInfo::key).sorted().toList();
        // hex of "../cam" = 2e2e2f63616d, "a" = 61, "7" = 37
        assertThat(keys).containsExactly("2e2e2f63616d_61_37_1.bin", "2e2e2f63616d_62_38_1.bin");
    }
}

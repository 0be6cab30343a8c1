package io.capstan.session;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.capstan.media.Codec;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.rtp.RtcpParser;
import io.capstan.testing.FuzzInputs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole-session fuzz target (issue 7): a {@link RecordingSession} with VP8, H.264, Opus, AAC and PCMU tracks on an
 * in-memory sink ({@link MemoryOutputs}) is pushed a fuzzed sequence of datagrams ({@link FuzzInputs#records};
 * RTP by SSRC/payload type, RTCP recognised by {@link RecordingSession#push}), then stopped.
 *
 * <p>Contract (README "Embedding"): {@code push} never throws, whatever the bytes; stopping finishes; the muxing
 * lane reports no internal error (a RuntimeException caught there is a finding, not an I/O failure).
 * Seeds: the first datagrams of fixture captures, payload types mapped to this session's ({@link #writeSeeds()}).
 */
class SessionFuzzTest {

    private static final RecorderExecutor EXECUTOR = RecorderExecutor.create(1, "fuzz-mux");
    private static final long MS = 1_000_000L;

    @AfterAll
    static void closeExecutor() {
        EXECUTOR.close();
    }

    @FuzzTest(maxDuration = "60s")
    void session(byte[] data) {
        MemoryOutputs mem = new MemoryOutputs();
        RecordingSession s = RecordingSession.builder().id("fuzz").stream("fuzz").sink(mem.sink())
                .muxers(c -> mem.factory()).executor(EXECUTOR)
                .clock(InstantSource.fixed(Instant.parse("2026-11-21T10:00:00Z")))
                .track(TrackSpec.of("video", Codec.VP8, 96))
                .track(new TrackSpec("h264", Codec.H264, 102, 90000, 0, Map.of("packetization-mode", "1"), 0))
                .track(new TrackSpec("opus", Codec.OPUS, 111, 48000, 2, Map.of(), 0))
                .track(new TrackSpec("aac", Codec.AAC, 97, 48000, 2, Map.of("mode", "AAC-hbr", "sizelength", "13",
                        "indexlength", "3", "indexdeltalength", "3", "config", "119056E500"), 0))
                .track(TrackSpec.of("pcmu", Codec.PCMU, 0))
                .build();
        s.start();
        long now = 0;
        int i = 0;
        for (byte[] d : FuzzInputs.records(data, 0)) {
            now += 5 * MS;
            s.push(d, 0, d.length, now);
            if (++i % 8 == 0) {
                s.poll(now);
            }
        }
        s.stop(Duration.ofSeconds(30));
        s.stats();
        assertThat(s.errors()).noneMatch(e -> e.contains("internal error"));
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzInputs.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        Path fixtures = Path.of(SessionFuzzTest.class.getResource("/fixtures/README.md").toURI()).getParent();
        // capture -> {payload type in the capture, payload type here} pairs
        record Fixture(String capture, Map<Integer, Integer> pts) {
        }
        for (Fixture f : List.of(new Fixture("vp8_opus", Map.of(96, 96, 111, 111)),
                new Fixture("h264_aac", Map.of(96, 102, 97, 97)), new Fixture("pcmu", Map.of(0, 0)))) {
            List<byte[]> out = new ArrayList<>();
            int total = 0;
            try (CaptureReader r = CaptureReader.open(fixtures.resolve(f.capture() + ".pcap"))) {
                for (UdpDatagram d; (d = r.next()) != null && total < 12_000; ) {
                    byte[] b = d.payload();
                    if (RtcpParser.looksLikeRtcp(b, 0, b.length)) {
                        out.add(b);
                    } else if (b.length >= 12 && f.pts().containsKey(b[1] & 0x7F)) {
                        b[1] = (byte) ((b[1] & 0x80) | f.pts().get(b[1] & 0x7F));
                        out.add(b);
                    } else {
                        continue;
                    }
                    total += b.length;
                }
            }
            FuzzInputs.writeSeed(SessionFuzzTest.class.getName(), "session", f.capture(),
                    FuzzInputs.encode(new byte[0], out));
        }
    }
}

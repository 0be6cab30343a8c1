package io.capstan.pcap;

import io.capstan.testing.MiniJson;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reads every capture made by {@code scripts/make-fixtures.sh} and checks it against its truth JSON: datagrams
 * per destination port, total count, nothing skipped, nothing truncated; and that the SDP describes the ports.
 */
class FixtureCapturesTest {

    static Path fixtures() throws URISyntaxException {
        return Path.of(FixtureCapturesTest.class.getResource("/fixtures/README.md").toURI()).getParent();
    }

    static Stream<String> names() throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.list(fixtures())) {
            List<String> names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".truth.json"))
                    .map(n -> n.substring(0, n.length() - ".truth.json".length()))
                    .sorted().toList();
            assertThat(names).contains("vp8_opus", "h264_aac", "h264_stapa", "vp9_gst", "opus_dtx_gst", "pcmu",
                    "vp8_opus_loss", "vp8_opus_reorder", "vp8_opus_dup", "vp8_opus_wrap", "vp8_opus_ssrc_change",
                    "vp8_opus_garbage");
            return names.stream();
        }
    }

    static Object truth(String name) throws IOException, URISyntaxException {
        return MiniJson.parse(Files.readString(fixtures().resolve(name + ".truth.json"), StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @MethodSource("names")
    void datagramCountsPerPortMatchTruth(String name) throws Exception {
        Map<String, Object> observed = MiniJson.object(truth(name), "observed");
        Map<String, Long> expected = new TreeMap<>();
        MiniJson.object(observed, "datagrams_per_port").forEach((k, v) -> expected.put(k, (Long) v));
        Map<String, Long> actual = new TreeMap<>();
        long first = -1;
        long last = -1;
        try (CaptureReader r = CaptureReader.open(fixtures().resolve(name + ".pcap"), true)) {
            assertThat(r.format()).isEqualTo(CaptureReader.Format.PCAP);
            assertThat(r.linkType()).isEqualTo(1);
            for (UdpDatagram d = r.next(); d != null; d = r.next()) {
                actual.merge(String.valueOf(d.dstPort()), 1L, Long::sum);
                assertThat(d.srcAddress().getHostAddress()).isEqualTo("127.0.0.1");
                assertThat(d.dstAddress().getHostAddress()).isEqualTo("127.0.0.1");
                if (first < 0) {
                    first = d.timestampNanos();
                }
                last = d.timestampNanos();
            }
            assertThat(r.truncated()).isFalse();
            assertThat(r.skipped()).isZero();
            assertThat(r.datagrams()).isEqualTo((Long) observed.get("packets"));
        }
        assertThat(actual).isEqualTo(expected);
        // receive timestamps: a real capture from this decade, spanning what the truth says (microseconds)
        assertThat(first).isGreaterThan(1_600_000_000_000_000_000L);
        double span = ((Number) observed.get("duration_s")).doubleValue();
        assertThat((last - first) / 1e9).isCloseTo(span, org.assertj.core.data.Offset.offset(2e-6));
    }

    @ParameterizedTest
    @MethodSource("names")
    void sdpDescribesTheCapturedStreams(String name) throws Exception {
        SessionDescription sdp = SdpParser.parse(fixtures().resolve(name + ".sdp"));
        List<Object> streams = MiniJson.array(MiniJson.object(truth(name), "observed"), "streams");
        assertThat(sdp.media()).hasSameSizeAs(streams);
        for (int i = 0; i < streams.size(); i++) {
            @SuppressWarnings("unchecked")
            Map<String, Object> s = (Map<String, Object>) streams.get(i);
            MediaDescription m = sdp.media().get(i);
            assertThat((long) m.port()).isEqualTo((Long) s.get("rtp_port"));
            assertThat((long) m.formats().get(0).payloadType()).isEqualTo((Long) s.get("payload_type"));
            assertThat((long) m.formats().get(0).clockRate()).isEqualTo((Long) s.get("clock_rate"));
            assertThat(m.formats().get(0).codec()).as("codec of %s", m).isPresent();
        }
    }

    /** The team's shared fixtures, when this machine has them (not part of the repository). */
    @org.junit.jupiter.api.Test
    void sharedFixturesWhenPresent() throws Exception {
        Path shared = Path.of("/work/shared/fixtures");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shared), "no /work/shared/fixtures here");
        try (Stream<Path> files = Files.list(shared)) {
            for (Path pcap : files.filter(p -> p.toString().endsWith(".pcap")).sorted().toList()) {
                String base = pcap.getFileName().toString().replace(".pcap", "");
                Object truth = MiniJson.parse(Files.readString(shared.resolve(base + ".truth.json")));
                long packets = (Long) MiniJson.object(truth, "capture").get("packets");
                try (CaptureReader r = CaptureReader.open(pcap, true)) {
                    long n = 0;
                    while (r.next() != null) {
                        n++;
                    }
                    assertThat(n).as(base).isEqualTo(packets);
                    assertThat(r.skipped()).isZero();
                }
                SessionDescription sdp = SdpParser.parse(shared.resolve(base + ".sdp"));
                assertThat(sdp.media()).allSatisfy(m -> assertThat(m.formats().get(0).codec()).isPresent());
            }
        }
    }
}

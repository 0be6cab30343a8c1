package io.capstan.examples.cli;

import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code capstan listen}: the project's VP8 + Opus capture replayed over loopback UDP with its own timing. */
class ListenTest {

    @TempDir
    Path out;

    @Test
    void recordsLiveRtpFromUdp() throws Exception {
        MediaTools.require("ffprobe", "ffmpeg");
        Path fixtures = ConvertConformanceTest.FIXTURES;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> rc = CompletableFuture.supplyAsync(() -> new CapstanCli(
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(new String[] {"listen", "--sdp",
                fixtures.resolve("vp8_opus.sdp").toString(), "--out", out.toString(), "--duration", "6s",
                "--report", out.resolve("report.json").toString()}));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!err.toString(StandardCharsets.UTF_8).contains("listening") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("listening");
        try (CaptureReader r = CaptureReader.open(fixtures.resolve("vp8_opus.pcap"));
             DatagramSocket sock = new DatagramSocket()) {
            InetAddress lo = InetAddress.getLoopbackAddress();
            long first = -1;
            long start = System.nanoTime();
            UdpDatagram d;
            while ((d = r.next()) != null) {
                if (first < 0) {
                    first = d.timestampNanos();
                }
                long due = start + (d.timestampNanos() - first);
                while (System.nanoTime() < due) {
                    Thread.sleep(1);
                }
                sock.send(new DatagramPacket(d.buffer(), d.offset(), d.length(), lo, d.dstPort()));
            }
        }
        assertThat(rc.get()).as(err.toString(StandardCharsets.UTF_8)).isZero();
        Path f;
        try (Stream<Path> s = Files.list(out)) {
            f = s.filter(p -> p.toString().endsWith(".webm")).findFirst().orElseThrow();
        }
        assertThat(MediaTools.decodeErrors(f)).isEmpty();
        Map<String, Integer> want = ConvertConformanceTest.expectedFrames(
                MiniJson.parse(Files.readString(fixtures.resolve("vp8_opus.truth.json"))));
        for (Map<String, String> st : MediaTools.probeStreams(f)) {
            assertThat(Integer.parseInt(st.get("nb_read_frames"))).as(st.get("codec_type"))
                    .isEqualTo(want.get(st.get("codec_type")));
        }
        Object report = MiniJson.parse(Files.readString(out.resolve("report.json")));
        assertThat((List<?>) MiniJson.at(report, "files")).hasSize(1);
        assertThat(MiniJson.at(report, "timeline")).isEqualTo("sender_reports");
    }
}

package io.capstan.webrtc.browser;

import io.capstan.mux.Container;
import io.capstan.mux.MuxerSelector;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.session.RecordingSession;
import io.capstan.session.SegmentInfo;
import io.capstan.storage.fs.FileSystemSink;
import io.capstan.testing.MediaTools;
import io.capstan.webrtc.AnswerOptions;
import io.capstan.webrtc.IceDtlsTransport;
import io.capstan.webrtc.WhipEvent;
import io.capstan.webrtc.WhipHandler;
import io.capstan.webrtc.WhipServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real browser publishes to Capstan over WHIP: headless Chromium with its fake camera and microphone (or a canvas
 * and WebAudio for the sync check) connects through ICE (ice4j), DTLS-SRTP (Bouncy Castle) and sends for 5 s, then
 * DELETEs the resource. The recording must decode with zero errors, hold both tracks and last 5 s +- 0.5 s.
 */
class WhipChromiumTest {

    static final String TOKEN = "s3cret-token";

    @TempDir
    Path dir;

    IceDtlsTransport transport;
    WhipServer server;
    final List<WhipEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        transport = IceDtlsTransport.builder().addresses(List.of(new InetSocketAddress("127.0.0.1", 0))).build();
        MuxerSelector muxers = StandardMuxers.selector(Container.AUTO, false);
        WhipHandler handler = WhipHandler.builder()
                .transport(transport)
                .answerOptions(transport.answerOptions(AnswerOptions.canRecord(muxers)))
                .sessionFactory(req -> req.applyTo(RecordingSession.builder()
                        .sink(new FileSystemSink(dir))
                        .muxers(muxers)
                        .stream("whip-" + req.resourceId().substring(0, 6)), e -> { }).build())
                .bearerToken(TOKEN)
                .listener(events::add)
                .build();
        server = WhipServer.start(new InetSocketAddress("127.0.0.1", 0), "/whip", handler, 4);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (transport != null) {
            transport.close();
        }
    }

    /** Each video codec the answer can pick, with Opus, from Chromium's fake camera and microphone. */
    @ParameterizedTest(name = "{0} + Opus")
    @CsvSource({"VP8, vp8", "H264, h264", "VP9, vp9", "AV1, av1"})
    void videoAndOpus_fromTheFakeCameraAndMicrophone(String offered, String ffprobeCodec) throws Exception {
        Path file = publish(offered, "devices", 5.0);
        assertRecording(file, ffprobeCodec, 5.0);
    }

    @Test
    void audioAndVideo_stayInSync() throws Exception {
        Path file = publish("VP8", "sync", 5.0);
        assertRecording(file, "vp8", 5.0);
        List<Double> flashes = SyncMarks.flashes(file);
        List<Double> beeps = SyncMarks.beeps(file);
        assertThat(flashes).as("white frames in the video").hasSizeGreaterThanOrEqualTo(3);
        assertThat(beeps).as("tone onsets in the audio").hasSizeGreaterThanOrEqualTo(3);
        double offset = SyncMarks.medianOffset(flashes, beeps);
        System.out.printf("A/V offset (audio - video) %.1f ms over flashes %s and beeps %s%n", offset * 1000,
                flashes, beeps);
        assertThat(Math.abs(offset)).as("A/V offset in seconds").isLessThanOrEqualTo(0.040);
    }

    private Path publish(String codec, String source, double seconds) throws Exception {
        Map<String, Object> r;
        try (WhipPublisher p = WhipPublisher.start()) {
            r = p.publish(new WhipPublisher.Publish(server.endpoint().toString(), TOKEN, codec, source, seconds),
                    Duration.ofSeconds(60));
        }
        assertThat(r.get("error")).as("page error; report %s", r).isNull();
        assertThat(r.get("postStatus")).as("POST status; report %s", r).isEqualTo(201L);
        assertThat(r.get("connection")).as("connection state; report %s", r).isEqualTo("connected");
        assertThat(r.get("deleteStatus")).as("DELETE status; report %s", r).isEqualTo(200L);
        WhipEvent.ResourceEnded ended = awaitEnded();
        assertThat(ended.reason()).isEqualTo("deleted by the client");
        assertThat(ended.transportStats().get("droppedAuthFailed")).isZero();
        assertThat(ended.transportStats().get("srtpPackets")).isPositive();
        System.out.println("transport stats: " + ended.transportStats());
        List<SegmentInfo> segments = ended.segments();
        assertThat(segments).as("segments of %s", ended).hasSize(1);
        return dir.resolve(segments.get(0).key());
    }

    private WhipEvent.ResourceEnded awaitEnded() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (WhipEvent e : events) {
                if (e instanceof WhipEvent.ResourceEnded re) {
                    return re;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no ResourceEnded event; events: " + events);
    }

    static void assertRecording(Path file, String videoCodec, double seconds) throws java.io.IOException {
        if (System.getProperty("capstan.keepWhip") != null) {
            java.nio.file.Files.copy(file, Path.of(System.getProperty("capstan.keepWhip")).resolve(file.getFileName()));
        }
        assertThat(MediaTools.decodeErrors(file)).as("ffmpeg decode errors of %s", file).isEmpty();
        List<Map<String, String>> streams = MediaTools.probeStreams(file);
        List<String> codecs = new ArrayList<>();
        for (Map<String, String> s : streams) {
            if (s.containsKey("codec_name")) {
                codecs.add(s.get("codec_name"));
            }
        }
        assertThat(codecs).as("streams of %s", file).containsExactlyInAnyOrder(videoCodec, "opus");
        double d = MediaTools.probeDuration(file);
        assertThat(d).as("duration of %s", file).isBetween(seconds - 0.5, seconds + 0.5);
    }
}

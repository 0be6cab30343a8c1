package io.capstan.session;

import com.sun.net.httpserver.HttpServer;
import io.capstan.media.Codec;
import io.capstan.rtp.Rtp;
import io.capstan.session.hooks.CommandHook;
import io.capstan.session.hooks.HookEvent;
import io.capstan.session.hooks.MetadataReporter;
import io.capstan.session.hooks.SegmentHooks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hooks on a real session: keyframe positions in {@link SegmentInfo}, and a hanging command plus a metadata
 * receiver that never answers do not delay {@code stop()}; both failures arrive later as events.
 */
@Timeout(30)
class SegmentHooksSessionTest {

    private static final long MS = 1_000_000L;
    private final MemoryOutputs mem = new MemoryOutputs();
    private final List<RecordingEvent> events = Collections.synchronizedList(new ArrayList<>());
    private final RecorderExecutor executor = RecorderExecutor.create(1, "test-mux");

    @AfterEach
    void close() {
        executor.close();
    }

    /** One-packet VP8 frames (RFC 7741 descriptor S=1, PID 0); keyframes carry a 320x240 size (RFC 6386 9.1). */
    private static byte[] vp8(int seq, long ts, boolean key) {
        byte[] payload = key
                ? new byte[] {0x10, 0x10, 0x02, 0x00, (byte) 0x9d, 0x01, 0x2a, 0x40, 0x01, (byte) 0xf0, 0, 1, 2, 3}
                : new byte[] {0x10, 0x11, 0x02, 0x00, 4, 5, 6};
        return Rtp.packet(96, seq, ts, 0x5678, true, payload);
    }

    private RecordingSession session(RecordingListener listener) {
        return RecordingSession.builder().id("s1").stream("cam").sink(mem.sink()).muxers(c -> mem.factory())
                .executor(executor).listener(listener)
                .clock(InstantSource.fixed(Instant.parse("2026-11-21T10:00:00Z")))
                .track(TrackSpec.of("video", Codec.VP8, 96)).build();
    }

    private static void push90(RecordingSession s) {
        for (int i = 0; i < 90; i++) { // 3 s at 30 fps, a keyframe every second
            byte[] p = vp8(100 + i, 3000L * i, i % 30 == 0);
            s.track("video").pushRtp(p, 0, p.length, i * 33 * MS);
        }
    }

    @Test
    void segmentInfo_carriesKeyframePositionsRelativeToTheSegment() {
        RecordingSession s = session(events::add);
        s.start();
        push90(s);
        List<SegmentInfo> segs = s.stop();
        assertThat(segs).hasSize(1);
        List<Long> k = segs.get(0).keyframeMicros();
        assertThat(k).hasSize(3);
        assertThat(k.get(0)).isEqualTo(0L);
        assertThat(k.get(1)).isBetween(990_000L, 1_000_000L);
        assertThat(k.get(2)).isBetween(1_980_000L, 2_000_000L);
        assertThat(segs.get(0).endMicros()).isEqualTo(segs.get(0).startMicros() + segs.get(0).durationMicros());
    }

    @Test
    void hangingHookAndSilentReceiver_neverBlockStop() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        var pool = Executors.newFixedThreadPool(4);
        server.setExecutor(pool);
        server.createContext("/", ex -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.start();
        LinkedBlockingQueue<HookEvent> hookEvents = new LinkedBlockingQueue<>();
        CommandHook command = CommandHook.builder(List.of("sh", "-c", "sleep 30")).timeout(Duration.ofMillis(1500))
                .listener(hookEvents::add).build();
        MetadataReporter reporter = MetadataReporter.builder(
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/segments"))
                .requestTimeout(Duration.ofMillis(700)).attempts(2).backoff(Duration.ofMillis(10))
                .listener(hookEvents::add).build();
        try {
            RecordingSession s = session(SegmentHooks.of("cam", events::add, command, reporter));
            s.start();
            push90(s);
            long t0 = System.nanoTime();
            List<SegmentInfo> segs = s.stop();
            long stopMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(segs).hasSize(1);
            assertThat(stopMs).as("stop() does not wait for hooks").isLessThan(1000);
            assertThat(events).filteredOn(e -> e instanceof RecordingEvent.SegmentClosed).hasSize(1);
            assertThat(events).last().isInstanceOf(RecordingEvent.Stopped.class);

            List<HookEvent> got = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                HookEvent e = hookEvents.poll(10, TimeUnit.SECONDS);
                assertThat(e).as("hook events so far: " + got).isNotNull();
                got.add(e);
            }
            assertThat(got).anySatisfy(e -> {
                assertThat(e).isInstanceOf(HookEvent.CommandFailed.class);
                assertThat(((HookEvent.CommandFailed) e).timedOut()).isTrue();
                assertThat(e.location()).isEqualTo("mem:" + segs.get(0).key());
            });
            assertThat(got).anySatisfy(e -> {
                assertThat(e).isInstanceOf(HookEvent.ReportFailed.class);
                assertThat(((HookEvent.ReportFailed) e).attempts()).isEqualTo(2);
            });
        } finally {
            release.countDown();
            command.close(Duration.ofSeconds(1));
            reporter.close(Duration.ofSeconds(1));
            server.stop(0);
            pool.shutdownNow();
        }
    }
}

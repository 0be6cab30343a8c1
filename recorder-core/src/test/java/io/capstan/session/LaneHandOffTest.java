package io.capstan.session;

import io.capstan.media.Codec;
import io.capstan.rtp.Rtp;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lock-free hand-off between the pushing threads, the session lanes and the {@link RecorderExecutor}'s
 * workers: ordering, back-pressure, many pushers and many sessions on few threads, idle workers that sleep, and no
 * thread outliving {@link RecorderExecutor#close()}.
 */
class LaneHandOffTest {

    private static final long MS = 1_000_000L;

    private static byte[] opus(int seq, long ts, long ssrc) {
        return Rtp.packet(111, seq & 0xFFFF, ts, ssrc, true, new byte[] {(byte) 0xfc, (byte) seq, (byte) (seq >> 8)});
    }

    private static RecordingSession.Builder builder(String id, MemoryOutputs mem, RecorderExecutor executor) {
        return RecordingSession.builder().id(id).stream(id).sink(mem.sink()).muxers(c -> mem.factory())
                .executor(executor).clock(InstantSource.fixed(Instant.parse("2026-11-21T10:00:00Z")));
    }

    private static List<Long> ptsOfTrack(MemoryOutputs mem, int track) {
        List<Long> pts = new ArrayList<>();
        synchronized (mem.written) {
            for (String w : mem.written) {
                String[] f = w.split(":");
                if (Integer.parseInt(f[0]) == track) {
                    pts.add(Long.parseLong(f[1]));
                }
            }
        }
        return pts;
    }

    private static List<Thread> threadsNamed(String prefix) {
        List<Thread> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix) && t.isAlive()) {
                out.add(t);
            }
        }
        return out;
    }

    @Test
    void backpressure_tinyPool_twoPusherThreads_everyFrameWrittenInOrder() throws Exception {
        MemoryOutputs mem = new MemoryOutputs();
        RecorderExecutor executor = RecorderExecutor.create(1, "handoff-bp");
        try {
            // a file per track: with 16 frames in flight a combined file may open before the other track's first
            // frame (the receive buffer holds a stream's start for one latency) and then leave that track out
            RecordingSession s = builder("bp", mem, executor).maxFramesInFlight(16).syncWindow(Duration.ZERO)
                    .backpressure(Duration.ofSeconds(30)).layout(Layout.PER_TRACK)
                    .track(TrackSpec.of("a1", Codec.OPUS, 111)).track(TrackSpec.of("a2", Codec.OPUS, 111)).build();
            s.start();
            int n = 3000;
            CountDownLatch go = new CountDownLatch(1);
            Thread[] pushers = new Thread[2];
            for (int k = 0; k < 2; k++) {
                String track = k == 0 ? "a1" : "a2";
                long ssrc = 100 + k;
                pushers[k] = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < n; i++) {
                        byte[] p = opus(i, 960L * i, ssrc);
                        s.track(track).pushRtp(p, 0, p.length, i * 20 * MS);
                        if (i % 500 == 0) {
                            mem.writeDelayMillis = i % 1000 == 0 ? 1 : 0; // the muxer stalls now and then
                        }
                    }
                });
                pushers[k].start();
            }
            go.countDown();
            for (Thread t : pushers) {
                t.join(60_000);
            }
            s.stop();
            assertThat(mem.perSegment).hasSize(2);
            for (int k = 0; k < 2; k++) {
                TrackStats st = s.track(k == 0 ? "a1" : "a2").stats();
                assertThat(st.overflowDropped()).as("back-pressure waits instead of dropping").isZero();
                assertThat(st.framesOut()).isEqualTo(n);
                List<Long> pts = new ArrayList<>();
                synchronized (mem.perSegment.get(k)) {
                    for (String w : mem.perSegment.get(k)) {
                        pts.add(Long.parseLong(w.split(":")[1]));
                    }
                }
                assertThat(pts).hasSize(n);
                for (int i = 1; i < pts.size(); i++) {
                    assertThat(pts.get(i)).as("track %d frame %d", k, i).isGreaterThan(pts.get(i - 1));
                }
            }
        } finally {
            executor.close();
        }
    }

    @Test
    void frames_arePooledPerTrack_aTrackStartingAfterThePoolIsFull_takesTheOthersFrames() throws Exception {
        MemoryOutputs mem = new MemoryOutputs();
        RecorderExecutor executor = RecorderExecutor.create(1, "handoff-late");
        try {
            RecordingSession s = builder("late", mem, executor).maxFramesInFlight(16).syncWindow(Duration.ZERO)
                    .backpressure(Duration.ofSeconds(30)).layout(Layout.PER_TRACK)
                    .track(TrackSpec.of("a1", Codec.OPUS, 111)).track(TrackSpec.of("a2", Codec.OPUS, 111)).build();
            s.start();
            int n = 500;
            mem.writeDelayMillis = 1; // the lane lags: all 16 frames get allocated, every one of them for a1
            for (int i = 0; i < n; i++) {
                byte[] p = opus(i, 960L * i, 100);
                s.track("a1").pushRtp(p, 0, p.length, i * 20 * MS);
            }
            mem.writeDelayMillis = 0;
            for (int i = 0; i < n; i++) {
                byte[] p = opus(i, 960L * i, 101);
                s.track("a2").pushRtp(p, 0, p.length, (n + i) * 20 * MS);
            }
            s.stop();
            assertThat(s.track("a1").stats().framesOut()).isEqualTo(n);
            for (String t : List.of("a1", "a2")) {
                TrackStats st = s.track(t).stats();
                assertThat(st.overflowDropped()).as(t).isZero();
                assertThat(st.framesOut()).as(t).isEqualTo(n);
            }
            assertThat(ptsOfTrack(mem, 0)).hasSize(n);
            assertThat(ptsOfTrack(mem, 1)).hasSize(n);
        } finally {
            executor.close();
        }
    }

    @Test
    void manySessions_fewWorkers_allWritten_thenWorkersSleep_andCloseLeavesNoThread() throws Exception {
        RecorderExecutor executor = RecorderExecutor.create(2, "handoff-many");
        int sessions = 200;
        int frames = 200;
        List<MemoryOutputs> mems = new ArrayList<>();
        List<RecordingSession> list = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            MemoryOutputs mem = new MemoryOutputs();
            mems.add(mem);
            RecordingSession s = builder("s" + i, mem, executor).syncWindow(Duration.ZERO)
                    .track(TrackSpec.of("a", Codec.OPUS, 111)).build();
            s.start();
            list.add(s);
        }
        // 4 host threads, each pushing into 50 sessions, interleaved
        Thread[] hosts = new Thread[4];
        AtomicInteger pushed = new AtomicInteger();
        for (int h = 0; h < hosts.length; h++) {
            int first = h;
            hosts[h] = new Thread(() -> {
                for (int i = 0; i < frames; i++) {
                    for (int k = first; k < sessions; k += hosts.length) {
                        byte[] p = opus(i, 960L * i, 7);
                        list.get(k).track("a").pushRtp(p, 0, p.length, i * 20 * MS);
                        pushed.incrementAndGet();
                    }
                }
            });
            hosts[h].start();
        }
        for (Thread t : hosts) {
            t.join(60_000);
        }
        assertThat(pushed.get()).isEqualTo(sessions * frames);

        // idle: the workers park (no busy-spinning) once the lanes are drained
        List<Thread> workers = threadsNamed("handoff-many-");
        assertThat(workers).hasSize(2);
        long deadline = System.nanoTime() + 5_000 * MS;
        while (System.nanoTime() < deadline && !workers.stream().allMatch(
                t -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)) {
            Thread.sleep(5);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (mx.isThreadCpuTimeSupported()) {
            long cpu0 = 0;
            for (Thread t : workers) {
                cpu0 += mx.getThreadCpuTime(t.getId());
            }
            Thread.sleep(500);
            long cpu1 = 0;
            for (Thread t : workers) {
                cpu1 += mx.getThreadCpuTime(t.getId());
            }
            assertThat((cpu1 - cpu0) / MS).as("CPU ms of 2 idle workers in 500 ms").isLessThan(50);
        }

        for (int i = 0; i < sessions; i++) {
            list.get(i).stop();
            List<Long> pts = ptsOfTrack(mems.get(i), 0);
            assertThat(pts).as("session %d", i).hasSize(frames);
            for (int k = 1; k < pts.size(); k++) {
                assertThat(pts.get(k)).isGreaterThan(pts.get(k - 1));
            }
        }
        executor.close();
        assertThat(executor.aliveThreads()).isZero();
        assertThat(threadsNamed("handoff-many-")).isEmpty();
    }

    @Test
    void executor_runsQueuedWorkOnClose_rejectsAfter_startsNoThreadUnused() throws Exception {
        RecorderExecutor unused = RecorderExecutor.create(3, "handoff-unused");
        assertThat(threadsNamed("handoff-unused-")).isEmpty();
        unused.close();

        RecorderExecutor executor = RecorderExecutor.create(2, "handoff-close");
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        assertThat(executor.submit(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ran.incrementAndGet();
        })).isTrue();
        for (int i = 0; i < 100; i++) {
            assertThat(executor.submit(ran::incrementAndGet)).isTrue();
        }
        release.countDown();
        executor.close();
        assertThat(ran.get()).as("work queued before close() runs").isEqualTo(101);
        assertThat(executor.submit(ran::incrementAndGet)).isFalse();
        assertThat(executor.aliveThreads()).isZero();
        assertThat(threadsNamed("handoff-close-")).isEmpty();
    }

    @Test
    void executor_manySubmitters_everyTaskRunsOnce() throws Exception {
        RecorderExecutor executor = RecorderExecutor.create(2, "handoff-mpmc");
        try {
            int per = 20_000;
            AtomicInteger ran = new AtomicInteger();
            Thread[] submitters = new Thread[4];
            for (int k = 0; k < submitters.length; k++) {
                submitters[k] = new Thread(() -> {
                    for (int i = 0; i < per; i++) {
                        executor.submit(ran::incrementAndGet);
                        if (i % 1000 == 0) {
                            try {
                                Thread.sleep(1); // let the workers go idle and park in between
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                });
                submitters[k].start();
            }
            for (Thread t : submitters) {
                t.join(60_000);
            }
            long deadline = System.nanoTime() + 10_000 * MS;
            while (ran.get() < per * submitters.length && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(ran.get()).isEqualTo(per * submitters.length);
        } finally {
            executor.close();
        }
    }
}

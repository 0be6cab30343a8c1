package io.capstan.bench.load;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.OperatingSystemMXBean;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Process measurements: CPU time of the process and of each thread (ThreadMXBean, user + system), the heap, GC
 * pauses (GC notifications: every collection of a pausing collector — G1 Young/Old Generation, ZGC Pauses — with
 * its duration; ZGC's concurrent "Cycles" are not pauses), the machine's CPU use (/proc/stat) and load average.
 */
final class Metrics {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final int CPUS = Runtime.getRuntime().availableProcessors();
    private static final List<double[]> PAUSES = new ArrayList<>(); // {nanoTime, ms}
    private static long pauseCount;
    private static double pauseMs;

    private Metrics() {
    }

    static void install() {
        THREADS.setThreadCpuTimeEnabled(true);
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = gc.getName();
            if (name.contains("Cycles") || name.contains("Concurrent")) {
                continue; // concurrent work, not a pause
            }
            ((NotificationEmitter) gc).addNotificationListener((n, h) -> {
                if (!n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    return;
                }
                GarbageCollectionNotificationInfo info =
                        GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                double ms = info.getGcInfo().getDuration();
                synchronized (PAUSES) {
                    pauseCount++;
                    pauseMs += ms;
                    PAUSES.add(new double[] {System.nanoTime(), ms});
                }
            }, null, null);
        }
    }

    static final class Snapshot {
        long wallNanos;
        long processCpuNanos;
        final Map<Long, long[]> threadCpu = new HashMap<>(); // id -> cpu ns (and the name in names)
        final Map<Long, String> names = new HashMap<>();
        double heapUsedMiB;
        long gcPauses;
        double gcPauseMs;
        String loadAvg;
        long[] procStat; // total, idle jiffies
        final Map<String, long[]> sched = new HashMap<>(); // tid -> {run ns, run-queue wait ns}; name in schedNames
        final Map<String, String> schedNames = new HashMap<>();
    }

    static Snapshot snapshot() {
        Snapshot s = new Snapshot();
        s.wallNanos = System.nanoTime();
        s.processCpuNanos = OS.getProcessCpuTime();
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null) {
                continue;
            }
            long cpu = THREADS.getThreadCpuTime(ids[i]);
            if (cpu >= 0) {
                s.threadCpu.put(ids[i], new long[] {cpu});
                s.names.put(ids[i], infos[i].getThreadName());
            }
        }
        s.heapUsedMiB = heapUsedMiB();
        synchronized (PAUSES) {
            s.gcPauses = pauseCount;
            s.gcPauseMs = pauseMs;
        }
        s.loadAvg = loadAvg();
        s.procStat = procStat();
        schedStats(s);
        return s;
    }

    /** Linux: each thread's CPU time and time spent runnable but waiting for a CPU (/proc/self/task/T/schedstat). */
    private static void schedStats(Snapshot s) {
        try (var tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    String name = Files.readString(t.resolve("comm")).trim();
                    String[] f = Files.readString(t.resolve("schedstat")).trim().split("\\s+");
                    s.sched.put(t.getFileName().toString(), new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])});
                    s.schedNames.put(t.getFileName().toString(), name);
                } catch (IOException | RuntimeException ignored) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
    }

    /**
     * Of the time the threads named {@code prefix}... were runnable, the share they waited for a CPU (run-queue
     * delay / (run + run-queue delay)), in %; NaN when unknown. High values: the machine had no core free for them.
     */
    static double runQueueWaitPct(Snapshot a, Snapshot b, String prefix) {
        long run = 0;
        long wait = 0;
        for (Map.Entry<String, long[]> e : b.sched.entrySet()) {
            if (!b.schedNames.get(e.getKey()).startsWith(prefix)) {
                continue;
            }
            long[] before = a.sched.getOrDefault(e.getKey(), new long[2]);
            run += e.getValue()[0] - before[0];
            wait += e.getValue()[1] - before[1];
        }
        return run + wait == 0 ? Double.NaN : 100.0 * wait / (run + wait);
    }

    /** Process CPU between two snapshots, in % of the whole machine (all cores = 100 %). */
    static double cpuPct(Snapshot a, Snapshot b) {
        return 100.0 * (b.processCpuNanos - a.processCpuNanos) / ((double) (b.wallNanos - a.wallNanos) * CPUS);
    }

    /** CPU of the threads whose name starts with {@code prefix}, in % of the whole machine. */
    static double groupPct(Snapshot a, Snapshot b, String prefix) {
        long sum = 0;
        for (Map.Entry<Long, long[]> e : b.threadCpu.entrySet()) {
            if (b.names.get(e.getKey()).startsWith(prefix)) {
                long[] before = a.threadCpu.get(e.getKey());
                sum += e.getValue()[0] - (before == null ? 0 : before[0]);
            }
        }
        return 100.0 * sum / ((double) (b.wallNanos - a.wallNanos) * CPUS);
    }

    /** The whole machine's CPU use (every process) between two snapshots, from /proc/stat; NaN elsewhere. */
    static double machinePct(Snapshot a, Snapshot b) {
        if (a.procStat == null || b.procStat == null || b.procStat[0] == a.procStat[0]) {
            return Double.NaN;
        }
        double total = b.procStat[0] - a.procStat[0];
        double idle = b.procStat[1] - a.procStat[1];
        return 100.0 * (total - idle) / total;
    }

    /** Largest GC pause after the snapshot was taken, ms. */
    static double maxPauseSince(Snapshot a) {
        double max = 0;
        synchronized (PAUSES) {
            for (double[] p : PAUSES) {
                if (p[0] >= a.wallNanos) {
                    max = Math.max(max, p[1]);
                }
            }
        }
        return max;
    }

    static double heapMaxMiB() {
        return Runtime.getRuntime().maxMemory() / 1048576.0;
    }

    static double heapUsedMiB() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
    }

    /** A full collection (concurrent with ZGC: the application keeps running), so the heap used is the live set. */
    static void gcSettle() {
        System.gc();
        LoadTest.sleepQuietly(200);
    }

    /** The 1/5/15-minute load averages as {@code uptime} prints them. */
    static String loadAvg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return String.format("%.2f", OS.getSystemLoadAverage());
        }
    }

    private static long[] procStat() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = cpu.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total, idle};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static int cpus() {
        return CPUS;
    }
}

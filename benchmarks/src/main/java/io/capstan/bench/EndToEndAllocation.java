package io.capstan.bench;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where {@link EndToEndBenchmark}'s allocations happen, second by second and thread by thread (JMH's
 * {@code -prof gc} gives one figure per iteration for all threads): runs the benchmark's session for
 * {@code seconds} and prints, per second, packets pushed, bytes allocated per packet by the pushing thread and by
 * all threads, and every thread that allocated more than 100 kB.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.capstan.bench.EndToEndAllocation webm 15
 * </pre>
 * Run from the repository root (the fixtures). The first second includes the frame pool filling up.
 */
public final class EndToEndAllocation {

    private EndToEndAllocation() {
    }

    public static void main(String[] args) {
        EndToEndBenchmark b = new EndToEndBenchmark();
        b.kase = args.length > 0 ? args[0] : "webm";
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        b.setup();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().getId();
        Map<Long, Long> last = new HashMap<>();
        for (long id : mx.getAllThreadIds()) {
            last.put(id, mx.getThreadAllocatedBytes(id));
        }
        for (int s = 0; s < seconds; s++) {
            long me0 = mx.getThreadAllocatedBytes(me);
            long end = System.nanoTime() + 1_000_000_000L;
            long n = 0;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 1000; i++) {
                    b.pushPacket();
                }
                n += 1000;
            }
            long pusher = mx.getThreadAllocatedBytes(me) - me0;
            long all = 0;
            StringBuilder threads = new StringBuilder();
            for (long id : mx.getAllThreadIds()) {
                long now = mx.getThreadAllocatedBytes(id);
                Long prev = last.put(id, now);
                long d = now - (prev == null ? 0 : prev);
                if (d > 0) {
                    all += d;
                }
                if (d > 100_000) {
                    java.lang.management.ThreadInfo ti = mx.getThreadInfo(id);
                    threads.append(' ').append(ti == null ? "#" + id : ti.getThreadName()).append('=')
                            .append(d / 1000).append(" kB");
                }
            }
            System.out.printf(Locale.ROOT, "%3d s  %9d packets  pusher %8.3f B/packet  all threads %8.3f B/packet %s%n",
                    s + 1, n, pusher / (double) n, all / (double) n, threads);
        }
        b.stop();
    }
}

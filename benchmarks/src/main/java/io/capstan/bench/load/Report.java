package io.capstan.bench.load;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** Writes the results: {@code load-MODE.md} (table and context), {@code .csv} and {@code .png} (Java2D, headless). */
final class Report {

    private Report() {
    }

    private static String f1(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String header(LoadTest.Options o, LoadCapture cap, String title) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(title).append(o.label.isEmpty() ? "" : " — " + o.label).append("\n\n");
        sb.append("* Date: ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
                .substring(0, 19)).append(" UTC; machine: ").append(Metrics.cpus()).append(" CPUs (")
                .append(cpuModel()).append("), ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append('\n');
        sb.append("* JVM flags: `").append(String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()))
                .append("`\n");
        if (!o.command.isEmpty()) {
            sb.append("* Command: `").append(o.command).append("`\n");
        }
        sb.append(String.format(Locale.ROOT, "* Input per session: `%s` looped (%d datagrams per %.1f s pass; %.2f "
                        + "Mbit/s of RTP, %.0f RTP packets/s; tracks %s), continuous seq/ts, RTCP SRs in the first pass\n",
                o.capture.getFileName(), cap.size(), cap.passNanos / 1e9, cap.rtpBitsPerSecond() / 1e6,
                cap.rtpPacketsPerSecond(), cap.tracks.stream().map(t -> t.id() + " " + t.codec()).toList()));
        sb.append(String.format(Locale.ROOT, "* Mode `%s`: %s; %d feeder threads; sessions start at random moments "
                        + "over the first %d s; warm-up %d s, then a %d s window\n", o.mode,
                o.udp() ? "datagrams sent over loopback to 2 UDP ports per session (RTCP muxed), received by "
                        + o.receivers + " `UdpReceiver`s (one thread each, ports spread over them)"
                        : "datagrams pushed in-process (`TrackInput.pushRtp` / `RecordingSession.pushRtcp`)",
                o.feeders, Math.max(1, Math.min(10, o.warmup - 3)), o.warmup, o.seconds));
        sb.append("* Output: `FileSystemSink` (fsync on commit, the default) under `").append(o.dir).append("` (")
                .append(LoadTest.fsType(o.dir.getParent() == null ? o.dir : o.dir.getParent()))
                .append("), WebM (`Container.AUTO`), rotation ").append(o.rotate)
                .append(", each file deleted by a janitor thread as soon as its `SegmentClosed` event arrives; "
                        + "muxing on ")
                .append(o.muxThreads > 0 ? "a " + o.muxThreads + "-thread `RecorderExecutor`"
                        : "`RecorderExecutor.shared()` (" + Math.min(4, Metrics.cpus()) + " threads)")
                .append(o.reorderSlots > 0 ? "; reorder slots " + o.reorderSlots : "").append('\n');
        return sb.toString();
    }

    private static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    private static final String LEGEND = """

            Columns: **CPU %** = this JVM's CPU time over the window in % of the whole machine (all cores = 100 %; max = \
            largest 1-s sample); **feeders** = the feeder threads' CPU (per-thread CPU time). In `inproc` mode they are \
            the host's threads, so this includes the library's push path (parse, reorder, depacketize, hand-off to the \
            lane); in `udp` mode it includes the `send` system calls (on loopback the sender's call also runs most of \
            the kernel's receive path). **feeding** = the same threads in a dry run after the window (same schedule, \
            nothing delivered): the test's own overhead. **recorder** = CPU % − feeding: what recording costs (in \
            `udp` mode with the loopback UDP path and the receive threads); **rx / mux / other** = the UDP receive threads, the `capstan-mux` lane threads, and the rest \
            (GC, JIT, janitor, sampler); **machine** = the whole machine's CPU use (every process, /proc/stat): above \
            CPU % by what other processes used. **CPU wait** = of the time the feeder / mux threads were runnable, \
            the share they spent waiting for a core (Linux run-queue delay, /proc/self/task/*/schedstat): high values \
            mean the machine, not the recorder, was the bound. **heap** = after a full GC with the N sessions running; \
            **per session** = (heap − heap before the sessions were created) / N. **GC pauses** = count / total / max \
            of stop-the-world pauses in the window. **late** = datagrams the feeders sent > 20 ms after they were due \
            (max lateness in brackets). **overflow** = frames dropped because the session's muxing lane was full \
            (dropped for lack of time); **drops** = all dropped frames (overflow, incomplete, waiting for a keyframe). \
            **lost** = RTP packets the sessions never received. **close lag** = how long after its media end a rotated \
            file was closed (median / max): the muxing lane's delay.
            """;

    static void writeRamp(LoadTest.Options o, LoadCapture cap, List<LoadTest.Row> rows) throws IOException {
        String base = o.base();
        StringBuilder md = new StringBuilder(header(o, cap, "Capstan load test: `" + o.mode + "`"));
        md.append("\n| N | CPU % (max) | feeders % | feeding % | recorder % | rx / mux / other % | machine % | CPU wait % (feeders / mux) | load avg (start → end) "
                + "| heap MiB | per session MiB | GC pauses (n / ms / max ms) | late (max ms) | overflow | drops | lost "
                + (o.udp() ? "| UDP not received " : "")
                + "| files | MiB written | close lag ms (p50 / max) | Mbit/s in | errors |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
                .append(o.udp() ? "---:|" : "").append("---:|---:|---:|---:|---:|\n");
        for (LoadTest.Row r : rows) {
            md.append("| ").append(r.n).append(" | ").append(f1(r.cpuPct)).append(" (").append(f1(r.cpuPctMax))
                    .append(") | ").append(f1(r.feederPct)).append(" | ").append(f1(r.feedingPct)).append(" | ")
                    .append(f1(r.cpuPct - r.feedingPct))
                    .append(" | ").append(f1(r.receivePct)).append(" / ").append(f1(r.muxPct)).append(" / ")
                    .append(f1(r.otherPct)).append(" | ").append(f1(r.machineBusyPct)).append(" | ")
                    .append(String.format(Locale.ROOT, "%.0f / %.0f", r.waitFeedersPct, r.waitMuxPct)).append(" | ")
                    .append(r.loadAvg)
                    .append(" | ").append(f1(r.heapAfterGcMiB)).append(" | ").append(f2(r.perSessionMiB))
                    .append(" | ").append(r.gcPauses).append(" / ").append(f1(r.gcPauseTotalMs)).append(" / ")
                    .append(f1(r.gcPauseMaxMs)).append(" | ").append(r.late).append(" (").append(f1(r.maxLateMs))
                    .append(") | ").append(r.overflowDropped).append(" | ").append(r.framesDropped).append(" | ")
                    .append(r.lost).append(" | ");
            if (o.udp()) {
                md.append(r.udpNotReceived).append(" | ");
            }
            md.append(r.files).append(" | ").append(f1(r.writtenMiB)).append(" | ").append(f1(r.closeLagP50Ms))
                    .append(" / ").append(f1(r.closeLagMaxMs)).append(" | ").append(f1(r.sentMbps)).append(" | ")
                    .append(r.errors).append(r.firstError.isEmpty() ? "" : " (" + r.firstError.replace('|', '/') + ")")
                    .append(" |\n");
        }
        for (LoadTest.Row r : rows) {
            if (!r.note.isEmpty()) {
                md.append("\nN = ").append(r.n).append(": **").append(r.note).append("**\n");
            }
        }
        md.append(LEGEND);
        md.append("\nPlot: `").append(base).append(".png`; raw figures: `").append(base).append(".csv`.\n");
        Files.writeString(o.out.resolve(base + ".md"), md.toString());
        Files.writeString(o.out.resolve(base + ".csv"), csv(rows));
        plotRamp(o, rows, o.out.resolve(base + ".png"));
    }

    private static String csv(List<LoadTest.Row> rows) {
        StringBuilder sb = new StringBuilder("n,window_s,cpu_pct,cpu_pct_max,feeder_pct,feeding_pct,recorder_pct,rx_pct,mux_pct,"
                + "other_pct,machine_pct,wait_feeders_pct,wait_mux_pct,load_avg,heap_base_mib,heap_peak_mib,heap_after_gc_mib,per_session_mib,gc_pauses,"
                + "gc_pause_total_ms,gc_pause_max_ms,sent,late,max_late_ms,packets,lost,frames_out,frames_dropped,"
                + "overflow_dropped,overflow_events,keyframe_requests,udp_not_received,files,written_mib,close_lag_p50_ms,"
                + "close_lag_max_ms,mbps_in,stop_s,errors\n");
        for (LoadTest.Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%d,%.1f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.1f,%.1f,%s,%.1f,%.1f,%.1f,"
                            + "%.3f,%d,%.1f,%.1f,%d,%d,%.1f,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.1f,%.0f,%.0f,%.1f,%.2f,%d\n",
                    r.n, r.windowSeconds, r.cpuPct, r.cpuPctMax, r.feederPct, r.feedingPct, r.cpuPct - r.feedingPct,
                    r.receivePct,
                    r.muxPct, r.otherPct, r.machineBusyPct, r.waitFeedersPct, r.waitMuxPct, r.loadAvg.replace(',', ' '), r.heapBaseMiB, r.heapPeakMiB,
                    r.heapAfterGcMiB, r.perSessionMiB, r.gcPauses, r.gcPauseTotalMs, r.gcPauseMaxMs, r.sent, r.late,
                    r.maxLateMs, r.packets, r.lost, r.framesOut, r.framesDropped, r.overflowDropped, r.overflowEvents,
                    r.keyframeRequests, r.udpNotReceived, r.files, r.writtenMiB, r.closeLagP50Ms, r.closeLagMaxMs,
                    r.sentMbps, r.stopSeconds, r.errors));
        }
        return sb.toString();
    }

    static void writeSoak(LoadTest.Options o, LoadCapture cap, LoadTest.Soak s) throws IOException {
        String base = o.base();
        boolean partial = s.row == null;
        LoadTest.Row r = partial ? s.partial : s.row;
        s.computeSlope(o.sizes[0]);
        StringBuilder md = new StringBuilder(header(o, cap, "Capstan soak: " + r.n + " sessions for " + o.seconds + " s"));
        md.append(String.format(Locale.ROOT, "%n**Heap after GC: %.1f MiB at the first sample, %.1f MiB at the last; "
                        + "slope %.2f MiB/min = %.2f KiB per session per minute** (least squares over %d samples, one "
                        + "every %d s). Per session at the end: %.2f MiB.%n%n", s.samples.isEmpty() ? Double.NaN
                        : s.samples.get(0)[1], s.samples.isEmpty() ? Double.NaN : s.samples.get(s.samples.size() - 1)[1],
                s.slopeMiBPerMin, s.slopeKiBPerSessionPerMin, s.samples.size(), o.sample, r.perSessionMiB));
        if (!r.note.isEmpty()) {
            md.append("**").append(r.note).append("**\n\n");
        }
        if (partial) {
            md.append("_In progress (or interrupted): the whole-window figures are written when the soak ends._\n");
        } else {
            md.append("Whole window: ").append(String.format(Locale.ROOT, "CPU %.1f %% (max 1-s %.1f %%; feeders %.1f %%, "
                        + "feeding %.1f %%, recorder %.1f %%, rx %.1f / mux %.1f / other %.1f), machine %.1f %%, "
                        + "CPU wait feeders %.0f %% / mux %.0f %%, load average %s, "
                        + "GC pauses %d (total %.1f ms, max %.1f ms), late %d (max %.1f ms), overflow drops %d, "
                        + "all drops %d, lost %d, %s%d files, %.1f MiB written, close lag p50 %s / max %s ms, "
                        + "%.1f Mbit/s in, errors %d%s.%n",
                r.cpuPct, r.cpuPctMax, r.feederPct, r.feedingPct, r.cpuPct - r.feedingPct, r.receivePct, r.muxPct, r.otherPct,
                r.machineBusyPct, r.waitFeedersPct, r.waitMuxPct, r.loadAvg, r.gcPauses, r.gcPauseTotalMs, r.gcPauseMaxMs, r.late, r.maxLateMs,
                r.overflowDropped, r.framesDropped, r.lost,
                o.udp() ? "UDP not received " + r.udpNotReceived + ", " : "", r.files, r.writtenMiB,
                f1(r.closeLagP50Ms), f1(r.closeLagMaxMs), r.sentMbps, r.errors,
                r.firstError.isEmpty() ? "" : " (" + r.firstError + ")"));
        }
        md.append("\n| t (s) | heap after GC (MiB) | heap peak before it (MiB) | CPU % | feeders % | late | overflow |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        StringBuilder csv = new StringBuilder("t_s,heap_after_gc_mib,heap_peak_mib,cpu_pct,feeder_pct,late,overflow\n");
        for (double[] p : s.samples) {
            md.append(String.format(Locale.ROOT, "| %.0f | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f |%n",
                    p[0], p[1], p[2], p[3], p[4], p[5], p[6]));
            csv.append(String.format(Locale.ROOT, "%.1f,%.2f,%.2f,%.2f,%.2f,%.0f,%.0f%n", p[0], p[1], p[2], p[3], p[4],
                    p[5], p[6]));
        }
        md.append(LEGEND);
        md.append("\nPlot: `").append(base).append(".png`; samples: `").append(base).append(".csv`.\n");
        Files.writeString(o.out.resolve(base + ".md"), md.toString());
        Files.writeString(o.out.resolve(base + ".csv"), csv.toString());
        plotSoak(o, s, o.out.resolve(base + ".png"));
    }

    // ------------------------------------------------------------------------------------------------ plots

    record Series(String name, Color color, double[] y, boolean dashed) {
    }

    private static final Color BLUE = new Color(0x1f77b4);
    private static final Color ORANGE = new Color(0xff7f0e);
    private static final Color GREEN = new Color(0x2ca02c);
    private static final Color RED = new Color(0xd62728);
    private static final Color GREY = new Color(0x888888);

    static void plotRamp(LoadTest.Options o, List<LoadTest.Row> rows, Path png) throws IOException {
        int k = rows.size();
        double[] x = new double[k];
        double[] cpu = new double[k];
        double[] rec = new double[k];
        double[] feed = new double[k];
        double[] feeding = new double[k];
        double[] machine = new double[k];
        double[] heap = new double[k];
        double[] per = new double[k];
        for (int i = 0; i < k; i++) {
            LoadTest.Row r = rows.get(i);
            x[i] = r.n;
            cpu[i] = r.cpuPct;
            rec[i] = r.cpuPct - r.feedingPct;
            feed[i] = r.feederPct;
            feeding[i] = r.feedingPct;
            machine[i] = r.machineBusyPct;
            heap[i] = r.heapAfterGcMiB;
            per[i] = r.perSessionMiB;
        }
        BufferedImage img = new BufferedImage(1500, 560, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        String t = "Capstan load (" + o.mode + ")" + (o.label.isEmpty() ? "" : " — " + o.label);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(t, 20, 26);
        chart(g, 20, 40, 480, 500, "CPU, % of the machine (" + Metrics.cpus() + " cores)", "sessions (N)", x,
                List.of(new Series("whole JVM", BLUE, cpu, false), new Series("recorder (JVM - feeding)", GREEN, rec, false),
                        new Series("feeder threads", ORANGE, feed, false), new Series("feeding alone (dry run)", ORANGE, feeding, true), new Series("machine (all processes)", GREY, machine, true)),
                75, "target 75 %", true);
        chart(g, 510, 40, 480, 500, "heap after GC, MiB", "sessions (N)", x,
                List.of(new Series("heap after GC", BLUE, heap, false)), Double.NaN, null, true);
        chart(g, 1000, 40, 480, 500, "heap per session, MiB", "sessions (N)", x,
                List.of(new Series("(heap - baseline) / N", GREEN, per, false)), 2, "target 2 MiB", true);
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    static void plotSoak(LoadTest.Options o, LoadTest.Soak s, Path png) throws IOException {
        int k = s.samples.size();
        double[] x = new double[k];
        double[] after = new double[k];
        double[] peak = new double[k];
        double[] cpu = new double[k];
        double[] feed = new double[k];
        for (int i = 0; i < k; i++) {
            double[] p = s.samples.get(i);
            x[i] = p[0] / 60.0;
            after[i] = p[1];
            peak[i] = p[2];
            cpu[i] = p[3];
            feed[i] = p[4];
        }
        BufferedImage img = new BufferedImage(1100, 560, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(String.format(Locale.ROOT, "Capstan soak: %d sessions (%s)%s — heap slope %.2f MiB/min",
                s.row.n, o.mode, o.label.isEmpty() ? "" : ", " + o.label, s.slopeMiBPerMin), 20, 26);
        chart(g, 20, 40, 530, 500, "heap, MiB", "minutes", x,
                List.of(new Series("after GC", BLUE, after, false), new Series("peak before the GC", GREY, peak, true)),
                Double.NaN, null, false);
        chart(g, 560, 40, 520, 500, "CPU, % of the machine", "minutes", x,
                List.of(new Series("whole JVM", BLUE, cpu, false), new Series("feeders", ORANGE, feed, false)),
                75, "target 75 %", false);
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    private static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        return g;
    }

    /** A line chart with points; x ticks at the data's x values ({@code xAtData}) or at round values. */
    private static void chart(Graphics2D g, int left, int top, int w, int h, String title, String xLabel, double[] x,
                              List<Series> series, double target, String targetLabel, boolean xAtData) {
        int pl = left + 55;
        int pr = left + w - 10;
        int pt = top + 30;
        int pb = top + h - 45;
        double xmin = 0;
        double xmax = 1;
        for (double v : x) {
            xmax = Math.max(xmax, v);
        }
        xmax *= 1.05;
        double ymax = Double.isNaN(target) ? 0 : target;
        for (Series s : series) {
            for (double v : s.y()) {
                if (!Double.isNaN(v)) {
                    ymax = Math.max(ymax, v);
                }
            }
        }
        double step = niceStep(ymax <= 0 ? 1 : ymax * 1.1 / 5);
        ymax = Math.ceil((ymax <= 0 ? 1 : ymax * 1.1) / step) * step;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.setColor(Color.BLACK);
        g.drawString(title, pl, top + 18);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        // grid and y ticks
        for (double v = 0; v <= ymax + step / 2; v += step) {
            int yy = (int) (pb - (pb - pt) * v / ymax);
            g.setColor(new Color(0xeeeeee));
            g.drawLine(pl, yy, pr, yy);
            g.setColor(Color.BLACK);
            String s = step < 1 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.0f", v);
            g.drawString(s, pl - 8 - g.getFontMetrics().stringWidth(s), yy + 4);
        }
        // x ticks
        double[] ticks;
        if (xAtData) {
            ticks = x;
        } else {
            double xs = niceStep(xmax / 6);
            int nt = (int) (xmax / xs) + 1;
            ticks = new double[nt];
            for (int i = 0; i < nt; i++) {
                ticks[i] = i * xs;
            }
        }
        for (double v : ticks) {
            int xx = (int) (pl + (pr - pl) * (v - xmin) / (xmax - xmin));
            g.setColor(Color.BLACK);
            g.drawLine(xx, pb, xx, pb + 4);
            String s = v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
            g.drawString(s, xx - g.getFontMetrics().stringWidth(s) / 2, pb + 17);
        }
        g.drawString(xLabel, (pl + pr) / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, pb + 33);
        g.drawLine(pl, pb, pr, pb);
        g.drawLine(pl, pt, pl, pb);
        if (!Double.isNaN(target)) {
            int yy = (int) (pb - (pb - pt) * target / ymax);
            g.setColor(RED);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
            g.drawLine(pl, yy, pr, yy);
            g.drawString(targetLabel, pr - g.getFontMetrics().stringWidth(targetLabel) - 4, yy - 4);
        }
        int ly = pt + 8;
        for (Series s : series) {
            g.setColor(s.color());
            g.setStroke(s.dashed()
                    ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {5, 4}, 0)
                    : new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (int i = 0; i < x.length; i++) {
                if (Double.isNaN(s.y()[i])) {
                    continue;
                }
                int xx = (int) (pl + (pr - pl) * (x[i] - xmin) / (xmax - xmin));
                int yy = (int) (pb - (pb - pt) * s.y()[i] / ymax);
                if (px >= 0) {
                    g.drawLine(px, py, xx, yy);
                }
                g.fillOval(xx - 3, yy - 3, 7, 7);
                if (xAtData) {
                    String lbl = String.format(Locale.ROOT, s.y()[i] < 10 ? "%.2f" : "%.0f", s.y()[i]);
                    g.drawString(lbl, xx + 5, yy - 5);
                }
                px = xx;
                py = yy;
            }
            g.setStroke(new BasicStroke(2f));
            g.drawLine(pl + 10, ly, pl + 30, ly);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), pl + 36, ly + 4);
            ly += 15;
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }
}

package io.capstan.webrtc.browser;

import io.capstan.testing.MediaTools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Finds the sync marks of {@link WhipPublisher}'s {@code sync} source in a recording, on the file's own timeline as
 * ffmpeg decodes it: the video frames where the picture turns white (mean luma from {@code signalstats}) and the
 * audio chunks (5 ms) where the 1 kHz tone starts (RMS level from {@code astats}).
 */
final class SyncMarks {

    private SyncMarks() {
    }

    /** Presentation times (s) of the first white frame of each flash. */
    static List<Double> flashes(Path file) {
        MediaTools.Run r = MediaTools.run(List.of("ffmpeg", "-v", "error", "-nostdin", "-i", file.toString(),
                "-map", "0:v:0", "-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-",
                "-f", "null", "-"));
        return onsets(r.stdout(), "lavfi.signalstats.YAVG=", 128.0);
    }

    /** Presentation times (s) of the start of each tone burst. */
    static List<Double> beeps(Path file) {
        MediaTools.Run r = MediaTools.run(List.of("ffmpeg", "-v", "error", "-nostdin", "-i", file.toString(),
                "-map", "0:a:0", "-af", "aresample=48000,asetnsamples=n=240:p=0,astats=metadata=1:reset=1,"
                        + "ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-",
                "-f", "null", "-"));
        return onsets(r.stdout(), "lavfi.astats.Overall.RMS_level=", -30.0);
    }

    /**
     * ffmpeg's metadata print is {@code frame:N pts:P pts_time:T} then {@code key=value}; an onset is a value
     * above {@code threshold} after one at or below it.
     */
    private static List<Double> onsets(String out, String key, double threshold) {
        List<Double> r = new ArrayList<>();
        double time = Double.NaN;
        boolean above = true; // the first mark must follow a quiet (dark) stretch
        for (String line : out.split("\n")) {
            int i = line.indexOf("pts_time:");
            if (i >= 0) {
                time = Double.parseDouble(line.substring(i + 9).trim().split("\\s+")[0]);
                continue;
            }
            int k = line.indexOf(key);
            if (k >= 0 && !Double.isNaN(time)) {
                String v = line.substring(k + key.length()).trim();
                double value = v.equals("-inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(v);
                boolean now = value > threshold;
                if (now && !above) {
                    r.add(time);
                }
                above = now;
            }
        }
        return r;
    }

    /** The median of (nearest beep - flash) over the flashes, in seconds. */
    static double medianOffset(List<Double> flashes, List<Double> beeps) {
        List<Double> d = new ArrayList<>();
        for (double f : flashes) {
            double best = Double.NaN;
            for (double b : beeps) {
                if (Double.isNaN(best) || Math.abs(b - f) < Math.abs(best)) {
                    best = b - f;
                }
            }
            if (!Double.isNaN(best) && Math.abs(best) < 0.5) {
                d.add(best);
            }
        }
        if (d.isEmpty()) {
            throw new AssertionError("no flash has a tone within 0.5 s: flashes " + flashes + ", beeps " + beeps);
        }
        Collections.sort(d);
        return d.get(d.size() / 2);
    }
}

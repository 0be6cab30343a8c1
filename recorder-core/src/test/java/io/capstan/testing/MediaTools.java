package io.capstan.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the independent media tools (ffmpeg, ffprobe, mkvinfo, opusinfo, oggz-validate) that conformance tests
 * judge Capstan's files with. When a tool is missing the test is skipped with a visible message, unless the
 * system property {@code capstan.requireTools=true} (set by CI) makes it a failure.
 */
public final class MediaTools {

    private MediaTools() {
    }

    public static boolean available(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Skips (or, under CI, fails) the calling test when {@code tool} is not installed. */
    public static void require(String... tools) {
        for (String tool : tools) {
            if (!available(tool)) {
                String msg = tool + " is not installed: conformance check skipped (apt-get install ffmpeg mkvtoolnix "
                        + "opus-tools oggz-tools; CI runs with -Dcapstan.requireTools=true)";
                if (Boolean.getBoolean("capstan.requireTools")) {
                    throw new AssertionError(msg);
                }
                System.err.println("SKIPPED: " + msg);
                Assumptions.abort(msg);
            }
        }
    }

    /** Result of running a command: exit code and both streams. */
    public record Run(int exit, String stdout, String stderr) {
    }

    public static Run run(List<String> cmd) {
        try {
            Path out = Files.createTempFile("capstan-tool", ".out");
            Path err = Files.createTempFile("capstan-tool", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("timed out: " + cmd);
                }
                return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * ffprobe's view of every stream (with {@code -count_frames}, so {@code nb_read_frames} is the decoded frame
     * count), one key/value map per stream; plus a pseudo stream with key {@code format.duration}.
     */
    public static List<Map<String, String>> probeStreams(Path file) {
        Run r = run(List.of("ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "compact=p=0", file.toString()));
        if (r.exit() != 0) {
            throw new AssertionError("ffprobe failed on " + file + ": " + r.stderr());
        }
        List<Map<String, String>> streams = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (String kv : line.split("\\|")) {
                int i = kv.indexOf('=');
                if (i > 0) {
                    m.put(kv.substring(0, i), kv.substring(i + 1));
                }
            }
            streams.add(m);
        }
        return streams;
    }

    /** The container duration in seconds as ffprobe reports it. */
    public static double probeDuration(Path file) {
        Run r = run(List.of("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file.toString()));
        return Double.parseDouble(r.stdout().trim());
    }

    /** Decodes the whole file with ffmpeg; returns the error lines (empty when it decodes cleanly). */
    public static List<String> decodeErrors(Path file) {
        // passthrough and the demuxer's time base: frames keep their own timestamps, so the null muxer does not
        // report two frames of a variable-rate stream (a browser's camera) that round to one 1/fps tick
        Run r = run(List.of("ffmpeg", "-v", "error", "-nostdin", "-i", file.toString(), "-map", "0",
                "-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "null", "-"));
        List<String> lines = new ArrayList<>();
        for (String l : r.stderr().split("\n")) {
            if (!l.isBlank()) {
                lines.add(l);
            }
        }
        if (r.exit() != 0 && lines.isEmpty()) {
            lines.add("ffmpeg exited " + r.exit());
        }
        return lines;
    }

    /** Per-packet (pts_time, flags) of one stream, from {@code ffprobe -show_packets}. */
    public static List<String[]> packets(Path file, int streamIndex) {
        Run r = run(List.of("ffprobe", "-v", "error", "-select_streams", String.valueOf(streamIndex),
                "-show_entries", "packet=pts_time,dts_time,flags,size", "-of", "csv=p=0", file.toString()));
        List<String[]> rows = new ArrayList<>();
        for (String l : r.stdout().split("\n")) {
            if (!l.isBlank()) {
                rows.add(l.split(","));
            }
        }
        return rows;
    }
}

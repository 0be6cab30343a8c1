package io.capstan.mux.testing;

import io.capstan.testing.MediaTools;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Real encoded input for conformance tests: ffmpeg encodes a short test pattern / tone into an elementary or
 * simple container format in a temp directory, and the parsers here split it into frames with their
 * presentation times, the way depacketizers would hand them to a muxer.
 */
public final class TestMedia {

    private TestMedia() {
    }

    /** One encoded frame and its presentation time. */
    public record Frame(byte[] data, long ptsMicros, boolean key) {
    }

    public static Path ffmpeg(Path dir, String name, String... args) {
        MediaTools.require("ffmpeg");
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-y", "-v", "error", "-nostdin"));
        cmd.addAll(Arrays.asList(args));
        cmd.add(out.toString());
        MediaTools.Run r = MediaTools.run(cmd);
        if (r.exit() != 0) {
            throw new AssertionError("ffmpeg failed: " + cmd + "\n" + r.stderr());
        }
        return out;
    }

    // ---------------------------------------------------------------- VP8 / VP9 from IVF

    public static Path vp8(Path dir, double seconds, int fps, int gop) {
        return ffmpeg(dir, "in_vp8.ivf", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=" + fps, "-t",
                String.valueOf(seconds), "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v",
                "300k", "-g", String.valueOf(gop), "-keyint_min", String.valueOf(gop), "-auto-alt-ref", "0");
    }

    public static Path vp9(Path dir, double seconds, int fps, int gop) {
        return ffmpeg(dir, "in_vp9.ivf", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=" + fps, "-t",
                String.valueOf(seconds), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                "-lag-in-frames", "0", "-b:v", "300k", "-g", String.valueOf(gop), "-keyint_min",
                String.valueOf(gop));
    }

    /** Frames of an IVF file, pts converted from its time base; keyframes from the VP8/VP9 frame header. */
    public static List<Frame> ivfFrames(Path ivf) throws IOException {
        byte[] f = Files.readAllBytes(ivf);
        String fourcc = new String(f, 8, 4, java.nio.charset.StandardCharsets.US_ASCII);
        long den = le(f, 16, 4);
        long num = le(f, 20, 4);
        int hdr = (int) le(f, 6, 2);
        List<Frame> frames = new ArrayList<>();
        int p = hdr;
        while (p + 12 <= f.length) {
            int size = (int) le(f, p, 4);
            long pts = le(f, p + 4, 8);
            byte[] data = Arrays.copyOfRange(f, p + 12, p + 12 + size);
            boolean key = fourcc.equals("VP80") ? (data[0] & 1) == 0 : vp9Key(data[0]);
            frames.add(new Frame(data, pts * num * 1_000_000 / den, key));
            p += 12 + size;
        }
        return frames;
    }

    /** VP9 uncompressed header (VP9 bitstream spec 6.2): frame_marker, profile, show_existing_frame, frame_type. */
    static boolean vp9Key(byte b0) {
        int b = b0 & 0xFF;
        int profile = (b >> 5 & 1) | (b >> 4 & 1) << 1;
        int shift = profile == 3 ? 1 : 0;
        boolean showExisting = (b >> (3 - shift) & 1) == 1;
        boolean interFrame = (b >> (2 - shift) & 1) == 1;
        return !showExisting && !interFrame;
    }

    // ---------------------------------------------------------------- Opus from Ogg

    public record Opus(byte[] head, List<Frame> packets) {
    }

    public static Path opusOgg(Path dir, double seconds, int channels) {
        return ffmpeg(dir, "in_opus.ogg", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-ac",
                String.valueOf(channels), "-t", String.valueOf(seconds), "-c:a", "libopus", "-b:a", "48k",
                "-frame_duration", "20", "-f", "ogg");
    }

    /** The OpusHead and audio packets of an Ogg Opus file, pts = 48 kHz sample count from the TOC bytes. */
    public static Opus opusPackets(Path ogg) throws IOException {
        OggReader r = OggReader.read(Files.readAllBytes(ogg));
        byte[] head = r.packets.get(0).data();
        List<Frame> out = new ArrayList<>();
        long samples = 0;
        for (int i = 2; i < r.packets.size(); i++) {
            byte[] p = r.packets.get(i).data();
            out.add(new Frame(p, samples * 1000 / 48, true));
            samples += io.capstan.mux.common.OpusPackets.packetSamples(p, 0, p.length);
        }
        return new Opus(head, out);
    }

    // ---------------------------------------------------------------- H.264 Annex B -> AVCC

    public record H264(byte[] avcC, List<Frame> frames) {
    }

    public static Path h264(Path dir, double seconds, int fps, int gop) {
        return ffmpeg(dir, "in.h264", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=" + fps, "-t",
                String.valueOf(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g",
                String.valueOf(gop), "-pix_fmt", "yuv420p", "-x264-params", "aud=1", "-bsf:v",
                "h264_mp4toannexb", "-f", "h264");
    }

    /**
     * Splits an Annex B stream (ITU-T H.264 Annex B) at access unit delimiters, converts every access unit to
     * 4-byte length-prefixed NAL units (dropping the AUDs) and builds the avcC from the first SPS and PPS
     * (ISO/IEC 14496-15 5.3.3.1).
     */
    public static H264 annexBToAvcc(Path file, int fps) throws IOException {
        byte[] f = Files.readAllBytes(file);
        List<byte[]> nals = new ArrayList<>();
        int i = 0;
        int start = -1;
        while (i + 3 <= f.length) {
            if (f[i] == 0 && f[i + 1] == 0 && f[i + 2] == 1) {
                if (start >= 0) {
                    int end = i;
                    while (end > start && f[end - 1] == 0) {
                        end--;
                    }
                    nals.add(Arrays.copyOfRange(f, start, end));
                }
                i += 3;
                start = i;
            } else {
                i++;
            }
        }
        if (start >= 0) {
            nals.add(Arrays.copyOfRange(f, start, f.length));
        }
        byte[] sps = null;
        byte[] pps = null;
        List<Frame> frames = new ArrayList<>();
        ByteArrayOutputStream au = new ByteArrayOutputStream();
        boolean key = false;
        boolean hasVcl = false;
        for (byte[] nal : nals) {
            int type = nal[0] & 0x1F;
            if (type == 9) { // access unit delimiter: a new access unit starts
                if (hasVcl) {
                    frames.add(new Frame(au.toByteArray(), frames.size() * 1_000_000L / fps, key));
                }
                au.reset();
                key = false;
                hasVcl = false;
                continue;
            }
            if (type == 7 && sps == null) {
                sps = nal;
            }
            if (type == 8 && pps == null) {
                pps = nal;
            }
            if (type == 5) {
                key = true;
            }
            if (type >= 1 && type <= 5) {
                hasVcl = true;
            }
            au.write(nal.length >>> 24);
            au.write(nal.length >>> 16);
            au.write(nal.length >>> 8);
            au.write(nal.length);
            au.write(nal);
        }
        if (hasVcl) {
            frames.add(new Frame(au.toByteArray(), frames.size() * 1_000_000L / fps, key));
        }
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        c.write(1);                 // configurationVersion
        c.write(sps[1]);            // AVCProfileIndication
        c.write(sps[2]);            // profile_compatibility
        c.write(sps[3]);            // AVCLevelIndication
        c.write(0xFF);              // 6 bits reserved + lengthSizeMinusOne = 3
        c.write(0xE1);              // 3 bits reserved + numOfSequenceParameterSets = 1
        c.write(sps.length >>> 8);
        c.write(sps.length);
        c.write(sps);
        c.write(1);                 // numOfPictureParameterSets
        c.write(pps.length >>> 8);
        c.write(pps.length);
        c.write(pps);
        return new H264(c.toByteArray(), frames);
    }

    // ---------------------------------------------------------------- AAC ADTS -> raw + AudioSpecificConfig

    public record Aac(byte[] asc, int sampleRate, int channels, List<Frame> frames) {
    }

    public static Path aacAdts(Path dir, double seconds) {
        return ffmpeg(dir, "in.aac", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-ac", "2",
                "-t", String.valueOf(seconds), "-c:a", "aac", "-b:a", "96k", "-f", "adts");
    }

    private static final int[] AAC_RATES = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
            11025, 8000, 7350};

    /** Strips ADTS headers (ISO/IEC 14496-3 1.A.2) and builds the 2-byte AudioSpecificConfig. */
    public static Aac adtsToRaw(Path file) throws IOException {
        byte[] f = Files.readAllBytes(file);
        List<Frame> frames = new ArrayList<>();
        int p = 0;
        int objectType = 0;
        int sfi = 0;
        int ch = 0;
        while (p + 7 <= f.length) {
            if ((f[p] & 0xFF) != 0xFF || (f[p + 1] & 0xF0) != 0xF0) {
                throw new AssertionError("lost ADTS sync at " + p);
            }
            boolean protectionAbsent = (f[p + 1] & 1) == 1;
            objectType = ((f[p + 2] & 0xFF) >> 6) + 1;
            sfi = (f[p + 2] >> 2) & 0xF;
            ch = ((f[p + 2] & 1) << 2) | ((f[p + 3] & 0xFF) >> 6);
            int len = ((f[p + 3] & 3) << 11) | ((f[p + 4] & 0xFF) << 3) | ((f[p + 5] & 0xFF) >> 5);
            int hdr = protectionAbsent ? 7 : 9;
            frames.add(new Frame(Arrays.copyOfRange(f, p + hdr, p + len),
                    frames.size() * 1024L * 1_000_000 / AAC_RATES[sfi], true));
            p += len;
        }
        int asc = objectType << 11 | sfi << 7 | ch << 3;
        return new Aac(new byte[] {(byte) (asc >> 8), (byte) asc}, AAC_RATES[sfi], ch, frames);
    }

    // ---------------------------------------------------------------- G.711

    public static Path mulaw(Path dir, double seconds) {
        return ffmpeg(dir, "in.ulaw", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000", "-ac", "1",
                "-t", String.valueOf(seconds), "-c:a", "pcm_mulaw", "-f", "mulaw");
    }

    /** 20 ms packets of 160 samples, as RTP carries G.711 (RFC 3551 section 4.5.14). */
    public static List<Frame> pcmFrames(Path file, int samplesPerFrame, int rate) throws IOException {
        byte[] f = Files.readAllBytes(file);
        List<Frame> frames = new ArrayList<>();
        for (int p = 0; p + samplesPerFrame <= f.length; p += samplesPerFrame) {
            frames.add(new Frame(Arrays.copyOfRange(f, p, p + samplesPerFrame),
                    (long) p * 1_000_000 / rate, true));
        }
        return frames;
    }

    private static long le(byte[] f, int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (f[at + i] & 0xFF);
        }
        return v;
    }
}

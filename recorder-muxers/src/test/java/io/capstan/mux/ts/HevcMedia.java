package io.capstan.mux.ts;

import io.capstan.mux.testing.TestMedia;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** H.265 test input made by libx265, turned into what a depacketizer hands a muxer (hvcC + length-prefixed AUs). */
final class HevcMedia {

    record Hevc(byte[] hvcC, List<TestMedia.Frame> frames) {
    }

    private HevcMedia() {
    }

    static Path hevc(Path dir, double seconds, int fps, int gop) {
        return TestMedia.ffmpeg(dir, "in.hevc", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=" + fps, "-t",
                String.valueOf(seconds), "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-x265-params", "aud=1:bframes=0:keyint=" + gop + ":min-keyint=" + gop + ":scenecut=0:log-level=error",
                "-f", "hevc");
    }

    /**
     * Splits an H.265 Annex B stream at access unit delimiters (type 35), drops the AUDs and the parameter sets
     * (VPS 32, SPS 33, PPS 34: they go into the hvcC, so the muxer has to put them back before keyframes) and
     * writes 4-byte length prefixes. Keyframes are IRAP pictures (types 16-23, H.265 7.4.2.2).
     */
    static Hevc split(Path file, int fps) throws IOException {
        byte[] f = Files.readAllBytes(file);
        List<byte[]> nals = new ArrayList<>();
        int start = -1;
        for (int i = 0; i + 3 <= f.length; ) {
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
        nals.add(Arrays.copyOfRange(f, start, f.length));
        byte[][] ps = new byte[3][];
        List<TestMedia.Frame> frames = new ArrayList<>();
        ByteArrayOutputStream au = new ByteArrayOutputStream();
        boolean key = false;
        boolean vcl = false;
        for (byte[] nal : nals) {
            int type = (nal[0] >> 1) & 0x3F;
            if (type == 35) {
                if (vcl) {
                    frames.add(new TestMedia.Frame(au.toByteArray(), frames.size() * 1_000_000L / fps, key));
                }
                au.reset();
                key = false;
                vcl = false;
                continue;
            }
            if (type >= 32 && type <= 34) {
                if (ps[type - 32] == null) {
                    ps[type - 32] = nal;
                }
                continue;
            }
            if (type < 32) {
                vcl = true;
                key |= type >= 16 && type <= 23;
            }
            au.writeBytes(ByteBuffer.allocate(4).putInt(nal.length).array());
            au.writeBytes(nal);
        }
        if (vcl) {
            frames.add(new TestMedia.Frame(au.toByteArray(), frames.size() * 1_000_000L / fps, key));
        }
        return new Hevc(hvcC(ps), frames);
    }

    /**
     * ISO/IEC 14496-15 8.3.3.1.2 with the profile/tier/level bytes copied from the SPS's profile_tier_level
     * (H.265 7.3.3, emulation prevention removed: it starts right after the 2-byte NAL header and the sps_video_parameter_set_id,
     * sps_max_sub_layers_minus1 and temporal_id_nesting byte), lengthSizeMinusOne 3, one array per set.
     */
    /** Removes emulation_prevention_three_byte (H.265 7.4.2: 0x03 after two zero bytes). */
    static byte[] unescape(byte[] nal) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int zeros = 0;
        for (byte b : nal) {
            if (zeros >= 2 && b == 3) {
                zeros = 0;
                continue;
            }
            zeros = b == 0 ? zeros + 1 : 0;
            o.write(b);
        }
        return o.toByteArray();
    }

    static byte[] hvcC(byte[][] ps) {
        byte[] sps = unescape(ps[1]);
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        c.write(1);                                  // configurationVersion
        c.writeBytes(Arrays.copyOfRange(sps, 3, 15)); // profile space/tier/idc, 32 compat flags, 48 constraint bits, level
        c.writeBytes(new byte[] {(byte) 0xF0, 0});   // reserved | min_spatial_segmentation_idc 0
        c.write(0xFC);                               // reserved | parallelismType 0
        c.write(0xFD);                               // reserved | chromaFormat 1 (4:2:0)
        c.write(0xF8);                               // reserved | bitDepthLumaMinus8 0
        c.write(0xF8);                               // reserved | bitDepthChromaMinus8 0
        c.writeBytes(new byte[] {0, 0});             // avgFrameRate unknown
        c.write(0x0F);                               // constantFrameRate 0 | numTemporalLayers 1 | nested 1 | lengthSizeMinusOne 3
        c.write(3);                                  // numOfArrays
        for (int i = 0; i < 3; i++) {
            c.write(0x80 | (32 + i));                // array_completeness 1 | NAL_unit_type
            c.writeBytes(new byte[] {0, 1, (byte) (ps[i].length >> 8), (byte) ps[i].length});
            c.writeBytes(ps[i]);
        }
        return c.toByteArray();
    }
}

package io.capstan.webrtc.dtls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Interoperability with an independent SRTP implementation, libsrtp through GStreamer's {@code srtpenc} and
 * {@code srtpdec}. Each packet is written to a file of its own ({@code multifilesink}), so nothing is lost or
 * reframed between the two implementations.
 *
 * <ul>
 *   <li>libsrtp protects (as the browser would, with the DTLS client's key): Opus RTP whose sequence numbers wrap
 *       (ROC 0 to 1) and the sender reports of an {@code rtpbin}; Capstan unprotects every packet to the bytes
 *       GStreamer had before {@code srtpenc}.</li>
 *   <li>Capstan protects (RTP in the client role, RTCP as the server would send its PLI), libsrtp unprotects.</li>
 * </ul>
 *
 * Skipped with a {@code SKIPPED:} line when GStreamer or its srtp plugin is missing (a failure under
 * {@code -Dcapstan.requireTools=true}).
 */
class GstreamerSrtpInteropTest {

    private static final int SSRC = 305419896;

    @BeforeAll
    static void requireGstreamer() {
        String missing = null;
        try {
            Process p = new ProcessBuilder("gst-inspect-1.0", "srtpenc").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                missing = "GStreamer's srtp plugin (srtpenc) is not installed";
            }
        } catch (IOException e) {
            missing = "gst-inspect-1.0 is not installed";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            missing = "interrupted";
        }
        if (missing != null) {
            String msg = missing + ": SRTP interop with libsrtp skipped (apt-get install gstreamer1.0-tools "
                    + "gstreamer1.0-plugins-bad gstreamer1.0-plugins-base; CI runs with -Dcapstan.requireTools=true)";
            if (Boolean.getBoolean("capstan.requireTools")) {
                throw new AssertionError(msg);
            }
            System.err.println("SKIPPED: " + msg);
            Assumptions.abort(msg);
        }
    }

    private static String cipher(SrtpProfile p) {
        return p == SrtpProfile.AEAD_AES_128_GCM ? "aes-128-gcm" : "aes-128-icm";
    }

    private static String auth(SrtpProfile p) {
        return p == SrtpProfile.AEAD_AES_128_GCM ? "null" : "hmac-sha1-80";
    }

    private static SrtpKeys keys(SrtpProfile profile) {
        byte[] m = new byte[SrtpKeys.materialLength(profile)];
        new Random(profile.ordinal() + 11).nextBytes(m);
        return SrtpKeys.fromKeyingMaterial(profile, m);
    }

    private static String hex(byte[] key, byte[] salt) {
        return HexFormat.of().formatHex(key) + HexFormat.of().formatHex(salt);
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void libsrtpProtects_capstanUnprotectsEveryPacket(SrtpProfile profile, @TempDir Path dir) throws Exception {
        SrtpKeys keys = keys(profile);
        String key = hex(keys.clientKey(), keys.clientSalt());
        String c = cipher(profile);
        String a = auth(profile);
        // about 120 Opus packets of 20 ms from sequence number 65500: the sequence wraps after 36 of them
        gst(dir, "rtpbin", "name=b", "rtcp-sync-send-time=false",
                "audiotestsrc", "num-buffers=120", "is-live=true", "!", "opusenc", "!",
                "rtpopuspay", "ssrc=" + SSRC, "seqnum-offset=65500", "!", "b.send_rtp_sink_0",
                "b.send_rtp_src_0", "!", "tee", "name=rt",
                "rt.", "!", "queue", "!", "multifilesink", "location=" + dir.resolve("rtp-plain-%05d.bin"),
                "rt.", "!", "queue", "!", "e.rtp_sink_0",
                "b.send_rtcp_src_0", "!", "tee", "name=ct",
                "ct.", "!", "queue", "!", "multifilesink", "location=" + dir.resolve("rtcp-plain-%05d.bin"),
                "ct.", "!", "queue", "!", "e.rtcp_sink_0",
                "srtpenc", "name=e", "key=" + key, "rtp-cipher=" + c, "rtp-auth=" + a, "rtcp-cipher=" + c,
                "rtcp-auth=" + a,
                "e.rtp_src_0", "!", "multifilesink", "location=" + dir.resolve("rtp-srtp-%05d.bin"),
                "e.rtcp_src_0", "!", "multifilesink", "location=" + dir.resolve("rtcp-srtp-%05d.bin"));

        SrtpSession capstan = SrtpSession.create(keys, SrtpSession.Role.SERVER);
        List<Path> rtp = files(dir, "rtp-srtp-");
        List<Path> rtcp = files(dir, "rtcp-srtp-");
        assertThat(rtp).hasSizeGreaterThanOrEqualTo(100).hasSameSizeAs(files(dir, "rtp-plain-"));
        assertThat(rtcp).as("sender reports").isNotEmpty().hasSameSizeAs(files(dir, "rtcp-plain-"));
        int wrapped = 0;
        for (Path f : rtp) {
            byte[] p = Files.readAllBytes(f);
            int len = capstan.unprotectRtp(p, 0, p.length);
            assertThat(len).as("%s: %s", f.getFileName(), len < 0 ? SrtpDrop.of(len) : "").isPositive();
            byte[] plain = Files.readAllBytes(Path.of(f.toString().replace("rtp-srtp-", "rtp-plain-")));
            assertThat(Arrays.copyOf(p, len)).as(f.getFileName().toString()).isEqualTo(plain);
            int seq = ((p[2] & 0xFF) << 8) | (p[3] & 0xFF);
            wrapped += seq < 1000 ? 1 : 0;
        }
        assertThat(wrapped).as("packets after the sequence wrap (ROC 1)").isEqualTo(rtp.size() - 36);
        for (Path f : rtcp) {
            byte[] p = Files.readAllBytes(f);
            int len = capstan.unprotectRtcp(p, 0, p.length);
            assertThat(len).as("%s: %s", f.getFileName(), len < 0 ? SrtpDrop.of(len) : "").isPositive();
            byte[] plain = Files.readAllBytes(Path.of(f.toString().replace("rtcp-srtp-", "rtcp-plain-")));
            assertThat(Arrays.copyOf(p, len)).isEqualTo(plain);
        }
        assertThat(capstan.stats().dropped()).isZero();
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void capstanProtects_libsrtpUnprotects(SrtpProfile profile, @TempDir Path dir) throws Exception {
        SrtpKeys keys = keys(profile);
        SrtpSession browser = SrtpSession.create(keys, SrtpSession.Role.CLIENT);
        SrtpSession capstan = SrtpSession.create(keys, SrtpSession.Role.SERVER);
        List<byte[]> plainRtp = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int seq = (65510 + i) & 0xFFFF;
            byte[] p = Rtp.packet(seq, 960L * i, SSRC, 200 + i);
            plainRtp.add(Arrays.copyOf(p, Rtp.length(200 + i)));
            int len = browser.protectRtp(p, 0, Rtp.length(200 + i));
            Files.write(dir.resolve(String.format("rtp-srtp-%05d.bin", i)), Arrays.copyOf(p, len));
        }
        List<byte[]> plainRtcp = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] p = Rtp.rtcp(SSRC, 0x0BADCAFE + i);
            plainRtcp.add(Arrays.copyOf(p, Rtp.RTCP_LENGTH));
            int len = capstan.protectRtcp(p, 0, Rtp.RTCP_LENGTH);
            Files.write(dir.resolve(String.format("rtcp-srtp-%05d.bin", i)), Arrays.copyOf(p, len));
        }
        String c = cipher(profile);
        String a = auth(profile);
        // one srtpdec per key: libsrtp keeps one policy per SSRC for RTP and RTCP together
        gst(dir, "srtpdec", "name=d", "srtpdec", "name=d2",
                "multifilesrc", "location=" + dir.resolve("rtp-srtp-%05d.bin"), "index=0", "stop-index=59",
                "caps=" + caps("application/x-srtp", hex(keys.clientKey(), keys.clientSalt()), c, a),
                "!", "d.rtp_sink", "d.rtp_src", "!", "multifilesink", "location=" + dir.resolve("rtp-out-%05d.bin"),
                "multifilesrc", "location=" + dir.resolve("rtcp-srtp-%05d.bin"), "index=0", "stop-index=4",
                "caps=" + caps("application/x-srtcp", hex(keys.serverKey(), keys.serverSalt()), c, a),
                "!", "d2.rtcp_sink", "d2.rtcp_src", "!", "multifilesink",
                "location=" + dir.resolve("rtcp-out-%05d.bin"));
        List<Path> rtpOut = files(dir, "rtp-out-");
        List<Path> rtcpOut = files(dir, "rtcp-out-");
        assertThat(rtpOut).as("RTP packets libsrtp accepted").hasSize(60);
        assertThat(rtcpOut).as("RTCP packets libsrtp accepted").hasSize(5);
        for (int i = 0; i < 60; i++) {
            assertThat(Files.readAllBytes(rtpOut.get(i))).isEqualTo(plainRtp.get(i));
        }
        for (int i = 0; i < 5; i++) {
            assertThat(Files.readAllBytes(rtcpOut.get(i))).isEqualTo(plainRtcp.get(i));
        }
    }

    private static String caps(String media, String key, String cipher, String auth) {
        return media + ",ssrc=(uint)" + SSRC + ",roc=(uint)0,srtp-key=(buffer)" + key
                + ",srtp-cipher=(string)" + cipher + ",srtp-auth=(string)" + auth
                + ",srtcp-cipher=(string)" + cipher + ",srtcp-auth=(string)" + auth;
    }

    private static void gst(Path dir, String... pipeline) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("gst-launch-1.0", "-q"));
        cmd.addAll(List.of(pipeline));
        Path log = dir.resolve("gst.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("gst-launch-1.0 did not finish in 60 s: " + Files.readString(log));
        }
        assertThat(p.exitValue()).as("gst-launch-1.0 exit status; output: %s", Files.readString(log)).isZero();
    }

    private static List<Path> files(Path dir, String prefix) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().startsWith(prefix)).sorted().toList();
        }
    }
}

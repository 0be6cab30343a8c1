package io.capstan.webrtc.dtls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.webrtc.DtlsFingerprint;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The DTLS server against an independent DTLS client over real UDP on loopback: {@code openssl s_client -dtls1_2
 * -use_srtp} (OpenSSL, whose DTLS BoringSSL — Chromium's — descends from) with its own ECDSA P-256 certificate.
 * OpenSSL prints the profile it negotiated and the keying material it exported with {@code EXTRACTOR-dtls_srtp};
 * both must equal Capstan's. Closing s_client's stdin makes it send close_notify, which the close listener must
 * report. Skipped with a {@code SKIPPED:} line when openssl is missing (a failure under
 * {@code -Dcapstan.requireTools=true}).
 */
class OpenSslDtlsInteropTest {

    @TempDir
    static Path dir;
    private static DtlsFingerprint clientFingerprint;
    private static DtlsCertificate capstan;

    private DatagramSocket socket;
    private Thread receiver;
    private PacketQueueTransport transport;
    private Process openssl;

    @BeforeAll
    static void clientCertificate() throws Exception {
        String missing = null;
        try {
            Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir.resolve("key.pem").toString(),
                    "-out", dir.resolve("cert.pem").toString(), "-days", "2", "-subj", "/CN=browser")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                missing = "openssl could not make a certificate";
            }
        } catch (IOException e) {
            missing = "openssl is not installed";
        }
        if (missing != null) {
            String msg = missing + ": DTLS interop with OpenSSL skipped (apt-get install openssl; CI runs with "
                    + "-Dcapstan.requireTools=true)";
            if (Boolean.getBoolean("capstan.requireTools")) {
                throw new AssertionError(msg);
            }
            System.err.println("SKIPPED: " + msg);
            Assumptions.abort(msg);
        }
        String pem = Files.readString(dir.resolve("cert.pem"));
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        clientFingerprint = DtlsFingerprint.sha256(MessageDigest.getInstance("SHA-256").digest(der));
        capstan = DtlsCertificate.generate();
    }

    /** A UDP socket on loopback; the first datagram's source becomes the peer, as ICE would select it. */
    @BeforeEach
    void socket() throws IOException {
        socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        socket.setSoTimeout(100);
        AtomicReference<SocketAddress> peer = new AtomicReference<>();
        transport = new PacketQueueTransport((b, o, l) -> socket.send(new DatagramPacket(b, o, l, peer.get())));
        receiver = new Thread(() -> {
            byte[] buf = new byte[1500];
            while (!socket.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(p);
                } catch (SocketTimeoutException e) {
                    continue;
                } catch (IOException e) {
                    return;
                }
                peer.compareAndSet(null, p.getSocketAddress());
                transport.offer(p.getData(), p.getOffset(), p.getLength());
            }
        }, "test-udp");
        receiver.start();
    }

    @AfterEach
    void close() throws InterruptedException {
        if (openssl != null) {
            openssl.destroyForcibly();
            openssl.waitFor(5, TimeUnit.SECONDS);
        }
        socket.close();
        receiver.join(2000);
    }

    private void startOpenssl(String profiles, int exportLength) throws IOException {
        openssl = new ProcessBuilder("openssl", "s_client", "-dtls1_2", "-connect",
                "127.0.0.1:" + socket.getLocalPort(), "-mtu", "1200", "-use_srtp", profiles,
                "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", String.valueOf(exportLength),
                "-cert", dir.resolve("cert.pem").toString(), "-key", dir.resolve("key.pem").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s_client.log").toFile()).start();
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void opensslClient_negotiatesTheProfile_exportsTheSameKeys_closeNotifyIsReported(SrtpProfile profile)
            throws Exception {
        String name = profile == SrtpProfile.AEAD_AES_128_GCM ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80";
        startOpenssl(name, SrtpKeys.materialLength(profile));
        CompletableFuture<String> closed = new CompletableFuture<>();
        DtlsSrtpConnection c = new DtlsSrtpServer(capstan, clientFingerprint).accept(transport, closed::complete);
        assertThat(c.profile()).isEqualTo(profile);

        openssl.getOutputStream().close(); // stdin EOF: s_client sends close_notify and exits
        assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo("the browser closed the DTLS association (close_notify)");
        assertThat(openssl.waitFor(10, TimeUnit.SECONDS)).isTrue();

        String log = Files.readString(dir.resolve("s_client.log"));
        assertThat(log).contains("SRTP Extension negotiated, profile=" + name);
        Matcher m = Pattern.compile("Keying material: ([0-9A-Fa-f]+)").matcher(log);
        assertThat(m.find()).as("s_client output:%n%s", log).isTrue();
        SrtpKeys k = c.keys();
        String ours = HexFormat.of().formatHex(k.clientKey()) + HexFormat.of().formatHex(k.serverKey())
                + HexFormat.of().formatHex(k.clientSalt()) + HexFormat.of().formatHex(k.serverSalt());
        assertThat(m.group(1).toLowerCase()).isEqualTo(ours);
        assertThat(log).as("extended master secret").containsPattern("Extended master secret: yes");
        c.close();
    }

    @Test
    void opensslClientWithAnotherCertificate_isRefused() throws Exception {
        startOpenssl("SRTP_AEAD_AES_128_GCM", 56);
        DtlsFingerprint other = DtlsCertificate.generate().fingerprint();
        assertThatThrownBy(() -> new DtlsSrtpServer(capstan, other).accept(transport, r -> { }))
                .isInstanceOf(DtlsHandshakeException.class)
                .hasMessageStartingWith("the browser's DTLS certificate does not match a=fingerprint "
                        + other.attributeValue())
                .hasMessageContaining(clientFingerprint.value());
        assertThat(openssl.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(dir.resolve("s_client.log"))).contains("bad certificate");
        assertThat(transport.isClosed()).isTrue();
    }
}

package io.capstan.webrtc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Test fixtures: browser offers from src/test/resources/offers and the local side of an answer. */
final class Offers {

    static final DtlsFingerprint LOCAL_FINGERPRINT = DtlsFingerprint.parse("sha-256 "
            + "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99");

    static final List<InetSocketAddress> CANDIDATES = List.of(
            new InetSocketAddress(address("192.0.2.10"), 50000),
            new InetSocketAddress(address("2001:db8::10"), 50002));

    private Offers() {
    }

    static String load(String name) {
        try (InputStream in = Offers.class.getResourceAsStream("/offers/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test offer " + name);
            }
            // the files are LF; browsers send CRLF
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\n", "\r\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

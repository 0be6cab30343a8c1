package io.capstan.webrtc.dtls;

import io.capstan.webrtc.DtlsFingerprint;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * Checks a peer's certificate against the {@code a=fingerprint} of its SDP (RFC 8122 section 5): the hash
 * functions RFC 8122 allows that the JDK has, compared in constant time.
 */
final class Fingerprints {

    private Fingerprints() {
    }

    /** The JDK name of an SDP hash function, or {@code null} if it is not one Capstan accepts. */
    static String jdkAlgorithm(String sdpName) {
        return switch (sdpName) {
            case "sha-1" -> "SHA-1";
            case "sha-224" -> "SHA-224";
            case "sha-256" -> "SHA-256";
            case "sha-384" -> "SHA-384";
            case "sha-512" -> "SHA-512";
            default -> null;
        };
    }

    /** Whether {@code certificate} (DER) hashes to {@code expected}. */
    static boolean matches(DtlsFingerprint expected, byte[] certificate) {
        byte[] want = hexBytes(expected.value());
        return MessageDigest.isEqual(want, digest(expected.algorithm(), certificate));
    }

    /** The fingerprint of {@code certificate} with the hash function of {@code like}, for messages. */
    static String describe(DtlsFingerprint like, byte[] certificate) {
        StringBuilder b = new StringBuilder(like.algorithm()).append(' ');
        byte[] d = digest(like.algorithm(), certificate);
        for (int i = 0; i < d.length; i++) {
            b.append(i == 0 ? "" : ":").append(String.format(Locale.ROOT, "%02X", d[i] & 0xFF));
        }
        return b.toString();
    }

    private static byte[] digest(String sdpName, byte[] data) {
        try {
            return MessageDigest.getInstance(jdkAlgorithm(sdpName)).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + jdkAlgorithm(sdpName), e);
        }
    }

    private static byte[] hexBytes(String colonHex) {
        String[] pairs = colonHex.split(":");
        byte[] out = new byte[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            out[i] = (byte) Integer.parseInt(pairs[i], 16);
        }
        return out;
    }
}

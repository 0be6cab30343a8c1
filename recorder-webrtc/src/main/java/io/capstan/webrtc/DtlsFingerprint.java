package io.capstan.webrtc;

import java.util.Locale;
import java.util.Objects;

/**
 * A certificate fingerprint as in {@code a=fingerprint:sha-256 AB:CD:...} (RFC 8122 section 5): the hash function
 * (lower case) and the hash as upper-case hex byte pairs separated by colons.
 */
public record DtlsFingerprint(String algorithm, String value) {

    public DtlsFingerprint {
        algorithm = Objects.requireNonNull(algorithm, "algorithm").trim().toLowerCase(Locale.ROOT);
        value = Objects.requireNonNull(value, "value").trim().toUpperCase(Locale.ROOT);
        if (algorithm.isEmpty() || !algorithm.matches("[a-z0-9-]+")) {
            throw new IllegalArgumentException("bad fingerprint hash function '" + algorithm + "'");
        }
        if (!value.matches("[0-9A-F]{2}(:[0-9A-F]{2})+")) {
            throw new IllegalArgumentException("fingerprint is not colon-separated hex byte pairs: '" + value + "'");
        }
    }

    /** A SHA-256 fingerprint from the 32 digest bytes. */
    public static DtlsFingerprint sha256(byte[] digest) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, got " + digest.length);
        }
        StringBuilder b = new StringBuilder();
        for (byte d : digest) {
            if (b.length() > 0) {
                b.append(':');
            }
            b.append(String.format(Locale.ROOT, "%02X", d & 0xFF));
        }
        return new DtlsFingerprint("sha-256", b.toString());
    }

    /** Parses the value of an {@code a=fingerprint} attribute: {@code <hash-func> <fingerprint>}. */
    public static DtlsFingerprint parse(String attributeValue) {
        String[] t = attributeValue.trim().split("\\s+");
        if (t.length != 2) {
            throw new IllegalArgumentException("a=fingerprint needs '<hash-func> <fingerprint>', got '"
                    + attributeValue.trim() + "'");
        }
        return new DtlsFingerprint(t[0], t[1]);
    }

    /** The attribute value, {@code sha-256 AB:CD:...}. */
    public String attributeValue() {
        return algorithm + " " + value;
    }
}

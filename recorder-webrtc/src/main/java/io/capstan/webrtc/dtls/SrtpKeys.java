package io.capstan.webrtc.dtls;

import java.util.Arrays;
import java.util.Objects;

/**
 * The SRTP master keys and salts of one DTLS association, split from the exported keying material as RFC 5764
 * section 4.2 lays it out: {@code client_write_SRTP_master_key | server_write_SRTP_master_key |
 * client_write_SRTP_master_salt | server_write_SRTP_master_salt}, lengths by {@link SrtpProfile}.
 *
 * <p>The arrays are copied in and out; {@link #toString()} never prints key material.
 */
public record SrtpKeys(SrtpProfile profile, byte[] clientKey, byte[] clientSalt, byte[] serverKey, byte[] serverSalt) {

    public SrtpKeys {
        Objects.requireNonNull(profile, "profile");
        clientKey = check(clientKey, profile.keyLength(), "client key");
        serverKey = check(serverKey, profile.keyLength(), "server key");
        clientSalt = check(clientSalt, profile.saltLength(), "client salt");
        serverSalt = check(serverSalt, profile.saltLength(), "server salt");
    }

    /** Bytes of keying material to export for {@code profile}: two keys and two salts. */
    public static int materialLength(SrtpProfile profile) {
        return 2 * (profile.keyLength() + profile.saltLength());
    }

    /** Splits the output of the {@code EXTRACTOR-dtls_srtp} exporter (RFC 5764 section 4.2). */
    public static SrtpKeys fromKeyingMaterial(SrtpProfile profile, byte[] material) {
        if (material.length != materialLength(profile)) {
            throw new IllegalArgumentException(profile.specName() + " needs " + materialLength(profile)
                    + " bytes of keying material, got " + material.length);
        }
        int k = profile.keyLength();
        int s = profile.saltLength();
        return new SrtpKeys(profile,
                Arrays.copyOfRange(material, 0, k),
                Arrays.copyOfRange(material, 2 * k, 2 * k + s),
                Arrays.copyOfRange(material, k, 2 * k),
                Arrays.copyOfRange(material, 2 * k + s, 2 * k + 2 * s));
    }

    @Override
    public byte[] clientKey() {
        return clientKey.clone();
    }

    @Override
    public byte[] clientSalt() {
        return clientSalt.clone();
    }

    @Override
    public byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public byte[] serverSalt() {
        return serverSalt.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SrtpKeys other && profile == other.profile
                && Arrays.equals(clientKey, other.clientKey) && Arrays.equals(clientSalt, other.clientSalt)
                && Arrays.equals(serverKey, other.serverKey) && Arrays.equals(serverSalt, other.serverSalt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(profile, Arrays.hashCode(clientKey), Arrays.hashCode(serverKey));
    }

    @Override
    public String toString() {
        return "SrtpKeys[" + profile.specName() + ", keys hidden]";
    }

    private static byte[] check(byte[] value, int length, String what) {
        Objects.requireNonNull(value, what);
        if (value.length != length) {
            throw new IllegalArgumentException(what + " must have " + length + " bytes, got " + value.length);
        }
        return value.clone();
    }
}

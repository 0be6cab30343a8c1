package io.capstan.webrtc;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.Random;

/**
 * ICE username fragment and password (RFC 8839 section 5.4): {@code ice-char = ALPHA / DIGIT / "+" / "/"}, the
 * ufrag 4-256 characters, the password 22-256 characters.
 */
public record IceCredentials(String ufrag, String pwd) {

    private static final String ICE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    /** Length of generated values: 8 x 6 = 48 random bits (RFC 8839 asks for at least 24) ... */
    static final int UFRAG_LENGTH = 8;
    /** ... and 24 x 6 = 144 random bits for the password (at least 128). */
    static final int PWD_LENGTH = 24;

    public IceCredentials {
        Objects.requireNonNull(ufrag, "ufrag");
        Objects.requireNonNull(pwd, "pwd");
    }

    /** Fresh random credentials. */
    public static IceCredentials random(Random random) {
        return new IceCredentials(randomIceChars(random, UFRAG_LENGTH), randomIceChars(random, PWD_LENGTH));
    }

    public static IceCredentials random() {
        return random(new SecureRandom());
    }

    /** Null when both are well formed, else why not. */
    public String problem() {
        if (ufrag.length() < 4 || ufrag.length() > 256 || !iceChars(ufrag)) {
            return "a=ice-ufrag '" + ufrag + "' is not 4-256 ice-chars (RFC 8839 section 5.4)";
        }
        if (pwd.length() < 22 || pwd.length() > 256 || !iceChars(pwd)) {
            return "a=ice-pwd is not 22-256 ice-chars (RFC 8839 section 5.4)";
        }
        return null;
    }

    private static boolean iceChars(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (ICE_CHARS.indexOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    private static String randomIceChars(Random random, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(ICE_CHARS.charAt(random.nextInt(ICE_CHARS.length())));
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "IceCredentials[ufrag=" + ufrag + ", pwd=(" + pwd.length() + " chars)]";
    }
}

package io.capstan.webrtc.dtls;

/**
 * The SRTP protection profiles Capstan negotiates in the DTLS {@code use_srtp} extension (RFC 5764 section 4.1.2),
 * in order of preference: AES-GCM (RFC 7714 section 14.2) authenticates and encrypts in one pass with a 16-byte
 * tag; AES-CM with HMAC-SHA1-80 (RFC 3711) is what every WebRTC browser also offers.
 */
public enum SrtpProfile {

    /** {@code SRTP_AEAD_AES_128_GCM}: 128-bit key, 96-bit salt, 128-bit tag (RFC 7714 section 14.2). */
    AEAD_AES_128_GCM(0x0007, "SRTP_AEAD_AES_128_GCM", 16, 12, 16),

    /** {@code SRTP_AES128_CM_HMAC_SHA1_80}: 128-bit key, 112-bit salt, 80-bit tag (RFC 5764 section 4.1.2). */
    AES128_CM_HMAC_SHA1_80(0x0001, "SRTP_AES128_CM_HMAC_SHA1_80", 16, 14, 10);

    private final int id;
    private final String specName;
    private final int keyLength;
    private final int saltLength;
    private final int tagLength;

    SrtpProfile(int id, String specName, int keyLength, int saltLength, int tagLength) {
        this.id = id;
        this.specName = specName;
        this.keyLength = keyLength;
        this.saltLength = saltLength;
        this.tagLength = tagLength;
    }

    /** The two-byte SRTPProtectionProfile value of the {@code use_srtp} extension. */
    public int id() {
        return id;
    }

    /** The name the RFCs give it, e.g. {@code SRTP_AEAD_AES_128_GCM}. */
    public String specName() {
        return specName;
    }

    /** Master key length in bytes. */
    public int keyLength() {
        return keyLength;
    }

    /** Master salt length in bytes. */
    public int saltLength() {
        return saltLength;
    }

    /** Bytes of authentication tag each SRTP or SRTCP packet carries. */
    public int tagLength() {
        return tagLength;
    }

    /** The profile with this {@code use_srtp} value, or {@code null} if Capstan does not implement it. */
    static SrtpProfile byId(int id) {
        for (SrtpProfile p : values()) {
            if (p.id == id) {
                return p;
            }
        }
        return null;
    }
}

package io.capstan.webrtc.dtls;

/**
 * The SRTP key derivation (RFC 3711 section 4.3) with the AES-CM PRF (section 4.3.3) and key_derivation_rate 0,
 * which is what DTLS-SRTP uses (RFC 5764 section 4.1.2), for both profiles (RFC 7714 section 11 keeps it for GCM).
 *
 * <p>{@code x = (label << 48) XOR master_salt}, the salt in the first bytes of a 14-byte field (a 12-byte GCM salt
 * is followed by two zero bytes, as libsrtp and pion do), and the session key is the AES-CM keystream from
 * {@code IV = x * 2^16} under the master key.
 */
final class SrtpKdf {

    static final int RTP_ENCRYPTION = 0x00;
    static final int RTP_AUTHENTICATION = 0x01;
    static final int RTP_SALT = 0x02;
    static final int RTCP_ENCRYPTION = 0x03;
    static final int RTCP_AUTHENTICATION = 0x04;
    static final int RTCP_SALT = 0x05;

    private final AesCtr prf;
    private final byte[] masterSalt;

    SrtpKdf(byte[] masterKey, byte[] masterSalt) {
        this.prf = new AesCtr(masterKey);
        this.masterSalt = masterSalt.clone();
    }

    byte[] derive(int label, int length) {
        byte[] iv = new byte[16];
        System.arraycopy(masterSalt, 0, iv, 0, masterSalt.length);
        iv[7] ^= (byte) label;
        byte[] out = new byte[length];
        prf.xor(iv, out, 0, length);
        return out;
    }
}

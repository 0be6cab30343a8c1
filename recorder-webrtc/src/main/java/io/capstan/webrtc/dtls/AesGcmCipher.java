package io.capstan.webrtc.dtls;

/**
 * {@code SRTP_AEAD_AES_128_GCM} (RFC 7714): AES-128-GCM with a 16-byte tag; the AAD is the part of the packet
 * that stays in clear.
 *
 * <pre>
 * SRTP  (section 8.1):   header (AAD) | ciphertext | tag(16)
 * SRTCP (section 9.1):   header(8) | ciphertext | tag(16) | E|index(4)      AAD = header(8) || E|index
 *                        (E = 0: the whole RTCP packet || E|index is AAD, the ciphertext is empty)
 * IV    (section 8.1):   salt XOR 00 00 | SSRC | ROC | SEQ          (RTP)
 *       (section 9.1):   salt XOR 00 00 | SSRC | 00 00 | 0|index    (RTCP)
 * J0 = IV || 00000001, payload counters from J0 + 1, tag = GHASH(AAD, C) XOR E(K, J0) (NIST SP 800-38D 7.1)
 * </pre>
 */
final class AesGcmCipher implements SrtpCipher {

    static final int TAG = 16;
    private static final int KEY = 16;
    private static final int SALT = 12;

    private final AesCtr aes;
    private final Ghash ghash;
    private final byte[] salt;
    private final byte[] iv = new byte[16];
    private final byte[] hash = new byte[16];
    private final byte[] mask = new byte[16];

    AesGcmCipher(byte[] masterKey, byte[] masterSalt, boolean rtcp) {
        SrtpKdf kdf = new SrtpKdf(masterKey, masterSalt);
        aes = new AesCtr(kdf.derive(rtcp ? SrtpKdf.RTCP_ENCRYPTION : SrtpKdf.RTP_ENCRYPTION, KEY));
        salt = kdf.derive(rtcp ? SrtpKdf.RTCP_SALT : SrtpKdf.RTP_SALT, SALT);
        byte[] h = new byte[16];
        aes.encryptBlock(new byte[16], h);
        ghash = new Ghash(h);
    }

    @Override
    public boolean unprotectRtp(byte[] buf, int off, int len, int headerLength, int ssrc, long index) {
        int ciphertext = len - TAG - headerLength;
        setIv(ssrc, (int) (index >>> 16), (int) (index & 0xFFFF));
        ghash.reset();
        ghash.update(buf, off, headerLength);
        ghash.pad();
        ghash.update(buf, off + headerLength, ciphertext);
        if (!tagMatches(headerLength, ciphertext, buf, off + len - TAG)) {
            return false;
        }
        counter(2);
        aes.xor(iv, buf, off + headerLength, ciphertext);
        return true;
    }

    @Override
    public void protectRtp(byte[] buf, int off, int len, int headerLength, int ssrc, long index) {
        int plaintext = len - headerLength;
        setIv(ssrc, (int) (index >>> 16), (int) (index & 0xFFFF));
        counter(2);
        aes.xor(iv, buf, off + headerLength, plaintext);
        ghash.reset();
        ghash.update(buf, off, headerLength);
        ghash.pad();
        ghash.update(buf, off + headerLength, plaintext);
        writeTag(headerLength, plaintext, buf, off + len);
    }

    @Override
    public int rtcpIndexOffset(int len) {
        return len - 4;
    }

    @Override
    public boolean unprotectRtcp(byte[] buf, int off, int len, int ssrc, int indexWord) {
        int tagAt = len - 4 - TAG;
        boolean encrypted = indexWord < 0;
        int clear = encrypted ? 8 : tagAt;
        int ciphertext = tagAt - clear;
        setIv(ssrc, 0, 0);
        SrtpCipher.putInt(iv, 8, indexWord & 0x7FFFFFFF);
        xorSalt(8, 12);
        ghash.reset();
        ghash.update(buf, off, clear);
        ghash.update(buf, off + len - 4, 4);
        ghash.pad();
        ghash.update(buf, off + clear, ciphertext);
        if (!tagMatches(clear + 4, ciphertext, buf, off + tagAt)) {
            return false;
        }
        counter(2);
        aes.xor(iv, buf, off + clear, ciphertext);
        return true;
    }

    @Override
    public int protectRtcp(byte[] buf, int off, int len, int ssrc, int index) {
        setIv(ssrc, 0, 0);
        SrtpCipher.putInt(iv, 8, index);
        xorSalt(8, 12);
        SrtpCipher.putInt(buf, off + len + TAG, 0x80000000 | index);
        counter(2);
        aes.xor(iv, buf, off + 8, len - 8);
        ghash.reset();
        ghash.update(buf, off, 8);
        ghash.update(buf, off + len + TAG, 4);
        ghash.pad();
        ghash.update(buf, off + 8, len - 8);
        writeTag(12, len - 8, buf, off + len);
        return len + TAG + 4;
    }

    /** IV bytes 0..11 = salt XOR (00 00 | SSRC | word | low16), counter J0 = 1. */
    private void setIv(int ssrc, int word, int low16) {
        iv[0] = 0;
        iv[1] = 0;
        SrtpCipher.putInt(iv, 2, ssrc);
        SrtpCipher.putInt(iv, 6, word);
        iv[10] = (byte) (low16 >>> 8);
        iv[11] = (byte) low16;
        xorSalt(0, 12);
        counter(1);
    }

    private void xorSalt(int from, int to) {
        for (int i = from; i < to; i++) {
            iv[i] ^= salt[i];
        }
    }

    private void counter(int value) {
        SrtpCipher.putInt(iv, 12, value);
    }

    private boolean tagMatches(long aadBytes, long ciphertextBytes, byte[] buf, int tagOff) {
        ghash.finish(aadBytes, ciphertextBytes, hash);
        counter(1);
        aes.encryptBlock(iv, mask);
        int diff = 0;
        for (int i = 0; i < TAG; i++) {
            diff |= hash[i] ^ mask[i] ^ buf[tagOff + i];
        }
        return diff == 0;
    }

    private void writeTag(long aadBytes, long ciphertextBytes, byte[] buf, int tagOff) {
        ghash.finish(aadBytes, ciphertextBytes, hash);
        counter(1);
        aes.encryptBlock(iv, mask);
        for (int i = 0; i < TAG; i++) {
            buf[tagOff + i] = (byte) (hash[i] ^ mask[i]);
        }
    }
}

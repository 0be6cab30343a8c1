package io.capstan.webrtc.dtls;

/**
 * {@code SRTP_AES128_CM_HMAC_SHA1_80}: AES-128 in counter mode (RFC 3711 section 4.1.1) and an 80-bit
 * HMAC-SHA1 tag (section 4.2.1).
 *
 * <pre>
 * SRTP  (RFC 3711 section 3.1):  header | encrypted payload | tag(10)         tag over header..payload || ROC
 * SRTCP (RFC 3711 section 3.4):  header(8) | encrypted rest | E|index(4) | tag(10)   tag over all before it
 * IV    (section 4.1.1):         (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16)
 * </pre>
 */
final class AesCmHmacSha1Cipher implements SrtpCipher {

    static final int TAG = 10;
    private static final int KEY = 16;
    private static final int SALT = 14;

    private final AesCtr aes;
    private final HmacSha1 hmac;
    private final byte[] salt;
    private final byte[] iv = new byte[16];
    private final byte[] mac = new byte[HmacSha1.LENGTH];
    private final byte[] roc = new byte[4];

    AesCmHmacSha1Cipher(byte[] masterKey, byte[] masterSalt, boolean rtcp) {
        SrtpKdf kdf = new SrtpKdf(masterKey, masterSalt);
        aes = new AesCtr(kdf.derive(rtcp ? SrtpKdf.RTCP_ENCRYPTION : SrtpKdf.RTP_ENCRYPTION, KEY));
        hmac = new HmacSha1(kdf.derive(rtcp ? SrtpKdf.RTCP_AUTHENTICATION : SrtpKdf.RTP_AUTHENTICATION,
                HmacSha1.LENGTH));
        salt = kdf.derive(rtcp ? SrtpKdf.RTCP_SALT : SrtpKdf.RTP_SALT, SALT);
    }

    @Override
    public boolean unprotectRtp(byte[] buf, int off, int len, int headerLength, int ssrc, long index) {
        int authenticated = len - TAG;
        SrtpCipher.putInt(roc, 0, (int) (index >>> 16));
        hmac.mac(buf, off, authenticated, roc, 4, mac);
        if (!SrtpCipher.constantTimeEquals(mac, 0, buf, off + authenticated, TAG)) {
            return false;
        }
        setIv(ssrc, index);
        aes.xor(iv, buf, off + headerLength, authenticated - headerLength);
        return true;
    }

    @Override
    public void protectRtp(byte[] buf, int off, int len, int headerLength, int ssrc, long index) {
        setIv(ssrc, index);
        aes.xor(iv, buf, off + headerLength, len - headerLength);
        SrtpCipher.putInt(roc, 0, (int) (index >>> 16));
        hmac.mac(buf, off, len, roc, 4, mac);
        System.arraycopy(mac, 0, buf, off + len, TAG);
    }

    @Override
    public int rtcpIndexOffset(int len) {
        return len - TAG - 4;
    }

    @Override
    public boolean unprotectRtcp(byte[] buf, int off, int len, int ssrc, int indexWord) {
        int authenticated = len - TAG;
        hmac.mac(buf, off, authenticated, roc, 0, mac);
        if (!SrtpCipher.constantTimeEquals(mac, 0, buf, off + authenticated, TAG)) {
            return false;
        }
        if (indexWord < 0) { // E flag: the packet after the first 8 bytes is encrypted
            setIv(ssrc, indexWord & 0x7FFFFFFF);
            aes.xor(iv, buf, off + 8, authenticated - 4 - 8);
        }
        return true;
    }

    @Override
    public int protectRtcp(byte[] buf, int off, int len, int ssrc, int index) {
        setIv(ssrc, index);
        aes.xor(iv, buf, off + 8, len - 8);
        SrtpCipher.putInt(buf, off + len, 0x80000000 | index);
        hmac.mac(buf, off, len + 4, roc, 0, mac);
        System.arraycopy(mac, 0, buf, off + len + 4, TAG);
        return len + 4 + TAG;
    }

    private void setIv(int ssrc, long index) {
        System.arraycopy(salt, 0, iv, 0, SALT);
        iv[14] = 0;
        iv[15] = 0;
        iv[4] ^= (byte) (ssrc >>> 24);
        iv[5] ^= (byte) (ssrc >>> 16);
        iv[6] ^= (byte) (ssrc >>> 8);
        iv[7] ^= (byte) ssrc;
        for (int i = 0; i < 6; i++) {
            iv[8 + i] ^= (byte) (index >>> (40 - 8 * i));
        }
    }
}

package io.capstan.webrtc.dtls;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES in counter mode over the JDK's AES (hardware-accelerated where the CPU has AES instructions): the counter
 * blocks of a whole packet are encrypted in one ECB call into a reused keystream buffer, so a packet costs no
 * allocation and no cipher re-initialisation.
 *
 * <p>Block {@code j} of the keystream is {@code E(K, iv + j)} where the addition is on the last 32 bits of the
 * 16-byte {@code iv}: SRTP's AES-CM (RFC 3711 section 4.1.1: the low 16 bits of the IV are zero, so there is no
 * carry) and GCM's {@code inc32} (NIST SP 800-38D section 6.2) are both this. Not thread-safe.
 */
final class AesCtr {

    private static final int BLOCK = 16;

    private final Cipher ecb;
    private byte[] counters = new byte[BLOCK * 100];
    private byte[] keystream = new byte[BLOCK * 100];

    AesCtr(byte[] key) {
        try {
            ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no AES/ECB/NoPadding", e);
        }
    }

    /** XORs {@code buf[off, off + len)} with the keystream starting at counter block {@code iv}. */
    void xor(byte[] iv, byte[] buf, int off, int len) {
        if (len <= 0) {
            return;
        }
        int blocks = (len + BLOCK - 1) / BLOCK;
        int bytes = blocks * BLOCK;
        if (counters.length < bytes) {
            counters = new byte[bytes];
            keystream = new byte[bytes];
        }
        int base = ((iv[12] & 0xFF) << 24) | ((iv[13] & 0xFF) << 16) | ((iv[14] & 0xFF) << 8) | (iv[15] & 0xFF);
        for (int j = 0, p = 0; j < blocks; j++, p += BLOCK) {
            System.arraycopy(iv, 0, counters, p, 12);
            int c = base + j;
            counters[p + 12] = (byte) (c >>> 24);
            counters[p + 13] = (byte) (c >>> 16);
            counters[p + 14] = (byte) (c >>> 8);
            counters[p + 15] = (byte) c;
        }
        encrypt(counters, keystream, bytes);
        for (int i = 0; i < len; i++) {
            buf[off + i] ^= keystream[i];
        }
    }

    /** {@code out = E(K, in)} for one block. */
    void encryptBlock(byte[] in, byte[] out) {
        encrypt(in, out, BLOCK);
    }

    private void encrypt(byte[] in, byte[] out, int length) {
        try {
            ecb.update(in, 0, length, out, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES failed on whole blocks", e);
        }
    }
}

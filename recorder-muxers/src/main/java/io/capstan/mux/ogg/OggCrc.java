package io.capstan.mux.ogg;

/**
 * The Ogg page checksum (RFC 3533 section 6, libogg {@code framing.c}): CRC-32 with generator polynomial
 * 0x04c11db7, initial value 0, no reflection of input or output, no final XOR, computed over the whole page with
 * the checksum field set to zero. Table-driven, one byte at a time.
 */
public final class OggCrc {

    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int r = i << 24;
            for (int k = 0; k < 8; k++) {
                r = (r & 0x8000_0000) != 0 ? (r << 1) ^ 0x04c1_1db7 : r << 1;
            }
            TABLE[i] = r;
        }
    }

    private OggCrc() {
    }

    public static int update(int crc, byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ b[i]) & 0xFF];
        }
        return crc;
    }

    public static int of(byte[] b, int off, int len) {
        return update(0, b, off, len);
    }
}

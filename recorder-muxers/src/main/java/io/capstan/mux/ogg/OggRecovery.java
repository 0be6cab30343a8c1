package io.capstan.mux.ogg;

import io.capstan.mux.common.Reads;
import io.capstan.mux.common.Repair;
import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Repairs an Ogg file whose recording was interrupted: keeps every page up to the last one that is complete and
 * whose CRC checks (RFC 3533 section 6), cuts the rest, and sets the end-of-stream flag on the last page (with
 * its CRC recomputed) so players and {@code oggz-validate} see a properly ended stream. Every page
 * {@link OggOpusMuxer} writes ends with a complete packet and carries its granule position, so the last kept
 * page gives the exact playback length.
 */
public final class OggRecovery {

    private static final int HEADER = 27;

    private OggRecovery() {
    }

    public static boolean sniff(byte[] head, int len) {
        return len >= 4 && head[0] == 'O' && head[1] == 'g' && head[2] == 'g' && head[3] == 'S';
    }

    public static Repair recover(SeekableOutput f) throws IOException {
        long size = f.size();
        long pos = 0;
        long lastPage = -1;
        int lastPageLen = 0;
        byte[] page = new byte[HEADER + 255 + 255 * 255];
        int pages = 0;
        while (pos < size) {
            int n = Reads.readFully(f, pos, page, HEADER);
            if (n < HEADER || !sniff(page, n) || page[4] != 0) {
                break;
            }
            int nseg = page[26] & 0xFF;
            n = Reads.readFully(f, pos, page, HEADER + nseg);
            if (n < HEADER + nseg) {
                break;
            }
            int body = 0;
            for (int i = 0; i < nseg; i++) {
                body += page[HEADER + i] & 0xFF;
            }
            int len = HEADER + nseg + body;
            if (Reads.readFully(f, pos, page, len) < len || !crcOk(page, len)) {
                break;
            }
            lastPage = pos;
            lastPageLen = len;
            pages++;
            pos += len;
        }
        if (lastPage < 0) {
            throw new IOException("no complete Ogg page in the file");
        }
        StringBuilder action = new StringBuilder();
        if (pos < size) {
            f.truncate(pos);
            action.append("cut ").append(size - pos).append(" bytes of an incomplete page; ");
        }
        Reads.readFully(f, lastPage, page, lastPageLen);
        if ((page[5] & 0x04) == 0) {
            page[5] |= 0x04; // header_type_flag: eos (RFC 3533 section 6)
            page[22] = page[23] = page[24] = page[25] = 0;
            int crc = OggCrc.of(page, 0, lastPageLen);
            page[22] = (byte) crc;
            page[23] = (byte) (crc >>> 8);
            page[24] = (byte) (crc >>> 16);
            page[25] = (byte) (crc >>> 24);
            long end = f.size();
            f.position(lastPage + 5);
            f.write(ByteBuffer.wrap(page, 5, 1));
            f.position(lastPage + 22);
            f.write(ByteBuffer.wrap(page, 22, 4));
            f.position(end);
            action.append("marked the last page end-of-stream; ");
        }
        String a = action.length() == 0 ? "nothing to repair" : action.substring(0, action.length() - 2);
        return new Repair("ogg", size, pos, a + " (" + pages + " pages kept)");
    }

    private static boolean crcOk(byte[] page, int len) {
        int stored = (page[22] & 0xFF) | (page[23] & 0xFF) << 8 | (page[24] & 0xFF) << 16 | (page[25] & 0xFF) << 24;
        byte[] c = {page[22], page[23], page[24], page[25]};
        page[22] = page[23] = page[24] = page[25] = 0;
        int crc = OggCrc.of(page, 0, len);
        page[22] = c[0];
        page[23] = c[1];
        page[24] = c[2];
        page[25] = c[3];
        return crc == stored;
    }
}

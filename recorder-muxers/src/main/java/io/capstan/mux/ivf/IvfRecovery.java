package io.capstan.mux.ivf;

import io.capstan.mux.common.Reads;
import io.capstan.mux.common.Repair;
import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Repairs an IVF file whose recording was interrupted: keeps the frames that are complete, cuts a half-written
 * one, and writes the length (offset 24, in time base units: last pts plus one frame step) and the frame count
 * (offset 28) that {@link IvfMuxer} patches on close.
 */
public final class IvfRecovery {

    private IvfRecovery() {
    }

    public static boolean sniff(byte[] head, int len) {
        return len >= 4 && head[0] == 'D' && head[1] == 'K' && head[2] == 'I' && head[3] == 'F';
    }

    public static Repair recover(SeekableOutput f) throws IOException {
        long size = f.size();
        byte[] h = new byte[32];
        if (Reads.readFully(f, 0, h, 32) < 32 || !sniff(h, 32)) {
            throw new IOException("not an IVF file (no complete DKIF header)");
        }
        int headerLen = (h[6] & 0xFF) | (h[7] & 0xFF) << 8;
        if (headerLen > size) {
            // nothing of it can be kept; without this the repair reported more bytes kept than the file has
            throw new IOException("not an IVF file (its header claims " + headerLen + " bytes, the file has " + size
                    + ")");
        }
        long pos = Math.max(32, headerLen);
        long frames = 0;
        long lastPts = -1;
        long step = 0;
        byte[] fh = new byte[12];
        while (pos + 12 <= size && Reads.readFully(f, pos, fh, 12) == 12) {
            long len = le(fh, 0, 4);
            if (pos + 12 + len > size) {
                break;
            }
            long pts = le(fh, 4, 8);
            if (lastPts >= 0 && pts > lastPts) {
                step = pts - lastPts;
            }
            lastPts = pts;
            frames++;
            pos += 12 + len;
        }
        StringBuilder action = new StringBuilder();
        if (pos < size) {
            f.truncate(pos);
            action.append("cut ").append(size - pos).append(" bytes of an incomplete frame; ");
        }
        long length = lastPts < 0 ? 0 : lastPts + step;
        byte[] tail = new byte[8];
        for (int i = 0; i < 4; i++) {
            tail[i] = (byte) (length >>> (8 * i));
            tail[4 + i] = (byte) (frames >>> (8 * i));
        }
        long end = f.size();
        f.position(24);
        f.write(ByteBuffer.wrap(tail));
        f.position(end);
        action.append("wrote length and frame count (").append(frames).append(" frames)");
        return new Repair("ivf", size, pos, action.toString());
    }

    private static long le(byte[] b, int off, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }
}

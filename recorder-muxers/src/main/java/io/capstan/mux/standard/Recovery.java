package io.capstan.mux.standard;

import io.capstan.mux.common.FileChannelOutput;
import io.capstan.mux.common.Reads;
import io.capstan.mux.common.Repair;
import io.capstan.mux.ivf.IvfRecovery;
import io.capstan.mux.mp4.Mp4Recovery;
import io.capstan.mux.ogg.OggRecovery;
import io.capstan.mux.webm.MatroskaRecovery;
import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns a file left by an interrupted recording (the process was killed, the disk filled up) into a finalized
 * one, in place, keeping everything that was completely written. The container is recognized from the file's
 * first bytes:
 * <ul>
 *   <li>MP4: the fragments become a progressive, moov-first file ({@code Mp4Recovery})</li>
 *   <li>WebM / Matroska: cut at the last complete block, sizes and Duration set ({@link MatroskaRecovery})</li>
 *   <li>Ogg: cut at the last complete page, end-of-stream set ({@link OggRecovery})</li>
 *   <li>IVF: cut at the last complete frame, length and frame count set ({@link IvfRecovery})</li>
 *   <li>MPEG-TS: cut to whole 188-byte packets (nothing else needs finalizing)</li>
 * </ul>
 */
public final class Recovery {

    private Recovery() {
    }

    /** Repairs {@code file} in place. */
    public static Repair recover(Path file) throws IOException {
        try (FileChannelOutput out = FileChannelOutput.open(file)) {
            Repair r = recover(out);
            out.force();
            return r;
        }
    }

    /** Repairs what {@code file} holds. */
    public static Repair recover(SeekableOutput file) throws IOException {
        byte[] head = new byte[16];
        int n = Reads.readFully(file, 0, head, head.length);
        if (n == 0) {
            throw new IOException("the file is empty: nothing was recorded");
        }
        if (MatroskaRecovery.sniff(head, n)) {
            return MatroskaRecovery.recover(file);
        }
        if (OggRecovery.sniff(head, n)) {
            return OggRecovery.recover(file);
        }
        if (IvfRecovery.sniff(head, n)) {
            return IvfRecovery.recover(file);
        }
        if (n >= 8 && head[4] == 'f' && head[5] == 't' && head[6] == 'y' && head[7] == 'p') {
            return recoverMp4(file);
        }
        if ((head[0] & 0xFF) == 0x47) {
            return recoverTs(file);
        }
        throw new IOException("not a file Capstan writes (MP4, WebM/Matroska, Ogg, IVF or MPEG-TS)");
    }

    private static Repair recoverMp4(SeekableOutput file) throws IOException {
        long before = file.size();
        Mp4Recovery.Result r = Mp4Recovery.recover(file);
        if (r.alreadyFinalized()) {
            return new Repair("mp4", before, r.fileSize(), "already complete (a finalized progressive MP4)");
        }
        String action = (r.truncatedBytes() > 0 ? "cut " + r.truncatedBytes() + " bytes of an incomplete fragment; " : "")
                + "indexed " + r.fragments() + " fragment(s), " + r.samples() + " samples into a progressive MP4 with "
                + (r.moovAtEnd() ? "the moov after the media (the reserve was too small)" : "the moov before the media");
        return new Repair("mp4", before, r.fileSize(), action);
    }

    /** ISO/IEC 13818-1 2.4.3.2: every transport packet is 188 bytes starting with sync_byte 0x47. */
    private static Repair recoverTs(SeekableOutput f) throws IOException {
        long size = f.size();
        long whole = size - size % 188;
        byte[] b = new byte[1];
        // drop a last packet whose sync byte is wrong too (a torn write)
        while (whole >= 188 && (Reads.readFully(f, whole - 188, b, 1) < 1 || (b[0] & 0xFF) != 0x47)) {
            whole -= 188;
        }
        if (whole == 0) {
            throw new IOException("no complete transport packet in the file");
        }
        if (whole == size) {
            return new Repair("mpegts", size, size, "nothing to repair");
        }
        f.truncate(whole);
        return new Repair("mpegts", size, whole, "cut " + (size - whole) + " bytes of an incomplete packet");
    }
}

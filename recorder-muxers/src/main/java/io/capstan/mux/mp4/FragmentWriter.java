package io.capstan.mux.mp4;

import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.OutputWriter;

import java.io.IOException;
import java.util.List;

/**
 * Writes one movie fragment (ISO/IEC 14496-12 8.8) of every track's staged samples: a {@code moof} and the
 * {@code mdat} holding the samples, track after track. The moof is built in a buffer kept for the writer's
 * life, so writing a fragment allocates nothing once the buffer has grown to the largest fragment. Usable on its
 * own for DASH/HLS media segments: {@link #write} goes to any {@link OutputWriter}.
 * <pre>
 * moof
 * ├── mfhd                 sequence_number, 1, 2, ...                                   (8.8.5)
 * └── traf per track with samples                                                       (8.8.6)
 *     ├── tfhd v0          flags 0x020000 default-base-is-moof, track_ID                (8.8.7)
 *     ├── tfdt v1          baseMediaDecodeTime (64 bit), the track's decode time         (8.8.12)
 *     └── trun v0          flags 0x000701: data-offset, then per sample duration, size, flags (8.8.8)
 * mdat                     samples of track 1, then track 2, ...                         (8.1.1)
 * </pre>
 * With {@code placeholder}, the moof is written with the type {@code free}; the caller turns it into
 * {@code moof} once the whole mdat is in the file, so a reader of a file cut anywhere never sees a fragment
 * whose samples are not all there.
 */
final class FragmentWriter {

    static final int TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
    static final int TRUN_DATA_OFFSET = 0x000001;
    static final int TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
    static final int TRUN_DURATION = 0x000100;
    static final int TRUN_SIZE = 0x000200;
    static final int TRUN_FLAGS = 0x000400;
    static final int TRUN_CTS = 0x000800;
    static final byte[] MOOF_TYPE = {'m', 'o', 'o', 'f'};

    private final ByteBuilder moof = new ByteBuilder(4096);
    private final byte[] mdatHeader = new byte[16];
    private int sequence;

    /** Fragments written so far. */
    int sequence() {
        return sequence;
    }

    static boolean anyStaged(List<Track> tracks) {
        for (int i = 0; i < tracks.size(); i++) {
            if (tracks.get(i).count > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes the staged samples of all tracks as one fragment and clears them. Returns the logical position of
     * the moof in {@code out}.
     */
    long write(OutputWriter out, List<Track> tracks, boolean placeholder) throws IOException {
        long total = 0;
        int moofSize = 8 + 16;                             // moof header + mfhd
        for (int i = 0; i < tracks.size(); i++) {
            Track t = tracks.get(i);
            if (t.count > 0) {
                moofSize += 8 + 16 + 20 + 20 + 12 * t.count; // traf + tfhd + tfdt v1 + trun header + samples
                total += t.stagedBytes;
            }
        }
        boolean large = total + 8 > 0xFFFFFFFFL;
        int mdatHeaderSize = large ? 16 : 8;
        sequence++;
        moof.reset();
        int at = Boxes.begin(moof, placeholder ? Boxes.FREE : Boxes.MOOF);
        int mfhd = Boxes.beginFull(moof, Boxes.MFHD, 0, 0);
        moof.uBE(sequence, 4);                             // sequence_number
        Boxes.end(moof, mfhd);
        long dataOffset = moofSize + mdatHeaderSize;        // relative to the moof (default-base-is-moof)
        for (int i = 0; i < tracks.size(); i++) {
            Track t = tracks.get(i);
            if (t.count == 0) {
                continue;
            }
            int traf = Boxes.begin(moof, Boxes.TRAF);
            int tfhd = Boxes.beginFull(moof, Boxes.TFHD, 0, TFHD_DEFAULT_BASE_IS_MOOF);
            moof.uBE(t.trackId, 4);                        // track_ID
            Boxes.end(moof, tfhd);
            int tfdt = Boxes.beginFull(moof, Boxes.TFDT, 1, 0);
            moof.uBE(t.fragmentBaseTime, 8);               // baseMediaDecodeTime
            Boxes.end(moof, tfdt);
            int trun = Boxes.beginFull(moof, Boxes.TRUN, 0, TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS);
            moof.uBE(t.count, 4);                          // sample_count
            moof.uBE(dataOffset, 4);                       // data_offset (signed 32, always small and positive)
            for (int s = 0; s < t.count; s++) {
                moof.uBE(t.durations[s] & 0xFFFFFFFFL, 4); // sample_duration
                moof.uBE(t.sizes[s] & 0xFFFFFFFFL, 4);     // sample_size
                moof.uBE(t.flags[s] & 0xFFFFFFFFL, 4);     // sample_flags (8.8.3.1)
            }
            Boxes.end(moof, trun);
            Boxes.end(moof, traf);
            dataOffset += t.stagedBytes;
        }
        Boxes.end(moof, at);
        if (moof.length() != moofSize) {
            throw new IllegalStateException("moof size " + moof.length() + " != computed " + moofSize);
        }
        long moofPos = out.position();
        out.write(moof);
        int h = 0;
        if (large) {
            h = putU32(mdatHeader, h, 1);                  // size 1: a 64-bit largesize follows the type
            h = putU32(mdatHeader, h, Boxes.MDAT);
            long size = total + 16;
            h = putU32(mdatHeader, h, (int) (size >>> 32));
            h = putU32(mdatHeader, h, (int) size);
        } else {
            h = putU32(mdatHeader, h, (int) (total + 8));
            h = putU32(mdatHeader, h, Boxes.MDAT);
        }
        out.write(mdatHeader, 0, h);
        for (int i = 0; i < tracks.size(); i++) {
            Track t = tracks.get(i);
            if (t.count > 0) {
                out.write(t.data, 0, t.stagedBytes);
                t.clearStaged();
            }
        }
        return moofPos;
    }

    private static int putU32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
        return at + 4;
    }
}

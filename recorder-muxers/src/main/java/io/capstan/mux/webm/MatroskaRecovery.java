package io.capstan.mux.webm;

import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.Reads;
import io.capstan.mux.common.Repair;
import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Repairs a WebM/Matroska file whose recording was interrupted (process killed, disk full): the Segment and the
 * last Cluster still have unknown sizes (RFC 9559 section 6.2) and the tail may end inside a block.
 * <ol>
 *   <li>walk the Segment's top-level elements, and the children of each Cluster, up to the last element that is
 *       complete in the file; cut the file there (a half-written block is dropped);</li>
 *   <li>patch unknown 8-octet sizes of the Clusters and the Segment to their real sizes;</li>
 *   <li>write Info/Duration into the placeholder {@link MatroskaMuxer} reserves for it (the largest block end of
 *       any track, in TimestampScale units).</li>
 * </ol>
 * The Cues are not rebuilt: players seek by reading Cluster timestamps. A file that was finalized is left alone.
 */
public final class MatroskaRecovery {

    private static final long UNKNOWN = -1;

    private MatroskaRecovery() {
    }

    /** True when the file starts with an EBML header (RFC 8794 section 8.1). */
    public static boolean sniff(byte[] head, int len) {
        return len >= 4 && (head[0] & 0xFF) == 0x1A && (head[1] & 0xFF) == 0x45 && (head[2] & 0xFF) == 0xDF
                && (head[3] & 0xFF) == 0xA3;
    }

    public static Repair recover(SeekableOutput file) throws IOException {
        return new MatroskaRecovery.Walker(file).run();
    }

    private static final class Walker {
        private final SeekableOutput f;
        private final long fileSize;
        private final byte[] hdr = new byte[12];
        // element header being read
        private int id;
        private int headerLen;
        private int sizeLen;
        private long size;
        // what we learn
        private long timestampScale = 1_000_000;
        private long durationPlaceholder = -1;   // position of the Void reserved for Duration
        private boolean hasDuration;
        private final long[] lastTs = new long[128];
        private final long[] lastStep = new long[128];

        Walker(SeekableOutput f) throws IOException {
            this.f = f;
            this.fileSize = f.size();
            Arrays.fill(lastTs, Long.MIN_VALUE);
        }

        /** Reads the element header at pos; false when it is not complete in the file or not valid EBML. */
        private boolean header(long pos) throws IOException {
            int n = Reads.readFully(f, pos, hdr, 12);
            if (n < 2) {
                return false;
            }
            int b0 = hdr[0] & 0xFF;
            int idLen = b0 >= 0x80 ? 1 : b0 >= 0x40 ? 2 : b0 >= 0x20 ? 3 : b0 >= 0x10 ? 4 : 0;
            if (idLen == 0 || idLen >= n) {
                return false;
            }
            id = 0;
            for (int i = 0; i < idLen; i++) {
                id = (id << 8) | (hdr[i] & 0xFF);
            }
            int s0 = hdr[idLen] & 0xFF;
            sizeLen = Integer.numberOfLeadingZeros(s0) - 23; // 1..8 for a valid first octet (RFC 8794 4.1)
            if (s0 == 0 || idLen + sizeLen > n) {
                return false;
            }
            long v = s0 & (0xFF >> sizeLen);
            boolean allOnes = v == (0xFF >> sizeLen);
            for (int i = 1; i < sizeLen; i++) {
                int b = hdr[idLen + i] & 0xFF;
                allOnes &= b == 0xFF;
                v = (v << 8) | b;
            }
            size = allOnes ? UNKNOWN : v;
            headerLen = idLen + sizeLen;
            return true;
        }

        Repair run() throws IOException {
            if (!header(0) || id != Ebml.EBML || size == UNKNOWN) {
                throw new IOException("not a Matroska/WebM file (no EBML header)");
            }
            long pos = headerLen + size;
            if (!header(pos) || id != Ebml.SEGMENT) {
                throw new IOException("no Segment after the EBML header");
            }
            long segSizeAt = pos + headerLen - sizeLen;
            int segSizeLen = sizeLen;
            boolean segUnknown = size == UNKNOWN;
            long dataStart = pos + headerLen;
            long segEnd = segUnknown ? fileSize : Math.min(fileSize, dataStart + size);
            if (!segUnknown && dataStart + size <= fileSize) {
                return new Repair("matroska", fileSize, fileSize, "already complete (Segment size is set)");
            }
            long good = dataStart;
            pos = dataStart;
            int clustersPatched = 0;
            while (pos < segEnd && header(pos)) {
                long childData = pos + headerLen;
                if (id == Ebml.CLUSTER) {
                    long sizeAt = pos + headerLen - sizeLen;
                    int sl = sizeLen;
                    long declaredEnd = size == UNKNOWN ? Long.MAX_VALUE : childData + size;
                    long end = walkCluster(childData, Math.min(declaredEnd, segEnd));
                    if (end <= childData) {
                        break; // not even the cluster timestamp: drop the cluster
                    }
                    if (end != declaredEnd && sl == 8) {
                        patchSize(sizeAt, end - childData);
                        clustersPatched++;
                    }
                    good = end;
                    pos = end;
                    if (end < declaredEnd && declaredEnd != Long.MAX_VALUE) {
                        break; // a known-size cluster cut short: nothing after it
                    }
                    continue;
                }
                if (size == UNKNOWN || childData + size > segEnd) {
                    break; // an incomplete non-cluster element (e.g. Cues being written): cut before it
                }
                if (id == Ebml.INFO) {
                    readInfo(childData, childData + size);
                }
                good = childData + size;
                pos = good;
            }
            StringBuilder action = new StringBuilder();
            if (good < fileSize) {
                f.truncate(good);
                action.append("cut ").append(fileSize - good).append(" bytes of an incomplete element; ");
            }
            if (clustersPatched > 0) {
                action.append("set the size of ").append(clustersPatched).append(" cluster(s); ");
            }
            if (segSizeLen == 8) {
                patchSize(segSizeAt, good - dataStart);
                action.append("set the Segment size; ");
            }
            if (!hasDuration && durationPlaceholder >= 0) {
                long end = Long.MIN_VALUE;
                for (int t = 0; t < lastTs.length; t++) {
                    if (lastTs[t] != Long.MIN_VALUE) {
                        end = Math.max(end, lastTs[t] + Math.max(0, lastStep[t]));
                    }
                }
                if (end != Long.MIN_VALUE) {
                    ByteBuilder d = new ByteBuilder(16);
                    // RFC 9559 5.1.2.3: Duration in TimestampScale units; the file's block times are in ms
                    Ebml.float64(d, Ebml.DURATION, end * 1_000_000.0 / timestampScale);
                    if (d.length() == MatroskaMuxer.DURATION_ELEMENT_SIZE) {
                        write(durationPlaceholder, d.array(), d.length());
                        action.append("wrote the Duration (").append(end).append(" ms); ");
                    }
                }
            }
            String a = action.length() == 0 ? "nothing to repair" : action.substring(0, action.length() - 2);
            return new Repair("matroska", fileSize, good, a);
        }

        /** Walks a cluster's children; returns the end of its last complete child. */
        private long walkCluster(long pos, long limit) throws IOException {
            long clusterTs = 0;
            long good = pos;
            byte[] b = new byte[4];
            while (pos < limit && header(pos)) {
                if (id == Ebml.CLUSTER || id == Ebml.CUES || id == Ebml.SEGMENT || size == UNKNOWN) {
                    break; // the next top-level element: the cluster ends here
                }
                long data = pos + headerLen;
                long end = data + size;
                if (end > limit || end > fileSize) {
                    break;
                }
                if (id == Ebml.TIMESTAMP) {
                    byte[] v = new byte[8];
                    int n = (int) Math.min(8, size);
                    Reads.readFully(f, data, v, n);
                    clusterTs = 0;
                    for (int i = 0; i < n; i++) {
                        clusterTs = (clusterTs << 8) | (v[i] & 0xFF);
                    }
                } else if (id == Ebml.SIMPLE_BLOCK && size >= 4) {
                    // RFC 9559 10.2: track number (VINT, 1 octet for tracks 1..127), int16 relative timestamp
                    Reads.readFully(f, data, b, 3);
                    int track = b[0] & 0x7F;
                    if ((b[0] & 0x80) != 0) {
                        long ts = clusterTs + (short) (((b[1] & 0xFF) << 8) | (b[2] & 0xFF));
                        if (lastTs[track] != Long.MIN_VALUE && ts > lastTs[track]) {
                            lastStep[track] = ts - lastTs[track];
                        }
                        lastTs[track] = Math.max(ts, lastTs[track]);
                    }
                }
                good = end;
                pos = end;
            }
            return good;
        }

        private void readInfo(long pos, long end) throws IOException {
            while (pos < end && header(pos)) {
                long data = pos + headerLen;
                if (size == UNKNOWN) {
                    return;
                }
                if (id == Ebml.DURATION) {
                    hasDuration = true;
                } else if (id == Ebml.VOID && headerLen + size == MatroskaMuxer.DURATION_ELEMENT_SIZE) {
                    durationPlaceholder = pos;
                } else if (id == Ebml.TIMESTAMP_SCALE && size <= 8) {
                    byte[] v = new byte[8];
                    Reads.readFully(f, data, v, (int) size);
                    long s = 0;
                    for (int i = 0; i < size; i++) {
                        s = (s << 8) | (v[i] & 0xFF);
                    }
                    if (s > 0) {
                        timestampScale = s;
                    }
                }
                pos = data + size;
            }
        }

        private void patchSize(long at, long value) throws IOException {
            byte[] s = new byte[8];
            long v = value | (1L << 56); // 8-octet VINT: marker bit 0x01 in the first octet
            for (int i = 0; i < 8; i++) {
                s[i] = (byte) (v >>> (8 * (7 - i)));
            }
            write(at, s, 8);
        }

        private void write(long at, byte[] src, int len) throws IOException {
            long end = f.size();
            f.position(at);
            ByteBuffer bb = ByteBuffer.wrap(src, 0, len);
            while (bb.hasRemaining()) {
                f.write(bb);
            }
            f.position(Math.min(end, f.size()));
        }
    }
}

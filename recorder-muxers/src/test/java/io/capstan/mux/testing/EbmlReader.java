package io.capstan.mux.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * An independent, test-only EBML/Matroska reader (RFC 8794, RFC 9559): parses a byte array into an element
 * tree. Unknown-size masters end at EOF or at the first element that cannot be their child; an element that
 * runs past the end of the data is marked truncated (its children are parsed as far as they go).
 */
public final class EbmlReader {

    public static final long EBML = 0x1A45DFA3L, SEGMENT = 0x18538067L, SEEK_HEAD = 0x114D9B74L, SEEK = 0x4DBBL,
            SEEK_ID = 0x53ABL, SEEK_POSITION = 0x53ACL, INFO = 0x1549A966L, TRACKS = 0x1654AE6BL,
            TRACK_ENTRY = 0xAEL, CLUSTER = 0x1F43B675L, CUES = 0x1C53BB6BL, CUE_POINT = 0xBBL, CUE_TIME = 0xB3L,
            CUE_TRACK_POSITIONS = 0xB7L, CUE_TRACK = 0xF7L, CUE_CLUSTER_POSITION = 0xF1L, TIMESTAMP = 0xE7L,
            SIMPLE_BLOCK = 0xA3L, BLOCK_GROUP = 0xA0L, VIDEO = 0xE0L, AUDIO = 0xE1L, VOID = 0xECL,
            DURATION = 0x4489L, TIMESTAMP_SCALE = 0x2AD7B1L, DOC_TYPE = 0x4282L, TRACK_NUMBER = 0xD7L,
            CODEC_ID = 0x86L, CODEC_PRIVATE = 0x63A2L, TRACK_TYPE = 0x83L, PIXEL_WIDTH = 0xB0L,
            PIXEL_HEIGHT = 0xBAL, SAMPLING_FREQUENCY = 0xB5L, CHANNELS = 0x9FL, CODEC_DELAY = 0x56AAL,
            SEEK_PRE_ROLL = 0x56BBL, TRACK_UID = 0x73C5L, MUXING_APP = 0x4D80L, TAGS = 0x1254C367L;

    private static final Set<Long> MASTERS = Set.of(EBML, SEGMENT, SEEK_HEAD, SEEK, INFO, TRACKS, TRACK_ENTRY,
            CLUSTER, CUES, CUE_POINT, CUE_TRACK_POSITIONS, BLOCK_GROUP, VIDEO, AUDIO, TAGS);
    private static final Set<Long> SEGMENT_CHILDREN = Set.of(SEEK_HEAD, INFO, TRACKS, CLUSTER, CUES, TAGS);

    /** One element: where it is, its declared size (-1 unknown), and its children when it is a master. */
    public record Element(long id, int offset, int headerSize, long size, int dataOffset, int end, boolean truncated,
                          List<Element> children, byte[] file) {

        public List<Element> all(long childId) {
            return children.stream().filter(e -> e.id == childId).toList();
        }

        public Element child(long childId) {
            return children.stream().filter(e -> e.id == childId).findFirst()
                    .orElseThrow(() -> new AssertionError("no element " + Long.toHexString(childId) + " in "
                            + Long.toHexString(id)));
        }

        public boolean has(long childId) {
            return children.stream().anyMatch(e -> e.id == childId);
        }

        public byte[] data() {
            return Arrays.copyOfRange(file, dataOffset, end);
        }

        public long uint() {
            long v = 0;
            for (int i = dataOffset; i < end; i++) {
                v = v << 8 | (file[i] & 0xFF);
            }
            return v;
        }

        public double float64() {
            return end - dataOffset == 4 ? Float.intBitsToFloat((int) uint()) : Double.longBitsToDouble(uint());
        }

        public String string() {
            return new String(file, dataOffset, end - dataOffset, StandardCharsets.UTF_8);
        }

        /** SimpleBlock fields (RFC 9559 section 10.2). */
        public Block block() {
            int p = dataOffset;
            int first = file[p] & 0xFF;
            int len = Integer.numberOfLeadingZeros(first) - 23;
            long track = first & (0xFF >> len);
            for (int i = 1; i < len; i++) {
                track = track << 8 | (file[p + i] & 0xFF);
            }
            p += len;
            int rel = (short) ((file[p] & 0xFF) << 8 | (file[p + 1] & 0xFF));
            int flags = file[p + 2] & 0xFF;
            return new Block((int) track, rel, flags, Arrays.copyOfRange(file, p + 3, end), truncated);
        }
    }

    public record Block(int track, int relativeTimestamp, int flags, byte[] frame, boolean truncated) {
        public boolean keyframe() {
            return (flags & 0x80) != 0;
        }
    }

    private final byte[] b;

    private EbmlReader(byte[] b) {
        this.b = b;
    }

    public static List<Element> parse(byte[] file) {
        return new EbmlReader(file).list(0, file.length, -1);
    }

    private List<Element> list(int from, int to, long parentId) {
        List<Element> out = new ArrayList<>();
        int p = from;
        while (p < to) {
            if (to - p < 2) {
                break;
            }
            int idLen = vintLength(b[p]);
            if (idLen > 4 || p + idLen > to) {
                break;
            }
            long id = 0;
            for (int i = 0; i < idLen; i++) {
                id = id << 8 | (b[p + i] & 0xFF);
            }
            if (parentId == CLUSTER && (SEGMENT_CHILDREN.contains(id))) {
                break; // end of an unknown-size cluster
            }
            int q = p + idLen;
            if (q >= to) {
                break;
            }
            int sizeLen = vintLength(b[q]);
            if (sizeLen > 8 || q + sizeLen > to) {
                break;
            }
            long size = b[q] & (0xFF >> sizeLen);
            boolean allOnes = size == (0xFF >> sizeLen);
            for (int i = 1; i < sizeLen; i++) {
                size = size << 8 | (b[q + i] & 0xFF);
                allOnes &= (b[q + i] & 0xFF) == 0xFF;
            }
            if (allOnes) {
                size = -1;
            }
            int data = q + sizeLen;
            boolean truncated = size >= 0 && data + size > b.length;
            int end = size < 0 ? to : (int) Math.min(data + size, b.length);
            List<Element> children = List.of();
            if (MASTERS.contains(id)) {
                children = list(data, end, id);
                if (size < 0) {
                    end = children.isEmpty() ? data : children.get(children.size() - 1).end();
                }
            }
            out.add(new Element(id, p, data - p, size, data, end, truncated, children, b));
            p = end;
        }
        return out;
    }

    private static int vintLength(byte first) {
        int v = first & 0xFF;
        return v == 0 ? 9 : Integer.numberOfLeadingZeros(v) - 23;
    }

    /** A text tree of the elements (id, offset, size), for failure messages. */
    public static String dump(List<Element> elements) {
        StringBuilder sb = new StringBuilder();
        dump(sb, elements, 0);
        return sb.toString();
    }

    private static void dump(StringBuilder sb, List<Element> els, int depth) {
        for (Element e : els) {
            sb.append("  ".repeat(depth)).append(Long.toHexString(e.id())).append(" @").append(e.offset())
                    .append(" size ").append(e.size()).append(e.truncated() ? " TRUNCATED" : "").append('\n');
            if (e.id() != CLUSTER || depth < 2) {
                dump(sb, e.children(), depth + 1);
            }
        }
    }
}

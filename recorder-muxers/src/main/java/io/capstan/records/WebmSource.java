package io.capstan.records;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads WebM / Matroska (RFC 9559) as Capstan writes it: EBML header (DocType), Segment > Info (TimestampScale,
 * Duration), Tracks (TrackEntry: TrackNumber, CodecID, CodecPrivate, Video PixelWidth/PixelHeight, Audio
 * SamplingFrequency/Channels), Clusters (Timestamp, SimpleBlock; BlockGroup > Block without ReferenceBlock is a
 * keyframe). Elements of unknown size (a recording cut off, an open cluster) end at the next element that can
 * only be their sibling. Laced blocks are refused (Capstan writes one frame per block).
 */
final class WebmSource {

    static final int EBML = 0x1A45DFA3;
    static final int DOC_TYPE = 0x4282;
    static final int SEGMENT = 0x18538067;
    static final int INFO = 0x1549A966;
    static final int TIMESTAMP_SCALE = 0x2AD7B1;
    static final int DURATION = 0x4489;
    static final int DATE_UTC = 0x4461;
    static final int TRACKS = 0x1654AE6B;
    static final int TRACK_ENTRY = 0xAE;
    static final int TRACK_NUMBER = 0xD7;
    static final int CODEC_ID = 0x86;
    static final int CODEC_PRIVATE = 0x63A2;
    static final int VIDEO = 0xE0;
    static final int PIXEL_WIDTH = 0xB0;
    static final int PIXEL_HEIGHT = 0xBA;
    static final int AUDIO = 0xE1;
    static final int SAMPLING_FREQUENCY = 0xB5;
    static final int CHANNELS = 0x9F;
    static final int CLUSTER = 0x1F43B675;
    static final int TIMESTAMP = 0xE7;
    static final int SIMPLE_BLOCK = 0xA3;
    static final int BLOCK_GROUP = 0xA0;
    static final int BLOCK = 0xA1;
    static final int REFERENCE_BLOCK = 0xFB;
    static final int CUES = 0x1C53BB6B;
    static final int SEEK_HEAD = 0x114D9B74;
    static final int TAGS = 0x1254C367;
    static final int CHAPTERS = 0x1043A770;
    static final int ATTACHMENTS = 0x1941A469;

    private static final long UNKNOWN = -1;

    private final FileChannel ch;
    private final long fileSize;
    private final ByteBuffer hdr = ByteBuffer.allocate(16);

    private WebmSource(FileChannel ch) throws IOException {
        this.ch = ch;
        this.fileSize = ch.size();
    }

    /** What the EBML header and Info say. */
    record Header(String docType, long durationMillis, long dateEpochMillis) {
    }

    private record Element(int id, long dataStart, long size) {
        long end(long limit) {
            return size == UNKNOWN ? limit : Math.min(limit, dataStart + size);
        }
    }

    private Element element(long pos) throws IOException {
        if (pos >= fileSize) {
            return null;
        }
        hdr.clear().limit((int) Math.min(16, fileSize - pos));
        Media.readFully(ch, hdr, pos);
        int first = hdr.get(0) & 0xFF;
        int idLen = Integer.numberOfLeadingZeros(first) - 23;
        if (first == 0 || idLen > 4 || idLen > hdr.limit()) {
            throw new IOException("bad EBML element ID at " + pos);
        }
        int id = 0;
        for (int i = 0; i < idLen; i++) {
            id = id << 8 | (hdr.get(i) & 0xFF);
        }
        if (idLen >= hdr.limit()) {
            return null;
        }
        int s0 = hdr.get(idLen) & 0xFF;
        int sizeLen = Integer.numberOfLeadingZeros(s0) - 23;
        if (s0 == 0 || sizeLen > 8 || idLen + sizeLen > hdr.limit()) {
            throw new IOException("bad EBML size at " + pos);
        }
        long size = s0 & (0xFF >> sizeLen);
        boolean allOnes = size == (0xFF >> sizeLen);
        for (int i = 1; i < sizeLen; i++) {
            int c = hdr.get(idLen + i) & 0xFF;
            allOnes &= c == 0xFF;
            size = size << 8 | c;
        }
        return new Element(id, pos + idLen + sizeLen, allOnes ? UNKNOWN : size);
    }

    private long uint(Element e) throws IOException {
        byte[] b = Media.read(ch, e.dataStart, (int) Math.min(8, e.size));
        long v = 0;
        for (byte x : b) {
            v = v << 8 | (x & 0xFF);
        }
        return v;
    }

    private double floatValue(Element e) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Media.read(ch, e.dataStart, (int) e.size));
        return e.size == 4 ? b.getFloat() : e.size == 8 ? b.getDouble() : 0;
    }

    private byte[] bytes(Element e) throws IOException {
        if (e.size > (16 << 20)) {
            throw new IOException("element of " + e.size + " bytes is too large");
        }
        return Media.read(ch, e.dataStart, (int) e.size);
    }

    private static boolean topLevel(int id) {
        return id == CLUSTER || id == CUES || id == TRACKS || id == INFO || id == SEEK_HEAD || id == TAGS
                || id == CHAPTERS || id == ATTACHMENTS || id == SEGMENT || id == EBML;
    }

    /** The segment element (after the EBML header) and the DocType. */
    private Object[] segment() throws IOException {
        Element ebml = element(0);
        if (ebml == null || ebml.id != EBML || ebml.size == UNKNOWN) {
            throw new IOException("not an EBML (WebM/Matroska) file");
        }
        String docType = "matroska";
        for (long p = ebml.dataStart; p < ebml.end(fileSize); ) {
            Element c = element(p);
            if (c == null || c.size == UNKNOWN) {
                break;
            }
            if (c.id == DOC_TYPE) {
                docType = new String(bytes(c), StandardCharsets.US_ASCII).replace("\0", "");
            }
            p = c.dataStart + c.size;
        }
        Element seg = element(ebml.end(fileSize));
        if (seg == null || seg.id != SEGMENT) {
            throw new IOException("no Segment after the EBML header");
        }
        return new Object[] {seg, docType};
    }

    static Header header(FileChannel ch) throws IOException {
        WebmSource w = new WebmSource(ch);
        Object[] s = w.segment();
        Element seg = (Element) s[0];
        long scale = 1_000_000;
        double duration = -1;
        long date = Long.MIN_VALUE;
        for (long p = seg.dataStart; p < seg.end(w.fileSize); ) {
            Element c = w.element(p);
            if (c == null || c.size == UNKNOWN || c.id == CLUSTER) {
                break;
            }
            if (c.id == INFO) {
                for (long q = c.dataStart; q < c.end(w.fileSize); ) {
                    Element i = w.element(q);
                    if (i == null || i.size == UNKNOWN) {
                        break;
                    }
                    if (i.id == TIMESTAMP_SCALE) {
                        scale = w.uint(i);
                    } else if (i.id == DURATION) {
                        duration = w.floatValue(i);
                    } else if (i.id == DATE_UTC && i.size == 8) {
                        // signed ns since 2001-01-01T00:00:00 UTC (RFC 9559 5.1.2.8)
                        date = ByteBuffer.wrap(w.bytes(i)).getLong() / 1_000_000 + 978_307_200_000L;
                    }
                    q = i.dataStart + i.size;
                }
                break;
            }
            p = c.dataStart + c.size;
        }
        long durMs = duration < 0 ? -1 : Math.round(duration * scale / 1_000_000.0);
        return new Header((String) s[1], durMs, date == Long.MIN_VALUE ? -1 : date);
    }

    static Media read(FileChannel ch) throws IOException {
        return new WebmSource(ch).readAll();
    }

    String docType;

    private Media readAll() throws IOException {
        Object[] s = segment();
        Element seg = (Element) s[0];
        docType = (String) s[1];
        long segEnd = seg.end(fileSize);
        long scale = 1_000_000;
        Map<Integer, Media.Track> tracks = new LinkedHashMap<>();
        long p = seg.dataStart;
        while (p < segEnd) {
            Element c = element(p);
            if (c == null) {
                break;
            }
            if (c.id == INFO) {
                for (long q = c.dataStart; q < c.end(segEnd); ) {
                    Element i = element(q);
                    if (i == null || i.size == UNKNOWN) {
                        break;
                    }
                    if (i.id == TIMESTAMP_SCALE) {
                        scale = uint(i);
                    }
                    q = i.dataStart + i.size;
                }
            } else if (c.id == TRACKS) {
                tracks(c, segEnd, tracks);
            } else if (c.id == CLUSTER) {
                p = cluster(c, segEnd, scale, tracks);
                continue;
            }
            if (c.size == UNKNOWN) {
                break;
            }
            p = c.dataStart + c.size;
        }
        if (tracks.isEmpty()) {
            throw new IOException("the WebM/Matroska file has no track this reader knows");
        }
        return new Media(new ArrayList<>(tracks.values()));
    }

    private void tracks(Element t, long limit, Map<Integer, Media.Track> out) throws IOException {
        for (long p = t.dataStart; p < t.end(limit); ) {
            Element e = element(p);
            if (e == null || e.size == UNKNOWN) {
                break;
            }
            if (e.id == TRACK_ENTRY) {
                int number = 0;
                String codecId = "";
                byte[] priv = null;
                int w = 0;
                int h = 0;
                double rate = 0;
                int channels = 1;
                for (long q = e.dataStart; q < e.end(limit); ) {
                    Element f = element(q);
                    if (f == null || f.size == UNKNOWN) {
                        break;
                    }
                    switch (f.id) {
                        case TRACK_NUMBER -> number = (int) uint(f);
                        case CODEC_ID -> codecId = new String(bytes(f), StandardCharsets.US_ASCII).replace("\0", "");
                        case CODEC_PRIVATE -> priv = bytes(f);
                        case VIDEO, AUDIO -> {
                            for (long r = f.dataStart; r < f.end(limit); ) {
                                Element g = element(r);
                                if (g == null || g.size == UNKNOWN) {
                                    break;
                                }
                                switch (g.id) {
                                    case PIXEL_WIDTH -> w = (int) uint(g);
                                    case PIXEL_HEIGHT -> h = (int) uint(g);
                                    case SAMPLING_FREQUENCY -> rate = floatValue(g);
                                    case CHANNELS -> channels = (int) uint(g);
                                    default -> {
                                    }
                                }
                                r = g.dataStart + g.size;
                            }
                        }
                        default -> {
                        }
                    }
                    q = f.dataStart + f.size;
                }
                TrackFormat fmt = format(codecId, priv, w, h, (int) Math.round(rate), channels);
                if (fmt != null && number > 0) {
                    out.put(number, new Media.Track(fmt));
                }
            }
            p = e.dataStart + e.size;
        }
    }

    private static TrackFormat format(String codecId, byte[] priv, int w, int h, int rate, int channels) {
        return switch (codecId) {
            case "V_VP8" -> TrackFormat.video(Codec.VP8, w, h, priv);
            case "V_VP9" -> TrackFormat.video(Codec.VP9, w, h, priv);
            case "V_AV1" -> TrackFormat.video(Codec.AV1, w, h, priv);
            case "V_MPEG4/ISO/AVC" -> TrackFormat.video(Codec.H264, w, h, priv);
            case "V_MPEGH/ISO/HEVC" -> TrackFormat.video(Codec.H265, w, h, priv);
            case "A_OPUS" -> TrackFormat.audio(Codec.OPUS, 48000, 48000, channels, priv);
            case "A_AAC" -> TrackFormat.audio(Codec.AAC, rate, rate, channels, priv);
            case "A_MS/ACM" -> {
                int tag = priv != null && priv.length >= 2 ? (priv[0] & 0xFF) | (priv[1] & 0xFF) << 8 : 0;
                int r = rate > 0 ? rate : 8000;
                yield tag == 7 ? TrackFormat.audio(Codec.PCMU, r, r, channels, null)
                        : tag == 6 ? TrackFormat.audio(Codec.PCMA, r, r, channels, null) : null;
            }
            default -> null;
        };
    }

    /** Reads one cluster's blocks; returns the position after it. */
    private long cluster(Element c, long segEnd, long scale, Map<Integer, Media.Track> tracks) throws IOException {
        long end = c.end(segEnd);
        long clusterTs = 0;
        long p = c.dataStart;
        while (p < end) {
            Element e;
            try {
                e = element(p);
            } catch (IOException cutOff) {
                return end; // a torn tail
            }
            if (e == null) {
                return end;
            }
            if (c.size == UNKNOWN && topLevel(e.id)) {
                return p; // the open cluster ended where the next top-level element starts
            }
            if (e.size == UNKNOWN || e.dataStart + e.size > fileSize) {
                return fileSize;
            }
            if (e.id == TIMESTAMP) {
                clusterTs = uint(e);
            } else if (e.id == SIMPLE_BLOCK) {
                block(e.dataStart, e.size, clusterTs, scale, tracks, null);
            } else if (e.id == BLOCK_GROUP) {
                long blockPos = -1;
                long blockSize = 0;
                boolean referenced = false;
                for (long q = e.dataStart; q < e.dataStart + e.size; ) {
                    Element g = element(q);
                    if (g == null || g.size == UNKNOWN) {
                        break;
                    }
                    if (g.id == BLOCK) {
                        blockPos = g.dataStart;
                        blockSize = g.size;
                    } else if (g.id == REFERENCE_BLOCK) {
                        referenced = true;
                    }
                    q = g.dataStart + g.size;
                }
                if (blockPos >= 0) {
                    block(blockPos, blockSize, clusterTs, scale, tracks, !referenced);
                }
            }
            p = e.dataStart + e.size;
        }
        return end;
    }

    private void block(long pos, long size, long clusterTs, long scale, Map<Integer, Media.Track> tracks,
                       Boolean groupKey) throws IOException {
        // RFC 9559 10.1/10.2: track number (VINT), int16 relative timestamp, flags, frame
        byte[] h = Media.read(ch, pos, (int) Math.min(12, size));
        int first = h[0] & 0xFF;
        int n = Integer.numberOfLeadingZeros(first) - 23;
        if (first == 0 || n > 8 || n + 3 > h.length) {
            throw new IOException("bad block at " + pos);
        }
        long track = first & (0xFF >> n);
        for (int i = 1; i < n; i++) {
            track = track << 8 | (h[i] & 0xFF);
        }
        Media.Track t = tracks.get((int) track);
        if (t == null) {
            return;
        }
        int rel = (short) ((h[n] & 0xFF) << 8 | (h[n + 1] & 0xFF));
        int flags = h[n + 2] & 0xFF;
        if ((flags & 0x06) != 0) {
            throw new IOException("laced blocks are not supported (track " + track + ")");
        }
        boolean key = groupKey != null ? groupKey : (flags & 0x80) != 0;
        long ptsMicros = (clusterTs + rel) * scale / 1000;
        long ticks = ptsMicros * t.format.clockRate() / 1_000_000;
        int header = n + 3;
        t.add(pos + header, (int) (size - header), ptsMicros, ticks, key || !t.video());
    }
}

package io.capstan.records;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.OpusPackets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a progressive MP4 (ISO/IEC 14496-12) as Capstan writes it: the sample tables of every audio and video
 * track of the moov, and each track's sample entry turned back into the {@link TrackFormat} the muxer was given.
 *
 * <pre>
 * moov
 * ├── mvhd                 timescale (edit list durations), creation_time, duration (8.2.2)
 * └── trak*
 *     ├── edts/elst        empty edits (media_time -1) delay the track on the movie timeline (8.6.6)
 *     └── mdia
 *         ├── mdhd         media timescale (8.4.2)
 *         ├── hdlr         vide | soun (8.4.3)
 *         └── minf/stbl    stsd (8.5.2), stts (8.6.1.2), stss (8.6.2), stsz (8.7.3), stsc (8.7.4), stco/co64 (8.7.5)
 * </pre>
 * Sample entries: avc1/avc3 + avcC, hvc1/hev1 + hvcC, av01 + av1C, vp09, mp4a + esds (14496-14 5.6: the
 * DecoderSpecificInfo is the AudioSpecificConfig), Opus + dOps (Opus in ISO BMFF 4.3, turned back into an
 * OpusHead, RFC 7845 5.1), ulaw / alaw. {@code ctts} is not read (Capstan writes none).
 */
final class Mp4Source {

    private static final int MAX_MOOV = 256 << 20;

    private Mp4Source() {
    }

    /** Movie-level facts read cheaply (only the top-level boxes up to moov, then mvhd). */
    record Header(long durationMillis, long creationEpochMillis) {
    }

    static Header header(FileChannel ch) throws IOException {
        ByteBuffer moov = moov(ch);
        if (moov == null) {
            return null;
        }
        ByteBuffer mvhd = child(moov, "mvhd");
        if (mvhd == null) {
            return null;
        }
        int version = mvhd.get(mvhd.position()) & 0xFF;
        ByteBuffer b = mvhd.duplicate();
        b.position(b.position() + 4);
        long created = version == 1 ? b.getLong() : b.getInt() & 0xFFFFFFFFL;
        b.position(b.position() + (version == 1 ? 8 : 4)); // modification_time
        long timescale = b.getInt() & 0xFFFFFFFFL;
        long duration = version == 1 ? b.getLong() : b.getInt() & 0xFFFFFFFFL;
        long createdMs = created == 0 ? -1 : (created - 2_082_844_800L) * 1000; // seconds since 1904-01-01 UTC
        return new Header(timescale == 0 ? -1 : duration * 1000 / timescale, createdMs);
    }

    /** The moov payload, or null when there is none before the end of the file. */
    private static ByteBuffer moov(FileChannel ch) throws IOException {
        long pos = 0;
        long size = ch.size();
        ByteBuffer h = ByteBuffer.allocate(16);
        while (pos + 8 <= size) {
            h.clear().limit((int) Math.min(16, size - pos));
            Media.readFully(ch, h, pos);
            long len = h.getInt() & 0xFFFFFFFFL;
            String type = fourcc(h.getInt());
            int header = 8;
            if (len == 1) {
                if (h.remaining() < 8) {
                    return null;
                }
                len = h.getLong();
                header = 16;
            } else if (len == 0) {
                len = size - pos;
            }
            if (len < header) {
                return null;
            }
            if (type.equals("moov")) {
                if (len - header > MAX_MOOV) {
                    throw new IOException("moov of " + len + " bytes is too large");
                }
                ByteBuffer m = ByteBuffer.allocate((int) (len - header));
                Media.readFully(ch, m, pos + header);
                return m;
            }
            pos += len;
        }
        return null;
    }

    static Media read(FileChannel ch) throws IOException {
        ByteBuffer moov = moov(ch);
        if (moov == null) {
            throw new IOException("not a finalized MP4 (no moov box)");
        }
        ByteBuffer mvhd = child(moov, "mvhd");
        long movieScale = 1000;
        if (mvhd != null) {
            int v = mvhd.get(mvhd.position()) & 0xFF;
            movieScale = mvhd.getInt(mvhd.position() + (v == 1 ? 20 : 12)) & 0xFFFFFFFFL;
        }
        List<Media.Track> tracks = new ArrayList<>();
        for (ByteBuffer trak : children(moov, "trak")) {
            Media.Track t = track(trak, movieScale, ch.size());
            if (t != null) {
                tracks.add(t);
            }
        }
        if (tracks.isEmpty()) {
            throw new IOException("the MP4 has no audio or video track this reader knows");
        }
        return new Media(tracks);
    }

    private static Media.Track track(ByteBuffer trak, long movieScale, long fileSize) throws IOException {
        ByteBuffer mdia = child(trak, "mdia");
        if (mdia == null) {
            return null;
        }
        ByteBuffer hdlr = child(mdia, "hdlr");
        ByteBuffer mdhd = child(mdia, "mdhd");
        ByteBuffer stbl = path(mdia, "minf", "stbl");
        if (hdlr == null || mdhd == null || stbl == null) {
            return null;
        }
        String handler = fourcc(hdlr.getInt(hdlr.position() + 8));
        if (!handler.equals("vide") && !handler.equals("soun")) {
            return null;
        }
        int v = mdhd.get(mdhd.position()) & 0xFF;
        long timescale = mdhd.getInt(mdhd.position() + (v == 1 ? 20 : 12)) & 0xFFFFFFFFL;
        if (timescale == 0) {
            throw new IOException("track with media timescale 0");
        }
        TrackFormat format = format(child(stbl, "stsd"), (int) timescale);
        if (format == null) {
            return null;
        }
        // edit list: the empty edits in front delay the track (ISO/IEC 14496-12 8.6.6)
        long delayMicros = 0;
        ByteBuffer elst = path(trak, "edts", "elst");
        if (elst != null) {
            ByteBuffer e = elst.duplicate();
            int ev = e.get() & 0xFF;
            e.position(e.position() + 3);
            long n = e.getInt() & 0xFFFFFFFFL;
            for (long i = 0; i < n; i++) {
                long dur = ev == 1 ? e.getLong() : e.getInt() & 0xFFFFFFFFL;
                long mediaTime = ev == 1 ? e.getLong() : e.getInt();
                e.getInt(); // media_rate
                if (mediaTime != -1) {
                    break;
                }
                delayMicros += movieScale == 0 ? 0 : dur * 1_000_000 / movieScale;
            }
        }
        Media.Track t = new Media.Track(format);
        samples(t, stbl, timescale, delayMicros, fileSize);
        return t;
    }

    /**
     * The sample table (ISO/IEC 14496-12 8.6-8.7). Every count is checked against what its box or the file can
     * hold before anything is allocated or iterated by it: every sample lies in the file.
     */
    private static void samples(Media.Track t, ByteBuffer stbl, long timescale, long delayMicros, long fileSize)
            throws IOException {
        ByteBuffer stsz = full(child(stbl, "stsz"), "stsz");
        int fixedSize = stsz.getInt();
        int count = stsz.getInt();
        if (fixedSize < 0 || count < 0 || (fixedSize == 0 ? count > stsz.remaining() / 4
                : (long) count * fixedSize > fileSize)) {
            throw new IOException("stsz: " + count + " samples" + (fixedSize != 0 ? " of " + fixedSize + " bytes" : "")
                    + " do not fit " + (fixedSize == 0 ? "the box" : "the file"));
        }
        ByteBuffer stts = full(child(stbl, "stts"), "stts");
        int sttsEntries = stts.getInt();
        ByteBuffer stss = child(stbl, "stss");
        int[] sync = null;
        if (stss != null) {
            ByteBuffer s = stss.duplicate();
            s.getInt();
            sync = new int[entries(s, 4, "stss")];
            for (int i = 0; i < sync.length; i++) {
                sync[i] = s.getInt();
            }
        }
        ByteBuffer stsc = full(child(stbl, "stsc"), "stsc");
        int stscEntries = entries(stsc, 12, "stsc");
        int[] firstChunk = new int[stscEntries];
        int[] perChunk = new int[stscEntries];
        for (int i = 0; i < stscEntries; i++) {
            firstChunk[i] = stsc.getInt();
            perChunk[i] = stsc.getInt();
            stsc.getInt(); // sample_description_index
        }
        ByteBuffer stco = child(stbl, "stco");
        boolean co64 = false;
        if (stco == null) {
            stco = child(stbl, "co64");
            co64 = true;
        }
        ByteBuffer co = full(stco, "stco/co64");
        int chunks = co.getInt();

        int sample = 0;
        int sttsLeft = 0;
        long delta = 0;
        long dts = 0;
        int syncAt = 0;
        int entry = 0;
        for (int chunk = 1; chunk <= chunks && sample < count; chunk++) {
            long off = co64 ? co.getLong() : co.getInt() & 0xFFFFFFFFL;
            while (entry + 1 < stscEntries && firstChunk[entry + 1] <= chunk) {
                entry++;
            }
            int n = stscEntries == 0 ? 0 : perChunk[entry];
            for (int k = 0; k < n && sample < count; k++) {
                int size = fixedSize != 0 ? fixedSize : stsz.getInt();
                if (size < 0 || off < 0 || off + size > fileSize) {
                    throw new IOException("sample " + (sample + 1) + " (" + (size & 0xFFFFFFFFL) + " bytes at " + off
                            + ") is not in the file");
                }
                while (sttsLeft == 0 && sttsEntries-- > 0) {
                    sttsLeft = stts.getInt();
                    delta = stts.getInt() & 0xFFFFFFFFL;
                }
                sttsLeft--;
                boolean key;
                if (sync == null) {
                    key = true;
                } else {
                    while (syncAt < sync.length && sync[syncAt] < sample + 1) {
                        syncAt++;
                    }
                    key = syncAt < sync.length && sync[syncAt] == sample + 1;
                }
                long pts = delayMicros + dts * 1_000_000 / timescale;
                t.add(off, size, pts, dts, key || !t.video());
                off += size;
                dts += delta;
                sample++;
            }
        }
    }

    /** A full box's entry count, checked against the entries its box holds. */
    private static int entries(ByteBuffer b, int entrySize, String name) throws IOException {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / entrySize) {
            throw new IOException(name + ": " + (n & 0xFFFFFFFFL) + " entries do not fit the box");
        }
        return n;
    }

    private static ByteBuffer full(ByteBuffer box, String name) throws IOException {
        if (box == null) {
            throw new IOException("MP4 track without " + name);
        }
        ByteBuffer b = box.duplicate();
        b.getInt(); // version + flags
        return b;
    }

    private static TrackFormat format(ByteBuffer stsd, int timescale) throws IOException {
        if (stsd == null) {
            return null;
        }
        ByteBuffer s = stsd.duplicate();
        s.getInt();
        if (s.getInt() < 1) {
            return null;
        }
        int start = s.position();
        long len = s.getInt() & 0xFFFFFFFFL;
        String type = fourcc(s.getInt());
        ByteBuffer entry = s.slice(s.position(), (int) Math.min(len - 8, s.remaining()));
        switch (type) {
            case "avc1", "avc3", "hvc1", "hev1", "av01", "vp09" -> {
                // VisualSampleEntry (12.1.3): 6 reserved + 2 data_reference_index + 16 + width, height ... = 78 bytes
                int width = entry.getShort(24) & 0xFFFF;
                int height = entry.getShort(26) & 0xFFFF;
                ByteBuffer children = entry.slice(78, entry.limit() - 78);
                Codec codec = switch (type) {
                    case "avc1", "avc3" -> Codec.H264;
                    case "hvc1", "hev1" -> Codec.H265;
                    case "av01" -> Codec.AV1;
                    default -> Codec.VP9;
                };
                byte[] priv = switch (codec) {
                    case H264 -> bytes(child(children, "avcC"));
                    case H265 -> bytes(child(children, "hvcC"));
                    case AV1 -> bytes(child(children, "av1C"));
                    default -> new byte[0];
                };
                return new TrackFormat(codec, timescale, width, height, 0, 0, priv);
            }
            case "mp4a", "Opus", "ulaw", "alaw" -> {
                // AudioSampleEntry (12.2.3): 6 + 2 + 8 reserved, channelcount, samplesize, 2 + 2, samplerate 16.16
                int channels = entry.getShort(16) & 0xFFFF;
                int rate = (int) ((entry.getInt(24) & 0xFFFFFFFFL) >>> 16);
                ByteBuffer children = entry.slice(28, entry.limit() - 28);
                return switch (type) {
                    case "mp4a" -> TrackFormat.audio(Codec.AAC, timescale, rate, channels, asc(child(children, "esds")));
                    case "Opus" -> TrackFormat.audio(Codec.OPUS, timescale, 48000, channels,
                            opusHead(child(children, "dOps"), channels));
                    case "ulaw" -> TrackFormat.audio(Codec.PCMU, timescale, rate, channels, null);
                    default -> TrackFormat.audio(Codec.PCMA, timescale, rate, channels, null);
                };
            }
            default -> {
                return null;
            }
        }
    }

    /** 14496-1 descriptors: ES_Descriptor (3) > DecoderConfigDescriptor (4) > DecoderSpecificInfo (5). */
    private static byte[] asc(ByteBuffer esds) throws IOException {
        if (esds == null) {
            throw new IOException("mp4a without esds");
        }
        ByteBuffer b = esds.duplicate();
        b.getInt(); // version + flags
        while (b.remaining() > 2) {
            int tag = b.get() & 0xFF;
            int len = 0;
            for (int i = 0; i < 4; i++) {
                int c = b.get() & 0xFF;
                len = len << 7 | (c & 0x7F);
                if ((c & 0x80) == 0) {
                    break;
                }
            }
            switch (tag) {
                case 3 -> {
                    b.getShort(); // ES_ID
                    int flags = b.get() & 0xFF;
                    if ((flags & 0x80) != 0) {
                        b.getShort();
                    }
                    if ((flags & 0x40) != 0) {
                        b.position(b.position() + (b.get() & 0xFF));
                    }
                    if ((flags & 0x20) != 0) {
                        b.getShort();
                    }
                }
                case 4 -> b.position(b.position() + 13); // objectTypeIndication .. avgBitrate
                case 5 -> {
                    byte[] asc = new byte[len];
                    b.get(asc);
                    return asc;
                }
                default -> b.position(Math.min(b.limit(), b.position() + len));
            }
        }
        throw new IOException("esds without an AudioSpecificConfig");
    }

    /** dOps (Opus in ISO BMFF 4.3.2, big-endian) back to the OpusHead of RFC 7845 5.1 (little-endian). */
    private static byte[] opusHead(ByteBuffer dOps, int channels) {
        if (dOps == null) {
            return OpusPackets.buildHead(channels == 1 ? 1 : 2, 312, 48000);
        }
        ByteBuffer b = dOps.duplicate();
        b.get(); // Version
        int ch = b.get() & 0xFF;
        int preSkip = b.getShort() & 0xFFFF;
        long rate = b.getInt() & 0xFFFFFFFFL;
        int gain = b.getShort() & 0xFFFF;
        int family = b.get() & 0xFF;
        byte[] table = new byte[family != 0 ? b.remaining() : 0];
        b.get(table);
        ByteBuffer h = ByteBuffer.allocate(19 + table.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        h.put("OpusHead".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        h.put((byte) 1).put((byte) ch).putShort((short) preSkip).putInt((int) rate).putShort((short) gain)
                .put((byte) family).put(table);
        return h.array();
    }

    private static byte[] bytes(ByteBuffer b) throws IOException {
        if (b == null) {
            throw new IOException("video sample entry without its configuration box");
        }
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    // ---- box walking over an in-memory moov (payload buffers, position = payload start)

    static ByteBuffer child(ByteBuffer parent, String type) {
        List<ByteBuffer> all = find(parent, type, true);
        return all.isEmpty() ? null : all.get(0);
    }

    static List<ByteBuffer> children(ByteBuffer parent, String type) {
        return find(parent, type, false);
    }

    static ByteBuffer path(ByteBuffer parent, String... types) {
        ByteBuffer b = parent;
        for (String t : types) {
            if (b == null) {
                return null;
            }
            b = child(b, t);
        }
        return b;
    }

    private static List<ByteBuffer> find(ByteBuffer parent, String type, boolean first) {
        List<ByteBuffer> out = new ArrayList<>();
        int pos = parent.position();
        int end = parent.limit();
        while (pos + 8 <= end) {
            long len = parent.getInt(pos) & 0xFFFFFFFFL;
            String t = fourcc(parent.getInt(pos + 4));
            int header = 8;
            if (len == 1 && pos + 16 <= end) {
                len = parent.getLong(pos + 8);
                header = 16;
            } else if (len == 0) {
                len = end - pos;
            }
            if (len < header || pos + len > end) {
                break;
            }
            if (t.equals(type)) {
                out.add(parent.slice(pos + header, (int) len - header));
                if (first) {
                    break;
                }
            }
            pos += (int) len;
        }
        return out;
    }

    static String fourcc(int v) {
        return new String(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v},
                java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}

package io.capstan.mux.ogg;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.OpusPackets;
import io.capstan.mux.common.OutputWriter;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Writes one Opus track as an Ogg Opus file (RFC 7845), strictly forward.
 *
 * <pre>
 * file (one logical bitstream, serial injected through the factory)
 * ├── page 0  BOS, granule 0      OpusHead  (RFC 7845 section 5.1; the track's own when valid)
 * ├── page 1  granule 0           OpusTags  (section 5.2, vendor "Capstan", no comments)
 * ├── page 2..n                   audio packets, whole packets in order; granule = 48 kHz sample count at the
 * │                                end of the last packet completed on the page, counting the pre-skip
 * │                                (section 4); a page is closed before it would hold more than ~4 KB,
 * │                                255 lacing values, or one second of audio
 * └── page n+1  EOS               the last packets
 * page = 'OggS' | version 0 | flags (1 continued, 2 BOS, 4 EOS) | granule i64 | serial u32 | sequence u32
 *        | CRC u32 | segment count | lacing values | data            (RFC 3533 section 6, little-endian)
 * </pre>
 *
 * <h2>Timing</h2>
 * The file's timeline is the segment's: granule position {@code g} is segment time {@code g / 48000 s}, and a
 * player presents it at {@code (g - preSkip) / 48000 s} (section 4.2), which also removes the encoder lookahead
 * the pre-skip stands for. Each packet's place on that timeline comes from its {@code ptsMicros}. Ogg has no
 * timestamps besides the running sample count, so time that no packet covers must be covered by packets:
 * <ul>
 *   <li><b>gaps</b> (DTX silence that was not sent, lost packets): when a packet starts 2.5 ms or more after the
 *       end of the previous one, the gap is filled with TOC-only packets (RFC 6716 section 3.2.1: code 0, one
 *       frame of length 0, one byte). A decoder treats a zero-length frame as missing and conceals it (silence
 *       after DTX). The fill uses the previous packet's configuration, then CELT-only 10/5/2.5 ms frames for the
 *       remainder, so the file keeps real time within 1.25 ms.</li>
 *   <li><b>start offset</b>: a track whose first packet is at {@code pts > 0} (audio starting after video in the
 *       segment) gets the same leading fill, so the audio stays in sync with the segment timeline.</li>
 *   <li>a packet that starts <em>before</em> the end of the previous one (timestamp jitter) is written as is; the
 *       sample count is authoritative and the next gap absorbs the difference.</li>
 * </ul>
 * Malformed packets (empty, or a TOC whose frame count is invalid, RFC 6716 section 3.4) are skipped and counted.
 */
public final class OggOpusMuxer implements Muxer {

    /** Close a page before its data would pass this size (a page may be up to 64 KB; 4 KB keeps overhead ~1%). */
    static final int TARGET_PAGE_BYTES = 4096;
    /** Close a page once it holds this much audio, so a crash loses about a second at most. */
    static final int MAX_PAGE_SAMPLES = 48_000;
    /** Gaps shorter than the smallest fill packet (2.5 ms) are left alone. */
    static final int FILL_THRESHOLD = 120;

    private static final int FLAG_CONTINUED = 1;
    private static final int FLAG_BOS = 2;
    private static final int FLAG_EOS = 4;
    /** RFC 3533 section 6: capture_pattern, a constant so writing a page allocates nothing. */
    private static final byte[] CAPTURE_PATTERN = {'O', 'g', 'g', 'S'};

    private final OutputWriter out;
    private final int serial;
    private final ByteBuilder body = new ByteBuilder(TARGET_PAGE_BYTES + 1024);
    private final ByteBuilder page = new ByteBuilder(TARGET_PAGE_BYTES + 1024 + 300);
    private final byte[] lacing = new byte[255];
    private final byte[] one = new byte[1];

    private byte[] head;
    private int preSkip;
    private boolean headersWritten;
    private boolean closed;
    private int pageSequence;
    private int segments;
    private boolean pageContinues;     // the page's first segment continues a packet of the previous page
    private boolean pageHasPacketEnd;  // some packet ends on the current page
    private long pageGranule;          // granule after the last packet completed on the current page
    private long pageStartGranule;     // granule where the current page's audio began
    private int lastPacketSegment = -1; // first lacing value of the newest packet, if it began on this page
    private int lastPacketBody;         // where its bytes begin in the page body
    private int lastPacketSamples;
    private long granule;              // 48 kHz samples of all packets so far (including fill)
    private boolean started;
    private int lastToc;
    private long frames;
    private long rejected;
    private long fillPackets;
    private long fillSamples;

    public OggOpusMuxer(WritableByteChannel out, int serial) {
        this.out = new OutputWriter(Objects.requireNonNull(out, "out"), 16 * 1024);
        this.serial = serial;
    }

    @Override
    public int addTrack(TrackFormat format) {
        Objects.requireNonNull(format, "format");
        if (head != null) {
            throw new IllegalStateException("ogg holds exactly one Opus track");
        }
        if (format.codec() != Codec.OPUS) {
            throw new IllegalArgumentException("ogg cannot hold " + format.codec() + " (Ogg allows Opus)");
        }
        head = OpusPackets.headFor(format);
        preSkip = OpusPackets.preSkip(head);
        return 0;
    }

    /** The OpusHead written to the file. */
    public byte[] opusHead() {
        return head == null ? null : head.clone();
    }

    @Override
    public void write(int track, EncodedFrame frame) throws IOException {
        if (closed) {
            throw new IllegalStateException("muxer is closed");
        }
        if (head == null || track != 0) {
            throw new IllegalArgumentException("unknown track " + track);
        }
        writeHeaders();
        byte[] d = frame.array();
        int len = frame.length();
        int samples = OpusPackets.packetSamples(d, 0, len);
        if (samples < 0) {
            rejected++;
            return;
        }
        // place on the 48 kHz segment timeline, rounded to the nearest sample
        long at = Math.floorDiv(frame.ptsMicros() * 48 + 500, 1000);
        int toc = d[0] & 0xFF;
        if (!started) {
            started = true;
            if (at >= FILL_THRESHOLD) {
                fill(at, toc);
            }
        } else if (at - granule >= FILL_THRESHOLD) {
            fill(at - granule, lastToc);
        }
        addPacket(d, 0, len, samples);
        lastToc = toc;
        frames++;
    }

    /**
     * Covers {@code samples} of time with TOC-only packets (RFC 6716 section 3.2.1, a code 0 packet whose single
     * frame has length 0): first frames of {@code toc}'s own configuration, then CELT-only fullband frames of
     * 10, 5 and 2.5 ms (configurations 30, 29, 28), rounding the last 2.5 ms to the nearest.
     */
    private void fill(long samples, int toc) throws IOException {
        int stereo = toc & 0x04;
        int config = toc >>> 3;
        int frame = OpusPackets.frameSamples(config);
        while (samples >= frame) {
            samples -= fillPacket((config << 3) | stereo, frame);
        }
        for (int c = 30; c >= 28; c--) {
            int f = OpusPackets.frameSamples(c);
            while (samples >= f) {
                samples -= fillPacket((c << 3) | stereo, f);
            }
        }
        if (samples >= 60) {
            fillPacket((28 << 3) | stereo, 120);
        }
    }

    private int fillPacket(int toc, int samples) throws IOException {
        one[0] = (byte) toc;
        addPacket(one, 0, 1, samples);
        fillPackets++;
        fillSamples += samples;
        return samples;
    }

    private void addPacket(byte[] d, int off, int len, int samples) throws IOException {
        if (segments > 0 && (body.length() + len > TARGET_PAGE_BYTES || segments + len / 255 + 1 > 255
                || granule - pageStartGranule >= MAX_PAGE_SAMPLES)) {
            emitPage(0);
        }
        if (segments == 0) {
            pageStartGranule = granule;
        }
        lastPacketSegment = segments == 255 ? -1 : segments;
        lastPacketBody = body.length();
        lastPacketSamples = samples;
        // RFC 3533 section 6: lacing values of 255 continue a packet, a value below 255 ends it
        int remaining = len;
        int v;
        do {
            if (segments == 255) {   // only a packet longer than a page gets here: continue it on the next page
                emitPage(0);
                pageContinues = true;
                lastPacketSegment = -1;
            }
            v = Math.min(255, remaining);
            lacing[segments++] = (byte) v;
            body.bytes(d, off, v);
            off += v;
            remaining -= v;
        } while (v == 255);
        granule += samples;
        pageGranule = granule;
        pageHasPacketEnd = true;
    }

    private void writeHeaders() throws IOException {
        if (headersWritten) {
            return;
        }
        headersWritten = true;
        // RFC 7845 section 3: the ID header alone on the BOS page, granule 0
        addHeaderPacket(head);
        emitPage(FLAG_BOS);
        // section 5.2: comment header; it ends its own page(s), granule 0
        addHeaderPacket(tags());
        emitPage(0);
    }

    /** RFC 7845 section 5.2: 'OpusTags', vendor string length and vendor, comment count 0. */
    private static byte[] tags() {
        byte[] vendor = "Capstan".getBytes(StandardCharsets.UTF_8);
        ByteBuilder tags = new ByteBuilder(32);
        tags.ascii("OpusTags").u32LE(vendor.length).bytes(vendor).u32LE(0);
        return tags.toByteArray();
    }

    private void addHeaderPacket(byte[] p) {
        int remaining = p.length;
        int off = 0;
        int v;
        do {
            v = Math.min(255, remaining);
            lacing[segments++] = (byte) v;
            body.bytes(p, off, v);
            off += v;
            remaining -= v;
        } while (v == 255);
        pageHasPacketEnd = true;
        pageGranule = 0;
    }

    /** Writes the current page (RFC 3533 section 6) and hands it to the output. */
    private void emitPage(int flags) throws IOException {
        writePage(flags, segments, body.length(), pageHasPacketEnd ? pageGranule : -1);
        body.reset();
        segments = 0;
        pageContinues = false;
        pageHasPacketEnd = false;
        lastPacketSegment = -1;
    }

    /** Writes the first {@code nseg} lacing values and {@code bodyLen} bytes of the current page. */
    private void writePage(int flags, int nseg, int bodyLen, long pageGranulePosition) throws IOException {
        if (pageContinues) {
            flags |= FLAG_CONTINUED;
        }
        page.reset();
        page.bytes(CAPTURE_PATTERN);
        page.u8(0);                                        // stream structure version
        page.u8(flags);                                    // header type
        page.u64LE(pageGranulePosition);                   // granule; -1 when no packet ends here
        page.u32LE(serial & 0xFFFF_FFFFL);                 // bitstream serial number
        page.u32LE(pageSequence++ & 0xFFFF_FFFFL);         // page sequence number
        int crcAt = page.length();
        page.u32LE(0);                                     // CRC, computed with this field zero
        page.u8(nseg);                                     // number of segments
        page.bytes(lacing, 0, nseg);
        page.bytes(body.array(), 0, bodyLen);
        page.putLE(crcAt, OggCrc.of(page.array(), 0, page.length()), 4);
        out.write(page);
        out.drain();
    }

    /**
     * Writes out every complete packet but the newest, which stays on the open page so that {@link #close()} can
     * still put it on a proper EOS page (a page without a packet end may not carry EOS or a granule position,
     * RFC 3533 section 6); so a crash after a flush loses one packet at most.
     */
    @Override
    public void flush() throws IOException {
        if (closed || head == null) {
            return;
        }
        writeHeaders();
        if (lastPacketSegment > 0) {
            int nseg = lastPacketSegment;
            int bodyLen = lastPacketBody;
            writePage(0, nseg, bodyLen, granule - lastPacketSamples);
            System.arraycopy(lacing, nseg, lacing, 0, segments - nseg);
            segments -= nseg;
            byte[] a = body.array();
            int rest = body.length() - bodyLen;
            System.arraycopy(a, bodyLen, a, 0, rest);
            body.setLength(rest);
            pageContinues = false;
            pageStartGranule = granule - lastPacketSamples;
            lastPacketSegment = 0;
            lastPacketBody = 0;
        }
        out.drain();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (head == null) {
            out.drain();
            return;
        }
        if (!headersWritten) {
            // no audio at all: the stream ends with its comment header page
            headersWritten = true;
            addHeaderPacket(head);
            emitPage(FLAG_BOS);
            addHeaderPacket(tags());
            emitPage(FLAG_EOS);
            return;
        }
        if (segments == 0) {
            // only possible when every packet was rejected: EOS needs a page with a packet end, so end the
            // stream with the shortest packet there is (2.5 ms, TOC only)
            fillPacket(28 << 3, 120);
        }
        emitPage(FLAG_EOS);
    }

    @Override
    public long bytesWritten() {
        return out.position();
    }

    @Override
    public long framesWritten() {
        return frames;
    }

    /** Packets skipped as malformed. */
    public long packetsRejected() {
        return rejected;
    }

    /** TOC-only packets inserted to cover gaps and the start offset. */
    public long fillPackets() {
        return fillPackets;
    }

    /** 48 kHz samples covered by fill packets. */
    public long fillSamples() {
        return fillSamples;
    }

    /** The granule position after the last packet (pre-skip included). */
    public long granulePosition() {
        return granule;
    }

    public int preSkip() {
        return preSkip;
    }
}

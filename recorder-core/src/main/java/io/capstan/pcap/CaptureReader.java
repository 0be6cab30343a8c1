package io.capstan.pcap;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Streams the UDP datagrams out of a classic pcap or a pcapng file, one record at a time, without loading the
 * file. Everything that is not a complete, unfragmented UDP datagram over IPv4/IPv6 is skipped and counted.
 *
 * <pre>
 * classic pcap (libpcap; draft-ietf-opsawg-pcap)          pcapng (draft-ietf-opsawg-pcapng)
 * file header, 24 bytes                                    block: type(4) total-length(4) body total-length(4)
 *   magic        a1b2c3d4 us | a1b23c4d ns (either order)    SHB 0x0A0D0D0A: byte-order magic 1a2b3c4d, v1.x,
 *   version 2.4, thiszone, sigfigs, snaplen                       section length, options; resets interfaces
 *   linktype (low 16 bits; upper bits FCS info)              IDB 0x00000001: linktype(2) reserved(2) snaplen(4)
 * record: ts_sec(4) ts_frac(4) incl_len(4) orig_len(4)           options: if_tsresol (9), if_tsoffset (14)
 *         frame bytes (incl_len)                             EPB 0x00000006: if-id, ts hi/lo, cap len, orig len, data
 *                                                            SPB 0x00000003: orig len, data (interface 0, no time)
 *                                                            OPB 0x00000002 (obsolete): if-id(2) drops(2) ts cap orig
 *                                                            anything else: skipped by its length
 * link types: 0 NULL/BSD loopback, 1 Ethernet (+802.1Q/802.1ad tags), 101 RAW, 108 LOOP, 113 Linux SLL,
 *             228 IPv4, 229 IPv6, 276 Linux SLL2
 * </pre>
 *
 * <p>Lenient by default: a last record cut off by the end of the file (a capture stopped mid-write) ends the
 * iteration and is reported by {@link #truncated()} and {@link #warning()}. In {@linkplain #open(Path, boolean)
 * strict} mode that is a {@link CaptureFormatException} as well. Structural garbage (bad magic, a record length
 * above {@value #MAX_PACKET_LENGTH} bytes, a pcapng block whose trailing length differs from its leading one) is
 * always a {@link CaptureFormatException}. UDP checksums are not verified (loopback captures carry offloaded,
 * unfilled checksums).
 *
 * <p>Not thread-safe. The returned {@link UdpDatagram}s share one buffer; see {@link UdpDatagram}.
 */
public final class CaptureReader implements Closeable {

    /** Largest captured frame accepted; anything larger is taken as corruption. */
    public static final int MAX_PACKET_LENGTH = 256 * 1024;
    /** Largest non-packet pcapng block accepted (they are skipped, but a huge length means garbage). */
    static final int MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

    /** Which container the file is. */
    public enum Format { PCAP, PCAPNG }

    /** Receives datagrams from {@link #forEach(DatagramConsumer)}. */
    @FunctionalInterface
    public interface DatagramConsumer {
        void accept(UdpDatagram datagram) throws IOException;
    }

    // link types (https://www.tcpdump.org/linktypes.html)
    static final int LINKTYPE_NULL = 0;
    static final int LINKTYPE_ETHERNET = 1;
    static final int LINKTYPE_RAW = 101;
    static final int LINKTYPE_LOOP = 108;
    static final int LINKTYPE_LINUX_SLL = 113;
    static final int LINKTYPE_IPV4 = 228;
    static final int LINKTYPE_IPV6 = 229;
    static final int LINKTYPE_LINUX_SLL2 = 276;

    private static final int PCAP_MAGIC_US = 0xA1B2C3D4;
    private static final int PCAP_MAGIC_NS = 0xA1B23C4D;
    private static final int PCAPNG_SHB = 0x0A0D0D0A;
    private static final int PCAPNG_BOM = 0x1A2B3C4D;
    private static final int BLOCK_IDB = 0x00000001;
    private static final int BLOCK_OPB = 0x00000002;
    private static final int BLOCK_SPB = 0x00000003;
    private static final int BLOCK_EPB = 0x00000006;

    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;

    private final Input in;
    private final boolean strict;
    private final Format format;
    private boolean bigEndian;
    // classic pcap
    private boolean nanos;
    private int classicLinkType;
    // pcapng
    private final List<Interface> interfaces = new ArrayList<>();

    private byte[] buf = new byte[64 * 1024];
    private final byte[] hdr = new byte[32];
    private boolean done;
    private boolean closed;
    private String warning;
    private long frames;
    private long datagrams;
    private final long[] skips = new long[SkipReason.values().length];
    // last addresses seen, reused to avoid an InetAddress per packet
    private final byte[] lastSrc = new byte[16];
    private final byte[] lastDst = new byte[16];
    private InetAddress lastSrcAddr;
    private InetAddress lastDstAddr;

    private record Interface(int linkType, int tsresol, long tsOffsetSeconds) {
    }

    private CaptureReader(InputStream stream, boolean strict) throws IOException {
        this.in = new Input(stream);
        this.strict = strict;
        boolean ok = false;
        try {
            int n = in.read(hdr, 0, 4);
            if (n == 0) {
                throw new CaptureFormatException("not a pcap or pcapng file: the file is empty");
            }
            if (n < 4) {
                throw new CaptureFormatException("not a pcap or pcapng file: only " + n + " bytes");
            }
            int be = getInt(hdr, 0, true);
            int le = getInt(hdr, 0, false);
            if (be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS) {
                format = Format.PCAP;
                bigEndian = true;
                nanos = be == PCAP_MAGIC_NS;
                readClassicHeader();
            } else if (le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS) {
                format = Format.PCAP;
                bigEndian = false;
                nanos = le == PCAP_MAGIC_NS;
                readClassicHeader();
            } else if (be == PCAPNG_SHB) {
                format = Format.PCAPNG;
                readSectionHeader(0);
            } else {
                throw new CaptureFormatException(String.format(Locale.ROOT,
                        "not a pcap or pcapng file (magic 0x%08x)", be));
            }
            ok = true;
        } finally {
            if (!ok) {
                in.close();
            }
        }
    }

    /** Opens a capture leniently (a truncated last record ends the iteration and sets {@link #truncated()}). */
    public static CaptureReader open(Path path) throws IOException {
        return open(path, false);
    }

    /**
     * Opens a capture.
     *
     * @param strict when true a truncated last record throws {@link CaptureFormatException} instead of ending the
     *               iteration
     */
    public static CaptureReader open(Path path, boolean strict) throws IOException {
        Objects.requireNonNull(path, "path");
        return new CaptureReader(Files.newInputStream(path), strict);
    }

    /** Reads a capture from a stream (buffered internally); the reader closes the stream. */
    public static CaptureReader open(InputStream stream) throws IOException {
        return open(stream, false);
    }

    /** Reads a capture from a stream (buffered internally); the reader closes the stream. */
    public static CaptureReader open(InputStream stream, boolean strict) throws IOException {
        Objects.requireNonNull(stream, "stream");
        return new CaptureReader(stream, strict);
    }

    /**
     * The next UDP datagram, or {@code null} at the end of the capture. The datagram's buffer is reused by the
     * following call.
     *
     * @throws CaptureFormatException when the file structure is broken
     */
    public UdpDatagram next() throws IOException {
        if (closed) {
            throw new IOException("capture reader is closed");
        }
        while (!done) {
            UdpDatagram d = format == Format.PCAP ? nextClassic() : nextBlock();
            if (d != null) {
                datagrams++;
                return d;
            }
        }
        return null;
    }

    /** Feeds every remaining datagram to {@code consumer}. */
    public void forEach(DatagramConsumer consumer) throws IOException {
        for (UdpDatagram d = next(); d != null; d = next()) {
            consumer.accept(d);
        }
    }

    public Format format() {
        return format;
    }

    /** Whether the file was written big-endian (classic header or the current pcapng section). */
    public boolean bigEndian() {
        return bigEndian;
    }

    /**
     * The link type of the classic file, or of the first pcapng interface ({@code -1} when no interface has been
     * described yet).
     */
    public int linkType() {
        if (format == Format.PCAP) {
            return classicLinkType;
        }
        return interfaces.isEmpty() ? -1 : interfaces.get(0).linkType();
    }

    /** Whether the last record was cut off by the end of the file. */
    public boolean truncated() {
        return warning != null;
    }

    /** What was wrong with the end of the file, when {@link #truncated()}. */
    public Optional<String> warning() {
        return Optional.ofNullable(warning);
    }

    /** Packet records read so far (every frame, UDP or not). */
    public long frames() {
        return frames;
    }

    /** UDP datagrams returned so far. */
    public long datagrams() {
        return datagrams;
    }

    /** Frames skipped so far, for any reason. */
    public long skipped() {
        long s = 0;
        for (long v : skips) {
            s += v;
        }
        return s;
    }

    /** Frames skipped so far for one reason. */
    public long skipped(SkipReason reason) {
        return skips[reason.ordinal()];
    }

    /** Non-zero skip counts by reason. */
    public Map<SkipReason, Long> skippedByReason() {
        EnumMap<SkipReason, Long> m = new EnumMap<>(SkipReason.class);
        for (SkipReason r : SkipReason.values()) {
            if (skips[r.ordinal()] > 0) {
                m.put(r, skips[r.ordinal()]);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            done = true;
            in.close();
        }
    }

    // ---------------------------------------------------------------- classic pcap

    private void readClassicHeader() throws IOException {
        int n = in.read(hdr, 4, 20);
        if (n < 20) {
            throw new CaptureFormatException("truncated pcap file header (" + (4 + n) + " of 24 bytes)");
        }
        int major = getShort(hdr, 4, bigEndian);
        if (major != 2) {
            throw new CaptureFormatException("unsupported pcap version " + major + "." + getShort(hdr, 6, bigEndian));
        }
        // bits 0-15 link type, 16-27 reserved, 28-31 FCS length info
        classicLinkType = getInt(hdr, 20, bigEndian) & 0xFFFF;
    }

    private UdpDatagram nextClassic() throws IOException {
        long at = in.pos;
        int n = in.read(hdr, 0, 16);
        if (n == 0) {
            done = true;
            return null;
        }
        if (n < 16) {
            return truncatedEnd("truncated packet record header at byte " + at + " (" + n + " of 16 bytes)");
        }
        long sec = getInt(hdr, 0, bigEndian) & 0xFFFFFFFFL;
        long frac = getInt(hdr, 4, bigEndian) & 0xFFFFFFFFL;
        long incl = getInt(hdr, 8, bigEndian) & 0xFFFFFFFFL;
        long orig = getInt(hdr, 12, bigEndian) & 0xFFFFFFFFL;
        if (incl > MAX_PACKET_LENGTH) {
            throw new CaptureFormatException("packet record at byte " + at + ": captured length " + incl
                    + " is larger than " + MAX_PACKET_LENGTH + " bytes (corrupt or not a capture)");
        }
        int len = (int) incl;
        ensure(len);
        n = in.read(buf, 0, len);
        if (n < len) {
            return truncatedEnd("truncated packet record at byte " + at + " (" + n + " of " + len
                    + " captured bytes present)");
        }
        frames++;
        long ts = sec * 1_000_000_000L + (nanos ? frac : frac * 1000L);
        return decode(classicLinkType, buf, 0, len, orig, ts);
    }

    // ---------------------------------------------------------------- pcapng

    /** Reads an SHB whose 4-byte type is already consumed, starting at file offset {@code at}. */
    private void readSectionHeader(long at) throws IOException {
        int n = in.read(hdr, 0, 8);
        if (n < 8) {
            if (at == 0) {
                throw new CaptureFormatException("truncated pcapng section header block at byte 0");
            }
            truncatedEnd("truncated pcapng section header block at byte " + at);
            return;
        }
        int bom = getInt(hdr, 4, true);
        if (bom == PCAPNG_BOM) {
            bigEndian = true;
        } else if (Integer.reverseBytes(bom) == PCAPNG_BOM) {
            bigEndian = false;
        } else {
            throw new CaptureFormatException(String.format(Locale.ROOT,
                    "pcapng section header at byte %d: bad byte-order magic 0x%08x", at, bom));
        }
        long total = getInt(hdr, 0, bigEndian) & 0xFFFFFFFFL;
        checkBlockLength(at, PCAPNG_SHB, total, 28, MAX_BLOCK_LENGTH);
        int bodyLen = (int) total - 12; // after type, length (already read: BOM)
        byte[] body = new byte[bodyLen - 4];
        n = in.read(body, 0, body.length);
        if (n < body.length) {
            truncatedEnd("truncated pcapng section header block at byte " + at);
            return;
        }
        int major = getShort(body, 0, bigEndian);
        if (major != 1) {
            throw new CaptureFormatException("pcapng section header at byte " + at + ": unsupported version "
                    + major + "." + getShort(body, 2, bigEndian));
        }
        if (!readTrailer(at, total)) {
            return;
        }
        interfaces.clear();
    }

    private UdpDatagram nextBlock() throws IOException {
        long at = in.pos;
        int n = in.read(hdr, 0, 4);
        if (n == 0) {
            done = true;
            return null;
        }
        if (n < 4) {
            return truncatedEnd("truncated pcapng block header at byte " + at);
        }
        int type = getInt(hdr, 0, bigEndian);
        if (type == PCAPNG_SHB) {
            readSectionHeader(at);
            return null;
        }
        n = in.read(hdr, 4, 4);
        if (n < 4) {
            return truncatedEnd("truncated pcapng block header at byte " + at);
        }
        long total = getInt(hdr, 4, bigEndian) & 0xFFFFFFFFL;
        boolean packet = type == BLOCK_EPB || type == BLOCK_SPB || type == BLOCK_OPB;
        checkBlockLength(at, type, total, 12, packet ? MAX_PACKET_LENGTH + 64 * 1024 : MAX_BLOCK_LENGTH);
        int bodyLen = (int) total - 12;
        if (type == BLOCK_IDB || packet) {
            ensure(bodyLen);
            n = in.read(buf, 0, bodyLen);
            if (n < bodyLen) {
                return truncatedEnd("truncated " + blockName(type) + " at byte " + at + " (" + (8 + n) + " of "
                        + total + " bytes present)");
            }
            if (!readTrailer(at, total)) {
                return null;
            }
            if (type == BLOCK_IDB) {
                readInterface(at, bodyLen);
                return null;
            }
            return packetBlock(at, type, bodyLen);
        }
        long skipped = in.skip(bodyLen);
        if (skipped < bodyLen) {
            return truncatedEnd("truncated " + blockName(type) + " at byte " + at);
        }
        readTrailer(at, total);
        return null;
    }

    private void readInterface(long at, int bodyLen) throws IOException {
        if (bodyLen < 8) {
            throw new CaptureFormatException("interface description block at byte " + at + " is too short");
        }
        int linkType = getShort(buf, 0, bigEndian);
        int tsresol = 6;
        long tsOffset = 0;
        int p = 8;
        while (p + 4 <= bodyLen) {
            int code = getShort(buf, p, bigEndian);
            int len = getShort(buf, p + 2, bigEndian);
            p += 4;
            if (code == 0) {
                break;
            }
            if (p + len > bodyLen) {
                throw new CaptureFormatException("interface description block at byte " + at + ": option " + code
                        + " runs past the block");
            }
            if (code == 9 && len >= 1) { // if_tsresol
                tsresol = buf[p] & 0xFF;
            } else if (code == 14 && len >= 8) { // if_tsoffset, seconds
                int hi = getInt(buf, bigEndian ? p : p + 4, bigEndian);
                int lo = getInt(buf, bigEndian ? p + 4 : p, bigEndian);
                tsOffset = ((long) hi << 32) | (lo & 0xFFFFFFFFL);
            }
            p += (len + 3) & ~3;
        }
        if ((tsresol & 0x80) == 0 ? tsresol > 18 : (tsresol & 0x7F) > 62) {
            throw new CaptureFormatException("interface description block at byte " + at
                    + ": unsupported if_tsresol " + tsresol);
        }
        interfaces.add(new Interface(linkType, tsresol, tsOffset));
    }

    private UdpDatagram packetBlock(long at, int type, int bodyLen) throws IOException {
        int ifId;
        long ticks;
        long capLen;
        long origLen;
        int dataOff;
        if (type == BLOCK_EPB || type == BLOCK_OPB) {
            if (bodyLen < 20) {
                throw new CaptureFormatException(blockName(type) + " at byte " + at + " is too short");
            }
            if (type == BLOCK_EPB) {
                ifId = getInt(buf, 0, bigEndian);
            } else {
                ifId = getShort(buf, 0, bigEndian);
            }
            ticks = ((getInt(buf, 4, bigEndian) & 0xFFFFFFFFL) << 32) | (getInt(buf, 8, bigEndian) & 0xFFFFFFFFL);
            capLen = getInt(buf, 12, bigEndian) & 0xFFFFFFFFL;
            origLen = getInt(buf, 16, bigEndian) & 0xFFFFFFFFL;
            dataOff = 20;
        } else {
            if (bodyLen < 4) {
                throw new CaptureFormatException("simple packet block at byte " + at + " is too short");
            }
            ifId = 0;
            ticks = -1;
            origLen = getInt(buf, 0, bigEndian) & 0xFFFFFFFFL;
            capLen = Math.min(origLen, bodyLen - 4);
            dataOff = 4;
        }
        if (capLen > MAX_PACKET_LENGTH) {
            throw new CaptureFormatException(blockName(type) + " at byte " + at + ": captured length " + capLen
                    + " is larger than " + MAX_PACKET_LENGTH + " bytes");
        }
        if (dataOff + capLen > bodyLen) {
            throw new CaptureFormatException(blockName(type) + " at byte " + at + ": captured length " + capLen
                    + " runs past the block (" + (bodyLen - dataOff) + " bytes)");
        }
        if (ifId < 0 || ifId >= interfaces.size()) {
            throw new CaptureFormatException(blockName(type) + " at byte " + at + " refers to interface " + ifId
                    + " but " + interfaces.size() + " are described");
        }
        frames++;
        Interface itf = interfaces.get(ifId);
        long ts = ticks < 0 ? 0 : toNanos(ticks, itf.tsresol()) + itf.tsOffsetSeconds() * 1_000_000_000L;
        return decode(itf.linkType(), buf, dataOff, (int) capLen, origLen, ts);
    }

    static long toNanos(long ticks, int tsresol) {
        if ((tsresol & 0x80) == 0) {
            int exp = tsresol; // units of 10^-exp s
            if (exp <= 9) {
                return ticks * POW10[9 - exp];
            }
            return Long.divideUnsigned(ticks, POW10[exp - 9]);
        }
        int shift = tsresol & 0x7F; // units of 2^-shift s
        if (shift <= 30) {
            long whole = ticks >>> shift;
            long frac = ticks & ((1L << shift) - 1);
            return whole * 1_000_000_000L + ((frac * 1_000_000_000L) >>> shift);
        }
        return new BigInteger(Long.toUnsignedString(ticks)).multiply(BigInteger.valueOf(1_000_000_000L))
                .shiftRight(shift).longValue();
    }

    private static final long[] POW10 = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
        100_000_000L, 1_000_000_000L};

    private void checkBlockLength(long at, int type, long total, int min, int max) throws CaptureFormatException {
        if (total < min || (total & 3) != 0 || total > max) {
            throw new CaptureFormatException(String.format(Locale.ROOT,
                    "%s at byte %d: invalid block length %d (corrupt or not a pcapng file)",
                    blockName(type), at, total));
        }
    }

    private boolean readTrailer(long at, long total) throws IOException {
        int n = in.read(hdr, 8, 4);
        if (n < 4) {
            truncatedEnd("truncated pcapng block at byte " + at + " (trailing length missing)");
            return false;
        }
        long trailer = getInt(hdr, 8, bigEndian) & 0xFFFFFFFFL;
        if (trailer != total) {
            throw new CaptureFormatException("pcapng block at byte " + at + ": trailing length " + trailer
                    + " differs from leading length " + total);
        }
        return true;
    }

    private static String blockName(int type) {
        return switch (type) {
            case PCAPNG_SHB -> "section header block";
            case BLOCK_IDB -> "interface description block";
            case BLOCK_EPB -> "enhanced packet block";
            case BLOCK_SPB -> "simple packet block";
            case BLOCK_OPB -> "packet block";
            default -> String.format(Locale.ROOT, "pcapng block 0x%08x", type);
        };
    }

    private UdpDatagram truncatedEnd(String message) throws CaptureFormatException {
        done = true;
        if (strict) {
            throw new CaptureFormatException(message);
        }
        warning = message;
        return null;
    }

    // ---------------------------------------------------------------- link, network, transport layers

    private UdpDatagram decode(int linkType, byte[] b, int off, int capLen, long origLen, long ts)
            throws IOException {
        boolean cut = capLen < origLen;
        int end = off + capLen;
        int p;
        int proto; // ethertype, or -4 / -6 when the link layer says only "IPv4"/"IPv6", 0 = look at the version
        switch (linkType) {
            case LINKTYPE_ETHERNET -> {
                // dst(6) src(6) ethertype(2); IEEE 802.1Q / 802.1ad tags: TPID(2) TCI(2) before the real type
                if (capLen < 14) {
                    return skip(cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED);
                }
                proto = u16(b, off + 12);
                p = off + 14;
                while (proto == 0x8100 || proto == 0x88A8 || proto == 0x9100) {
                    if (p + 4 > end) {
                        return skip(cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED);
                    }
                    proto = u16(b, p + 2);
                    p += 4;
                }
            }
            case LINKTYPE_RAW -> {
                p = off;
                proto = 0;
            }
            case LINKTYPE_IPV4 -> {
                p = off;
                proto = ETHERTYPE_IPV4;
            }
            case LINKTYPE_IPV6 -> {
                p = off;
                proto = ETHERTYPE_IPV6;
            }
            case LINKTYPE_LINUX_SLL -> {
                // packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
                if (capLen < 16) {
                    return skip(cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED);
                }
                proto = u16(b, off + 14);
                p = off + 16;
            }
            case LINKTYPE_LINUX_SLL2 -> {
                // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
                if (capLen < 20) {
                    return skip(cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED);
                }
                proto = u16(b, off);
                p = off + 20;
            }
            case LINKTYPE_NULL, LINKTYPE_LOOP -> {
                // 4-byte address family: host byte order of the capturing machine (NULL), network order (LOOP)
                if (capLen < 4) {
                    return skip(cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED);
                }
                int family;
                if (linkType == LINKTYPE_LOOP || (b[off] == 0 && b[off + 1] == 0)) {
                    family = getInt(b, off, true);
                } else {
                    family = getInt(b, off, false);
                }
                p = off + 4;
                if (family == 2) {
                    proto = ETHERTYPE_IPV4;
                } else if (family == 10 || family == 24 || family == 28 || family == 30) {
                    proto = ETHERTYPE_IPV6; // Linux, NetBSD/OpenBSD, FreeBSD, Darwin
                } else {
                    return skip(SkipReason.NOT_IP);
                }
            }
            default -> {
                return skip(SkipReason.UNSUPPORTED_LINK_TYPE);
            }
        }
        if (proto == 0) {
            if (p >= end) {
                return skip(cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED);
            }
            int v = (b[p] & 0xFF) >>> 4;
            proto = v == 4 ? ETHERTYPE_IPV4 : v == 6 ? ETHERTYPE_IPV6 : -1;
        }
        if (proto == ETHERTYPE_IPV4) {
            return ipv4(b, p, end, cut, ts);
        }
        if (proto == ETHERTYPE_IPV6) {
            return ipv6(b, p, end, cut, ts);
        }
        return skip(SkipReason.NOT_IP);
    }

    /** RFC 791 section 3.1. */
    private UdpDatagram ipv4(byte[] b, int p, int end, boolean cut, long ts) throws IOException {
        SkipReason shortReason = cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED;
        if (end - p < 20) {
            return skip(shortReason);
        }
        int vihl = b[p] & 0xFF;
        int ihl = (vihl & 0x0F) * 4;
        if ((vihl >>> 4) != 4 || ihl < 20) {
            return skip(SkipReason.MALFORMED);
        }
        int total = u16(b, p + 2);
        if (total < ihl) {
            return skip(SkipReason.MALFORMED);
        }
        if (total > end - p) {
            return skip(shortReason);
        }
        int flagsFrag = u16(b, p + 6);
        boolean moreFragments = (flagsFrag & 0x2000) != 0;
        int fragOffset = flagsFrag & 0x1FFF;
        if (moreFragments || fragOffset != 0) {
            return skip(SkipReason.FRAGMENT);
        }
        if ((b[p + 9] & 0xFF) != 17) {
            return skip(SkipReason.NOT_UDP);
        }
        InetAddress src = address(b, p + 12, 4, lastSrc, true);
        InetAddress dst = address(b, p + 16, 4, lastDst, false);
        return udp(b, p + ihl, p + total, cut, ts, src, dst);
    }

    /** RFC 8200 sections 3 and 4. */
    private UdpDatagram ipv6(byte[] b, int p, int end, boolean cut, long ts) throws IOException {
        SkipReason shortReason = cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED;
        if (end - p < 40) {
            return skip(shortReason);
        }
        if (((b[p] & 0xFF) >>> 4) != 6) {
            return skip(SkipReason.MALFORMED);
        }
        int payloadLen = u16(b, p + 4);
        if (payloadLen == 0) {
            return skip(SkipReason.MALFORMED); // jumbogram (RFC 2675) or TSO artefact: not supported
        }
        if (40 + payloadLen > end - p) {
            return skip(shortReason);
        }
        int next = b[p + 6] & 0xFF;
        int q = p + 40;
        int stop = q + payloadLen;
        for (int hops = 0; hops < 16; hops++) {
            switch (next) {
                case 17 -> {
                    InetAddress src = address(b, p + 8, 16, lastSrc, true);
                    InetAddress dst = address(b, p + 24, 16, lastDst, false);
                    return udp(b, q, stop, cut, ts, src, dst);
                }
                case 0, 43, 60 -> { // hop-by-hop, routing, destination options: next(1) len in 8 octets - 1
                    if (q + 2 > stop) {
                        return skip(SkipReason.MALFORMED);
                    }
                    next = b[q] & 0xFF;
                    q += ((b[q + 1] & 0xFF) + 1) * 8;
                }
                case 51 -> { // authentication header (RFC 4302): len in 4 octets - 2
                    if (q + 2 > stop) {
                        return skip(SkipReason.MALFORMED);
                    }
                    next = b[q] & 0xFF;
                    q += ((b[q + 1] & 0xFF) + 2) * 4;
                }
                case 44 -> {
                    return skip(SkipReason.FRAGMENT);
                }
                default -> {
                    return skip(SkipReason.NOT_UDP);
                }
            }
            if (q > stop) {
                return skip(SkipReason.MALFORMED);
            }
        }
        return skip(SkipReason.MALFORMED);
    }

    /** RFC 768. */
    private UdpDatagram udp(byte[] b, int q, int stop, boolean cut, long ts, InetAddress src, InetAddress dst)
            throws IOException {
        if (stop - q < 8) {
            return skip(cut ? SkipReason.SNAPLEN_CUT : SkipReason.MALFORMED);
        }
        int udpLen = u16(b, q + 4);
        if (udpLen < 8 || udpLen > stop - q) {
            return skip(SkipReason.MALFORMED);
        }
        return new UdpDatagram(ts, src, u16(b, q), dst, u16(b, q + 2), b, q + 8, udpLen - 8, frames);
    }

    private InetAddress address(byte[] b, int off, int len, byte[] last, boolean source) throws IOException {
        InetAddress cached = source ? lastSrcAddr : lastDstAddr;
        if (cached != null && cached.getAddress().length == len
                && Arrays.equals(b, off, off + len, last, 0, len)) {
            return cached;
        }
        InetAddress a;
        try {
            a = InetAddress.getByAddress(Arrays.copyOfRange(b, off, off + len));
        } catch (UnknownHostException e) {
            throw new IOException(e); // cannot happen for 4 or 16 bytes
        }
        System.arraycopy(b, off, last, 0, len);
        if (source) {
            lastSrcAddr = a;
        } else {
            lastDstAddr = a;
        }
        return a;
    }

    private UdpDatagram skip(SkipReason reason) {
        skips[reason.ordinal()]++;
        return null;
    }

    private void ensure(int len) {
        if (buf.length < len) {
            buf = new byte[Math.max(len, Math.min(buf.length * 2, MAX_PACKET_LENGTH + 128 * 1024))];
        }
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    static int getShort(byte[] b, int off, boolean be) {
        return be ? ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF) : ((b[off + 1] & 0xFF) << 8) | (b[off] & 0xFF);
    }

    static int getInt(byte[] b, int off, boolean be) {
        if (be) {
            return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
                    | (b[off + 3] & 0xFF);
        }
        return ((b[off + 3] & 0xFF) << 24) | ((b[off + 2] & 0xFF) << 16) | ((b[off + 1] & 0xFF) << 8)
                | (b[off] & 0xFF);
    }

    /** A buffered stream that knows its offset and reads fully or to the end. */
    private static final class Input implements Closeable {
        private final InputStream in;
        long pos;

        Input(InputStream in) {
            this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 64 * 1024);
        }

        /** Reads up to {@code len} bytes, fewer only at the end of the stream. */
        int read(byte[] b, int off, int len) throws IOException {
            int n = 0;
            while (n < len) {
                int r = in.read(b, off + n, len - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            pos += n;
            return n;
        }

        /** Skips up to {@code n} bytes, fewer only at the end of the stream. */
        long skip(long n) throws IOException {
            long done = 0;
            while (done < n) {
                long s = in.skip(n - done);
                if (s <= 0) {
                    if (in.read() < 0) {
                        break;
                    }
                    s = 1;
                }
                done += s;
            }
            pos += done;
            return done;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}

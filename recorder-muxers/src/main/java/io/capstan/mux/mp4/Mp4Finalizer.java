package io.capstan.mux.mp4;

import io.capstan.mux.common.ByteBuilder;
import io.capstan.storage.SeekableOutput;
import org.mp4parser.Box;
import org.mp4parser.Container;
import org.mp4parser.IsoFile;
import org.mp4parser.boxes.iso14496.part12.EditBox;
import org.mp4parser.boxes.iso14496.part12.EditListBox;
import org.mp4parser.boxes.iso14496.part12.HandlerBox;
import org.mp4parser.boxes.iso14496.part12.MediaBox;
import org.mp4parser.boxes.iso14496.part12.MediaHeaderBox;
import org.mp4parser.boxes.iso14496.part12.MediaInformationBox;
import org.mp4parser.boxes.iso14496.part12.MovieBox;
import org.mp4parser.boxes.iso14496.part12.MovieExtendsBox;
import org.mp4parser.boxes.iso14496.part12.MovieHeaderBox;
import org.mp4parser.boxes.iso14496.part12.SampleDescriptionBox;
import org.mp4parser.boxes.iso14496.part12.SampleTableBox;
import org.mp4parser.boxes.iso14496.part12.TrackBox;
import org.mp4parser.boxes.iso14496.part12.TrackHeaderBox;
import org.mp4parser.boxes.sampleentry.VisualSampleEntry;
import org.mp4parser.support.AbstractBox;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a fragmented MP4 written by {@link Mp4Muxer} (complete, or cut off by a crash, or with an interrupted
 * finalization) into a progressive one, without moving media. Shared by {@code Mp4Muxer.close()} and
 * {@link Mp4Recovery}.
 *
 * <ol>
 *   <li>Scan the top-level boxes after the init moov. A fragment counts when its {@code moof} (or any box whose
 *       payload starts with {@code mfhd}: a moof placeholder, one retyped by an interrupted finalization, one whose
 *       type a crash tore) is complete and followed by a complete {@code mdat} holding every sample it references.
 *       The scan stops at the first incomplete or inconsistent box; everything from there on is cut off.</li>
 *   <li>Build the sample tables from the {@code trun}s (one chunk per track run) and the final moov from the
 *       init moov: no mvex, edit lists from each track's first {@code tfdt}, durations, tables.</li>
 *   <li>Write the final moov typed {@code free} into the reserve (or append it when it does not fit): until
 *       step 4 the file is still the fragmented file it was.</li>
 *   <li>Retype the fragments' moofs {@code free}, last fragment first (a crash in between leaves the init moov
 *       and a prefix of the fragments: still playable, and recoverable).</li>
 *   <li>Commit: retype the init moov {@code free} and the final one {@code moov}; when the final moov is in the
 *       reserve this is a single write covering both type fields.</li>
 * </ol>
 */
public final class Mp4Finalizer {

    /**
     * @param moovAtEnd      the final moov did not fit the reserve and follows the media
     * @param alreadyFinal   the file was already progressive; nothing was written
     * @param fragments      fragments indexed
     * @param samples        samples indexed, all tracks
     * @param truncatedBytes bytes cut off the end (an incomplete tail, or a stale moov of an interrupted run)
     * @param fileSize       the file size afterwards
     * @param moovSize       the final moov's size
     */
    public record Result(boolean moovAtEnd, boolean alreadyFinal, int fragments, long samples, long truncatedBytes,
                         long fileSize, long moovSize) {
    }

    private static final int READ_AHEAD = 16 * 1024;
    private static final int MAX_MOOV = 64 * 1024 * 1024;
    private static final int MAX_MOOF = 64 * 1024 * 1024;

    private final SeekableOutput file;
    private final long fileSize;
    private byte[] buf = new byte[READ_AHEAD];
    private long bufPos = -1;
    private int bufLen;

    private Mp4Finalizer(SeekableOutput file) throws IOException {
        this.file = file;
        this.fileSize = file.size();
    }

    /** Finalizes {@code file}; see the class comment. {@code clock} gives the modification time. */
    static Result finalizeFile(SeekableOutput file, InstantSource clock, boolean recovering) throws IOException {
        return new Mp4Finalizer(file).run(clock);
    }

    // ------------------------------------------------------------------------------------------ reading

    /** Makes {@code [pos, pos + n)} available in {@code buf}; returns its offset there, or -1 past the end. */
    private int window(long pos, int n) throws IOException {
        if (pos < 0 || pos + n > fileSize) {
            return -1;
        }
        if (bufPos >= 0 && pos >= bufPos && pos + n <= bufPos + bufLen) {
            return (int) (pos - bufPos);
        }
        int want = (int) Math.min(Math.max(n, READ_AHEAD), fileSize - pos);
        if (buf.length < want) {
            buf = new byte[want];
        }
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, want);
        long p = pos;
        while (bb.hasRemaining()) {
            int r = file.read(bb, p);
            if (r <= 0) {
                break;
            }
            p += r;
        }
        bufPos = pos;
        bufLen = bb.position();
        return bufLen >= n ? 0 : -1;
    }

    private record Header(long size, int type, int headerSize) {
    }

    /** The box header at {@code pos} (ISO/IEC 14496-12 4.2), or null when it is not all in the file. */
    private Header header(long pos) throws IOException {
        int at = window(pos, 8);
        if (at < 0) {
            return null;
        }
        long size = Boxes.u32(buf, at) & 0xFFFFFFFFL;
        int type = Boxes.u32(buf, at + 4);
        if (size == 1) {
            at = window(pos, 16);
            if (at < 0) {
                return null;
            }
            return new Header(Boxes.u64(buf, at + 8), type, 16);
        }
        if (size == 0) {
            return new Header(fileSize - pos, type, 8); // extends to the end of the file
        }
        return new Header(size, type, 8);
    }

    private byte[] readBox(long pos, long size) throws IOException {
        int at = window(pos, (int) size);
        if (at < 0) {
            throw new IOException("cannot read " + size + " bytes at " + pos);
        }
        return Arrays.copyOfRange(buf, at, at + (int) size);
    }

    // ------------------------------------------------------------------------------------------ scanning

    private static final class TrackIndex {
        final SampleTables tables = new SampleTables();
        long firstTfdt = -1;
        long expected;
        FormatChange.Parsed change;
    }

    private final Map<Integer, TrackIndex> index = new HashMap<>();
    private long[] moofs = new long[256];
    private int moofCount;

    private Result run(InstantSource clock) throws IOException {
        Header ftyp = header(0);
        if (ftyp == null || ftyp.type != Boxes.FTYP || ftyp.size < 8 || ftyp.size > fileSize) {
            throw new IOException("not an MP4 file: no ftyp box at the start");
        }
        long initPos = ftyp.size;
        Header init = header(initPos);
        if (init == null || init.size < 16 || init.size > MAX_MOOV || initPos + init.size > fileSize) {
            throw new IOException("no complete movie box after ftyp: nothing was recorded");
        }
        byte[] initBytes = readBox(initPos, init.size);
        // its type may be moov, free (retyped by a finalization) or torn by a crash in the middle of that 4-byte
        // write: what counts is the content, a movie header first
        if (Boxes.u32(initBytes, 12) != Boxes.MVHD) {
            throw new IOException("the box after ftyp is not a movie box (" + Boxes.fourccString(init.type) + ")");
        }
        if (init.type == Boxes.MOOV && !hasChild(initBytes, Boxes.MVEX)) {
            return new Result(false, true, 0, 0, 0, fileSize, init.size); // already progressive
        }
        MovieBox moov = parseMoov(initBytes);
        for (TrackBox trak : moov.getBoxes(TrackBox.class)) {
            index.put((int) trak.getTrackHeaderBox().getTrackId(), new TrackIndex());
        }

        long reserveStart = initPos + init.size;
        long reserveEnd = -1;
        long validEnd = reserveStart;
        long p = reserveStart;
        int fragments = 0;
        while (true) {
            Header h = header(p);
            if (h == null || h.size < h.headerSize || p + h.size > fileSize) {
                break;                                          // incomplete tail
            }
            if (h.type == Boxes.MOOV) {
                // a committed final moov (the init one was retyped free before it): finished already
                return new Result(p > reserveStart + 8 && reserveEnd >= 0, true, 0, 0, 0, fileSize, h.size);
            }
            // a moof, a moof placeholder (free), one retyped by a finalization, or with a type torn by a crash:
            // the content decides (an mfhd first), and the fragment is only taken when it is all consistent
            boolean moofLike = h.type != Boxes.MDAT && startsWithChild(p, h, Boxes.MFHD);
            if (moofLike) {
                if (reserveEnd < 0) {
                    reserveEnd = p;
                }
                long next = fragment(p, h);
                if (next < 0) {
                    break;                                      // its mdat is incomplete or inconsistent
                }
                fragments++;
                p = next;
                validEnd = p;
                continue;
            }
            if (h.type == Boxes.UUID && h.size == FormatChange.SIZE) {
                if (reserveEnd < 0) {
                    reserveEnd = p;
                }
                int at = window(p, (int) h.size);
                FormatChange.Parsed c = FormatChange.parse(buf, at, (int) h.size);
                if (c != null && index.containsKey(c.trackId())) {
                    TrackIndex ti = index.get(c.trackId());
                    ti.change = merge(ti.change, c);
                }
                p += h.size;
                validEnd = p;
                continue;
            }
            if (reserveEnd < 0 && (h.type == Boxes.FREE || h.type == Boxes.SKIP || startsWithChild(p, h, Boxes.MVHD))) {
                p += h.size;                                    // the reserve (possibly split by a past run)
                validEnd = p;
                continue;
            }
            if (reserveEnd < 0) {
                reserveEnd = p;
            }
            p += h.size;                                        // an orphan mdat, a stale final moov, ...
        }
        if (reserveEnd < 0) {
            reserveEnd = validEnd;
        }
        long truncated = fileSize - validEnd;
        if (truncated > 0) {
            file.truncate(validEnd);
        }

        long samples = 0;
        for (TrackIndex ti : index.values()) {
            samples += ti.tables.sampleCount();
        }
        byte[] finalMoov = finalMoov(moov, clock.instant());
        int m = finalMoov.length;
        long region = reserveEnd - reserveStart;
        boolean front = m == region || m + 8 <= region;
        long moovPos;
        if (front) {
            moovPos = reserveStart;
            writeAt(reserveStart, boxHeader(region, Boxes.FREE));           // one free over the whole reserve
            if (m < region) {
                writeAt(reserveStart + m, boxHeader(region - m, Boxes.FREE)); // what is left of the reserve
            }
            writeAt(reserveStart + 8, Arrays.copyOfRange(finalMoov, 8, m));
            writeAt(reserveStart, boxHeader(m, Boxes.FREE));                // still invisible
        } else {
            moovPos = validEnd;
            byte[] hidden = finalMoov.clone();
            putType(hidden, 4, Boxes.FREE);
            writeAt(validEnd, hidden);
        }
        byte[] free = {'f', 'r', 'e', 'e'};
        for (int i = moofCount - 1; i >= 0; i--) {
            writeAt(moofs[i] + 4, free);
        }
        if (front) {
            // one write from the init moov's type to the final moov's type: 'free' <init payload> size 'moov'
            byte[] commit = new byte[(int) (reserveStart + 8 - (initPos + 4))];
            putType(commit, 0, Boxes.FREE);
            System.arraycopy(initBytes, 8, commit, 4, initBytes.length - 8);
            int at = commit.length - 8;
            commit[at] = (byte) (m >>> 24);
            commit[at + 1] = (byte) (m >>> 16);
            commit[at + 2] = (byte) (m >>> 8);
            commit[at + 3] = (byte) m;
            putType(commit, at + 4, Boxes.MOOV);
            writeAt(initPos + 4, commit);
        } else {
            writeAt(initPos + 4, free);
            writeAt(moovPos + 4, new byte[] {'m', 'o', 'o', 'v'});
        }
        long size = file.size();
        file.position(size);
        return new Result(!front, false, fragments, samples, truncated, size, m);
    }

    private static FormatChange.Parsed merge(FormatChange.Parsed a, FormatChange.Parsed b) {
        if (a == null) {
            return b;
        }
        return new FormatChange.Parsed(a.trackId(), a.inBand() || b.inBand(), Math.max(a.width(), b.width()),
                Math.max(a.height(), b.height()));
    }

    private boolean startsWithChild(long pos, Header h, int type) throws IOException {
        if (h.size < h.headerSize + 8) {
            return false;
        }
        int at = window(pos + h.headerSize, 8);
        return at >= 0 && Boxes.u32(buf, at + 4) == type;
    }

    private static boolean hasChild(byte[] box, int type) {
        int p = 8;
        while (p + 8 <= box.length) {
            int size = Boxes.u32(box, p);
            if (Boxes.u32(box, p + 4) == type) {
                return true;
            }
            if (size < 8) {
                return false;
            }
            p += size;
        }
        return false;
    }

    /**
     * Indexes the fragment whose moof is at {@code pos}; returns the position after its mdat, or -1 when the
     * fragment is not complete and consistent (then nothing of it is indexed).
     */
    private long fragment(long pos, Header h) throws IOException {
        if (h.size > MAX_MOOF) {
            return -1;
        }
        long mdatPos = pos + h.size;
        Header mdat = header(mdatPos);
        if (mdat == null || mdat.type != Boxes.MDAT || mdatPos + mdat.size > fileSize || mdat.size < mdat.headerSize) {
            return -1;
        }
        long dataStart = mdatPos + mdat.headerSize;
        long dataEnd = mdatPos + mdat.size;
        int at = window(pos, (int) h.size);
        if (at < 0) {
            return -1;
        }
        byte[] b = buf;
        int end = at + (int) h.size;
        // validate first (8.8.6-8.8.8), index second: a bad fragment leaves no half-indexed samples behind
        for (int pass = 0; pass < 2; pass++) {
            int q = at + h.headerSize;
            long base = pos;
            while (q + 8 <= end) {
                int size = Boxes.u32(b, q);
                if (size < 8 || q + size > end) {
                    return -1;
                }
                if (Boxes.u32(b, q + 4) == Boxes.TRAF && !traf(b, q + 8, q + size, pos, dataStart, dataEnd, pass == 1)) {
                    return -1;
                }
                q += size;
            }
            if (q != end) {
                return -1;
            }
            if (pass == 1 && base == pos) {
                if (moofCount == moofs.length) {
                    moofs = Arrays.copyOf(moofs, moofCount * 2);
                }
                moofs[moofCount++] = pos;
            }
        }
        return dataEnd;
    }

    private boolean traf(byte[] b, int p, int end, long moofPos, long dataStart, long dataEnd, boolean apply) {
        int trackId = -1;
        int tfhdFlags = 0;
        long baseOffset = moofPos;
        long defDuration = 0;
        long defSize = 0;
        int defFlags = 0;
        long tfdt = -1;
        TrackIndex ti = null;
        while (p + 8 <= end) {
            int size = Boxes.u32(b, p);
            int type = Boxes.u32(b, p + 4);
            if (size < 8 || p + size > end) {
                return false;
            }
            int c = p + 12; // after the FullBox header
            if (type == Boxes.TFHD) {
                tfhdFlags = Boxes.u32(b, p + 8) & 0xFFFFFF;
                trackId = Boxes.u32(b, c);
                c += 4;
                ti = index.get(trackId);
                if (ti == null) {
                    return false;
                }
                if ((tfhdFlags & 0x01) != 0) {           // base-data-offset-present
                    baseOffset = Boxes.u64(b, c);
                    c += 8;
                }
                if ((tfhdFlags & 0x02) != 0) {           // sample-description-index-present
                    c += 4;
                }
                if ((tfhdFlags & 0x08) != 0) {           // default-sample-duration-present
                    defDuration = Boxes.u32(b, c) & 0xFFFFFFFFL;
                    c += 4;
                }
                if ((tfhdFlags & 0x10) != 0) {           // default-sample-size-present
                    defSize = Boxes.u32(b, c) & 0xFFFFFFFFL;
                    c += 4;
                }
                if ((tfhdFlags & 0x20) != 0) {           // default-sample-flags-present
                    defFlags = Boxes.u32(b, c);
                }
            } else if (type == Boxes.TFDT) {
                tfdt = b[p + 8] == 1 ? Boxes.u64(b, c) : Boxes.u32(b, c) & 0xFFFFFFFFL;
            } else if (type == Boxes.TRUN) {
                if (ti == null) {
                    return false;
                }
                int flags = Boxes.u32(b, p + 8) & 0xFFFFFF;
                int n = Boxes.u32(b, c);
                c += 4;
                long offset = baseOffset;
                if ((flags & FragmentWriter.TRUN_DATA_OFFSET) != 0) {
                    offset += Boxes.u32(b, c);            // signed 32-bit data_offset
                    c += 4;
                }
                int firstFlags = defFlags;
                boolean hasFirst = (flags & FragmentWriter.TRUN_FIRST_SAMPLE_FLAGS) != 0;
                if (hasFirst) {
                    firstFlags = Boxes.u32(b, c);
                    c += 4;
                }
                int per = Integer.bitCount(flags & (FragmentWriter.TRUN_DURATION | FragmentWriter.TRUN_SIZE
                        | FragmentWriter.TRUN_FLAGS | FragmentWriter.TRUN_CTS)) * 4;
                if (n < 0 || c + (long) n * per > p + size) {
                    return false;
                }
                if (apply) {
                    if (ti.firstTfdt < 0) {
                        ti.firstTfdt = Math.max(0, tfdt);
                        ti.expected = ti.firstTfdt;
                    } else if (tfdt > ti.expected) {
                        ti.tables.extendLast(tfdt - ti.expected);
                        ti.expected = tfdt;
                    }
                    ti.tables.addChunk(offset, n);
                }
                long total = 0;
                for (int s = 0; s < n; s++) {
                    long dur = defDuration;
                    long sz = defSize;
                    int fl = s == 0 && hasFirst ? firstFlags : defFlags;
                    if ((flags & FragmentWriter.TRUN_DURATION) != 0) {
                        dur = Boxes.u32(b, c) & 0xFFFFFFFFL;
                        c += 4;
                    }
                    if ((flags & FragmentWriter.TRUN_SIZE) != 0) {
                        sz = Boxes.u32(b, c) & 0xFFFFFFFFL;
                        c += 4;
                    }
                    if ((flags & FragmentWriter.TRUN_FLAGS) != 0) {
                        int f = Boxes.u32(b, c);
                        c += 4;
                        if (!(s == 0 && hasFirst)) {
                            fl = f;
                        }
                    }
                    if ((flags & FragmentWriter.TRUN_CTS) != 0) {
                        c += 4;                          // composition offsets are not written by this writer
                    }
                    total += sz;
                    if (apply) {
                        ti.tables.addSample((int) sz, dur, (fl & 0x0001_0000) == 0);
                        ti.expected += dur;
                    }
                }
                if (offset < dataStart || offset + total > dataEnd) {
                    return false;
                }
                if (!apply && (tfhdFlags & FragmentWriter.TFHD_DEFAULT_BASE_IS_MOOF) == 0
                        && (tfhdFlags & 0x01) == 0) {
                    baseOffset = offset + total;          // 8.8.7: the next run follows this one's data
                }
            }
            p += size;
        }
        return trackId >= 0;
    }

    // ------------------------------------------------------------------------------------------ final moov

    private static MovieBox parseMoov(byte[] bytes) throws IOException {
        byte[] copy = bytes.clone();
        putType(copy, 4, Boxes.MOOV);
        try {
            // isoparser parses box contents lazily, on first use, where a malformed box throws unchecked exceptions
            // (or, with -ea, its own AssertionError self-check): parse a throwaway copy of every box now, so an
            // unreadable movie box is an IOException before anything is written. The copy used below stays lazy,
            // so what is written does not change.
            parseAll(new IsoFile(Channels.newChannel(new ByteArrayInputStream(copy.clone()))));
        } catch (RuntimeException | AssertionError e) {
            throw new IOException("unreadable init movie box: " + e, e);
        }
        IsoFile iso = new IsoFile(Channels.newChannel(new ByteArrayInputStream(copy)));
        MovieBox moov = iso.getMovieBox();
        if (moov == null) {
            throw new IOException("unreadable init movie box (parsed as " + iso.getBoxes() + ")");
        }
        // what the index and the final moov are built from (ISO/IEC 14496-12 8.2-8.5)
        if (moov.getMovieHeaderBox() == null) {
            throw new IOException("init movie box without mvhd");
        }
        for (TrackBox trak : moov.getBoxes(TrackBox.class)) {
            MediaBox mdia = trak.getMediaBox();
            MediaInformationBox minf = mdia == null ? null : mdia.getMediaInformationBox();
            SampleTableBox stbl = minf == null ? null : minf.getSampleTableBox();
            if (trak.getTrackHeaderBox() == null || stbl == null || mdia.getMediaHeaderBox() == null
                    || mdia.getBoxes(HandlerBox.class).isEmpty()
                    || stbl.getSampleDescriptionBox() == null) {
                throw new IOException("init movie box with an incomplete track (tkhd, mdia/mdhd, hdlr, minf/stbl/stsd)");
            }
        }
        return moov;
    }

    private static void parseAll(Container c) {
        for (Box b : c.getBoxes()) {
            if (b instanceof AbstractBox a) {
                a.parseDetails();
            }
            if (b instanceof Container child) {
                parseAll(child);
            }
        }
    }

    private byte[] finalMoov(MovieBox moov, Instant now) {
        Date modified = Date.from(now);
        long movieDuration = 0;
        List<Box> moovChildren = new ArrayList<>();
        for (Box box : moov.getBoxes()) {
            if (box instanceof MovieExtendsBox) {
                continue;                                        // 8.8.1: a progressive file has no mvex
            }
            moovChildren.add(box);
        }
        MovieHeaderBox mvhd = moov.getMovieHeaderBox();
        long movieScale = mvhd.getTimescale();
        for (TrackBox trak : moov.getBoxes(TrackBox.class)) {
            TrackHeaderBox tkhd = trak.getTrackHeaderBox();
            TrackIndex ti = index.get((int) tkhd.getTrackId());
            MediaBox mdia = trak.getMediaBox();
            MediaHeaderBox mdhd = mdia.getMediaHeaderBox();
            long scale = mdhd.getTimescale();
            String handler = mdia.getBoxes(HandlerBox.class).get(0).getHandlerType();
            boolean video = "vide".equals(handler);
            MediaInformationBox minf = mdia.getMediaInformationBox();
            SampleTableBox stbl = minf.getSampleTableBox();
            SampleDescriptionBox stsd = stbl.getSampleDescriptionBox();

            long mediaDuration = ti.tables.duration();
            long start = Math.max(0, ti.firstTfdt);
            byte[] stsdBytes = Boxes.bytes(stsd);
            long mediaStart = 0;
            int dops = indexOf(stsdBytes, Boxes.fourcc("dOps"));
            if (dops > 0 && dops + 12 <= stsdBytes.length) {
                // Opus in ISO BMFF 4.4: the edit skips the pre-skip (48 kHz samples) at the start of the media
                long preSkip = (stsdBytes[dops + 10] & 0xFF) << 8 | (stsdBytes[dops + 11] & 0xFF); // after Version, OutputChannelCount
                mediaStart = Math.min(mediaDuration, preSkip * scale / 48000);
            }
            // 8.6.6 EditListBox: an empty edit (media_time -1) until the track starts, then the media
            EditListBox elst = new EditListBox();
            List<EditListBox.Entry> edits = new ArrayList<>();
            long trackDuration = 0;
            if (start > 0) {
                long d = Math.round(start * (double) movieScale / scale);
                if (d > 0) {
                    edits.add(new EditListBox.Entry(elst, d, -1, 1.0));
                    trackDuration += d;
                }
            }
            long shown = Math.round((mediaDuration - mediaStart) * (double) movieScale / scale);
            if (mediaDuration - mediaStart > 0) {
                edits.add(new EditListBox.Entry(elst, shown, mediaStart, 1.0));
                trackDuration += shown;
            }
            elst.setEntries(edits);
            elst.setVersion(trackDuration > 0xFFFFFFFFL || mediaStart > 0x7FFFFFFFL ? 1 : 0);
            movieDuration = Math.max(movieDuration, trackDuration);

            tkhd.setDuration(trackDuration);
            tkhd.setModificationTime(modified);
            tkhd.setVersion(trackDuration > 0xFFFFFFFFL ? 1 : 0);
            mdhd.setDuration(mediaDuration);
            mdhd.setModificationTime(modified);
            mdhd.setVersion(mediaDuration > 0xFFFFFFFFL ? 1 : 0);
            if (ti.change != null) {
                applyChange(stsd, tkhd, ti.change);
            }

            List<Box> trakChildren = new ArrayList<>();
            for (Box box : trak.getBoxes()) {
                if (box instanceof EditBox) {
                    continue;
                }
                trakChildren.add(box);
                if (box instanceof TrackHeaderBox && !edits.isEmpty()) {
                    EditBox edts = new EditBox();
                    edts.addBox(elst);
                    trakChildren.add(edts);
                }
            }
            trak.setBoxes(trakChildren);

            ByteBuilder tables = new ByteBuilder(64 + ti.tables.sampleCount() * 4 + ti.tables.chunkCount() * 20);
            ti.tables.write(tables, video);
            SampleTableBox newStbl = new SampleTableBox();
            newStbl.addBox(stsd);
            InitSegment.addRawBoxes(newStbl, tables);
            List<Box> minfChildren = new ArrayList<>();
            for (Box box : minf.getBoxes()) {
                minfChildren.add(box instanceof SampleTableBox ? newStbl : box);
            }
            minf.setBoxes(minfChildren);
        }
        mvhd.setDuration(movieDuration);
        mvhd.setModificationTime(modified);
        mvhd.setVersion(movieDuration > 0xFFFFFFFFL ? 1 : 0);
        moov.setBoxes(moovChildren);
        return Boxes.bytes(moov);
    }

    /** A track whose format changed: avc1 -> avc3, hvc1 -> hev1 (in-band parameter sets), largest size. */
    private static void applyChange(SampleDescriptionBox stsd, TrackHeaderBox tkhd, FormatChange.Parsed c) {
        for (VisualSampleEntry e : stsd.getBoxes(VisualSampleEntry.class)) {
            if (c.inBand()) {
                if ("avc1".equals(e.getType())) {
                    e.setType("avc3");
                } else if ("hvc1".equals(e.getType())) {
                    e.setType("hev1");
                }
            }
            e.setWidth(Math.max(e.getWidth(), c.width()));
            e.setHeight(Math.max(e.getHeight(), c.height()));
            tkhd.setWidth(Math.max(tkhd.getWidth(), e.getWidth()));
            tkhd.setHeight(Math.max(tkhd.getHeight(), e.getHeight()));
        }
    }

    private static int indexOf(byte[] hay, int fourcc) {
        for (int i = 4; i + 4 <= hay.length; i++) {
            if (Boxes.u32(hay, i) == fourcc) {
                return i - 4;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------------------------------ writing

    private void writeAt(long pos, byte[] bytes) throws IOException {
        file.position(pos);
        ByteBuffer bb = ByteBuffer.wrap(bytes);
        while (bb.hasRemaining()) {
            if (file.write(bb) < 0) {
                throw new IOException("output refused to write at " + pos);
            }
        }
        bufPos = -1;
    }

    private static byte[] boxHeader(long size, int type) {
        byte[] h = new byte[8];
        h[0] = (byte) (size >>> 24);
        h[1] = (byte) (size >>> 16);
        h[2] = (byte) (size >>> 8);
        h[3] = (byte) size;
        putType(h, 4, type);
        return h;
    }

    private static void putType(byte[] b, int at, int type) {
        b[at] = (byte) (type >>> 24);
        b[at + 1] = (byte) (type >>> 16);
        b[at + 2] = (byte) (type >>> 8);
        b[at + 3] = (byte) type;
    }
}

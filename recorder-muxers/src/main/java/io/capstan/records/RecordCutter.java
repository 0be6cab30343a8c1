package io.capstan.records;

import io.capstan.media.EncodedFrame;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.FileChannelOutput;
import io.capstan.mux.mp4.Mp4Muxer;
import io.capstan.mux.webm.DocType;
import io.capstan.mux.webm.MatroskaMuxer;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Cuts a recording to the part from the video keyframe at or before {@code start} to {@code end}, without
 * re-encoding: MP4 (progressive, as Capstan finalizes it) and WebM/Matroska.
 *
 * <p>The source is demuxed into its samples ({@link Mp4Source}, {@link WebmSource}) and the chosen ones are pushed
 * as {@link EncodedFrame}s, in presentation order across tracks, through the same muxer that wrote the recording
 * ({@link Mp4Muxer}, {@link MatroskaMuxer}), so the cut has the structure every Capstan file has (moov first,
 * Cues, Duration) and the muxer's own tests vouch for it. The cut starts at the keyframe (time 0 of the output);
 * audio starts with its first packet at or after that keyframe and keeps its offset to the video, so the tracks
 * stay in sync. A file without video is cut at {@code start} exactly (every audio packet is a sync point).
 *
 * <p>The output is written to a temporary file next to {@code dest} and moved onto {@code dest} atomically, so a
 * reader never sees half a cut.
 */
public final class RecordCutter {

    /** What was written: the cut's first and last media time on the source's timeline, and its duration. */
    public record Cut(Path file, long sourceStartMicros, long sourceEndMicros, long frames) {
        public long durationMicros() {
            return sourceEndMicros - sourceStartMicros;
        }
    }

    /** The containers a recording can be cut from. */
    public enum Format { MP4, MATROSKA }

    private RecordCutter() {
    }

    /** The container of {@code file} by its first bytes, or null when it is neither MP4 nor Matroska. */
    public static Format sniff(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return sniff(ch);
        }
    }

    static Format sniff(FileChannel ch) throws IOException {
        if (ch.size() < 12) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(12);
        Media.readFully(ch, b, 0);
        if (b.getInt(0) == WebmSource.EBML) {
            return Format.MATROSKA;
        }
        String type = Mp4Source.fourcc(b.getInt(4));
        return type.equals("ftyp") || type.equals("moov") ? Format.MP4 : null;
    }

    /**
     * Cuts {@code source} from the keyframe at or before {@code startMicros} to {@code endMicros} (media time
     * from the start of the file) into {@code dest}, in the source's container.
     *
     * @throws IllegalArgumentException when the range is empty or holds no media
     * @throws IOException              when the source cannot be read or is not MP4/WebM/Matroska
     */
    public static Cut cut(Path source, long startMicros, long endMicros, Path dest) throws IOException {
        if (startMicros < 0 || endMicros <= startMicros) {
            throw new IllegalArgumentException("a cut needs 0 <= start < end (start " + startMicros + " us, end "
                    + endMicros + " us)");
        }
        Media media;
        Format format;
        String docType = "webm";
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
            format = sniff(in);
            if (format == null) {
                throw new IOException(source.getFileName() + " is neither MP4 nor WebM/Matroska: cannot cut it");
            }
            try {
                if (format == Format.MP4) {
                    media = Mp4Source.read(in);
                } else {
                    docType = WebmSource.header(in).docType();
                    media = WebmSource.read(in);
                }
            } catch (BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
                // the readers walk boxes / elements as bounds-checked buffers: a size field that overruns its
                // parent ends there, and the file is malformed, not the arguments
                throw new IOException(source.getFileName() + " is a malformed " + (format == Format.MP4 ? "MP4"
                        : "WebM/Matroska") + " file: " + e.getMessage(), e);
            }
            return write(in, media, format, docType, startMicros, endMicros, dest);
        }
    }

    private static Cut write(FileChannel in, Media media, Format format, String docType, long startMicros,
                             long endMicros, Path dest) throws IOException {
        List<Media.Track> tracks = media.tracks;
        long lastPts = Long.MIN_VALUE;
        for (Media.Track t : tracks) {
            if (t.count > 0) {
                lastPts = Math.max(lastPts, t.ptsMicros[t.count - 1]);
            }
        }
        if (startMicros > lastPts) {
            throw new IllegalArgumentException("the cut starts at " + startMicros / 1000 + " ms, after the end of the "
                    + "recording (" + Math.max(0, lastPts) / 1000 + " ms)");
        }
        // the video keyframe at or before start (the first keyframe when start is before it)
        long origin = startMicros;
        Media.Track video = tracks.stream().filter(Media.Track::video).findFirst().orElse(null);
        if (video != null) {
            long best = Long.MIN_VALUE;
            long firstKey = Long.MIN_VALUE;
            for (int i = 0; i < video.count; i++) {
                if (!video.key[i]) {
                    continue;
                }
                long p = video.ptsMicros[i];
                if (firstKey == Long.MIN_VALUE) {
                    firstKey = p;
                }
                if (p <= startMicros) {
                    best = p;
                } else {
                    break;
                }
            }
            if (firstKey == Long.MIN_VALUE) {
                throw new IllegalArgumentException("the recording has no video keyframe to start a cut at");
            }
            origin = best != Long.MIN_VALUE ? best : firstKey;
            if (origin >= endMicros) {
                throw new IllegalArgumentException("no keyframe before the end of the cut");
            }
        }
        int n = tracks.size();
        int[] next = new int[n];
        for (int t = 0; t < n; t++) {
            Media.Track tr = tracks.get(t);
            int i = 0;
            while (i < tr.count && tr.ptsMicros[i] < origin) {
                i++;
            }
            if (tr.video()) {
                while (i < tr.count && !tr.key[i]) {
                    i++;
                }
            }
            next[t] = i;
        }
        long[] firstTicks = new long[n];
        for (int t = 0; t < n; t++) {
            Media.Track tr = tracks.get(t);
            firstTicks[t] = next[t] < tr.count ? tr.ticks[next[t]] : 0;
        }

        Path tmp = dest.resolveSibling("." + dest.getFileName() + "." + Long.toHexString(
                ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + ".tmp");
        long frames = 0;
        long lastEnd = origin;
        try (FileChannelOutput out = FileChannelOutput.create(tmp)) {
            Muxer muxer = format == Format.MP4 ? Mp4Muxer.progressive(out, Mp4Muxer.Options.DEFAULT)
                    : new MatroskaMuxer(out, docType.equals("webm") ? DocType.WEBM : DocType.MATROSKA,
                    MatroskaMuxer.Options.DEFAULT);
            int[] muxTrack = new int[n];
            for (int t = 0; t < n; t++) {
                muxTrack[t] = next[t] < tracks.get(t).count && tracks.get(t).ptsMicros[next[t]] < endMicros
                        ? muxer.addTrack(tracks.get(t).format) : -1;
            }
            EncodedFrame frame = new EncodedFrame(64 * 1024);
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (true) {
                int pick = -1;
                long best = Long.MAX_VALUE;
                for (int t = 0; t < n; t++) {
                    Media.Track tr = tracks.get(t);
                    if (muxTrack[t] >= 0 && next[t] < tr.count && tr.ptsMicros[next[t]] < endMicros
                            && tr.ptsMicros[next[t]] < best) {
                        best = tr.ptsMicros[next[t]];
                        pick = t;
                    }
                }
                if (pick < 0) {
                    break;
                }
                Media.Track tr = tracks.get(pick);
                int i = next[pick]++;
                int size = tr.size[i];
                if (buf.capacity() < size) {
                    buf = ByteBuffer.allocate(Math.max(size, buf.capacity() * 2));
                }
                buf.clear().limit(size);
                Media.readFully(in, buf, tr.offset[i]);
                frame.set(buf.array(), 0, size).track(pick).ptsMicros(tr.ptsMicros[i] - origin)
                        .rtpTimestamp(tr.ticks[i] - firstTicks[pick]).keyframe(tr.key[i]);
                try {
                    muxer.write(muxTrack[pick], frame);
                } catch (IllegalArgumentException e) {
                    // the muxer refuses the source's track format (e.g. an avcC that is not one): unreadable source
                    throw new IOException("the source's " + tr.format.codec() + " track cannot be written again: "
                            + e.getMessage(), e);
                }
                frames++;
                long step = i + 1 < tr.count ? tr.ptsMicros[i + 1] - tr.ptsMicros[i] : 0;
                lastEnd = Math.max(lastEnd, Math.min(endMicros, tr.ptsMicros[i] + step));
            }
            if (frames == 0) {
                throw new IllegalArgumentException("the recording holds no media between " + origin / 1000 + " ms and "
                        + endMicros / 1000 + " ms");
            }
            try {
                muxer.close();
            } catch (IllegalArgumentException e) {
                throw new IOException("the source's tracks cannot be written again: " + e.getMessage(), e);
            }
            out.force();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING);
        }
        return new Cut(dest, origin, lastEnd, frames);
    }
}

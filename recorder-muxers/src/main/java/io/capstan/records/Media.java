package io.capstan.records;

import io.capstan.media.TrackFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;

/**
 * A demuxed recording: its tracks and, per track, where each sample's bytes are in the file and when it plays.
 * Sample tables are parallel primitive arrays (about 30 bytes per sample), built once per cut.
 */
final class Media {

    /** One track's samples, in decode order (which is presentation order: Capstan writes no B-frames). */
    static final class Track {
        final TrackFormat format;
        int count;
        long[] offset = new long[256];
        int[] size = new int[256];
        long[] ptsMicros = new long[256];
        long[] ticks = new long[256];      // decode time in the track's clock (format.clockRate())
        boolean[] key = new boolean[256];

        Track(TrackFormat format) {
            this.format = format;
        }

        void add(long off, int len, long pts, long tick, boolean keyframe) {
            if (count == offset.length) {
                int n = count * 2;
                offset = Arrays.copyOf(offset, n);
                size = Arrays.copyOf(size, n);
                ptsMicros = Arrays.copyOf(ptsMicros, n);
                ticks = Arrays.copyOf(ticks, n);
                key = Arrays.copyOf(key, n);
            }
            offset[count] = off;
            size[count] = len;
            ptsMicros[count] = pts;
            ticks[count] = tick;
            key[count] = keyframe;
            count++;
        }

        boolean video() {
            return format.codec().isVideo();
        }
    }

    final List<Track> tracks;

    Media(List<Track> tracks) {
        this.tracks = tracks;
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + pos);
            }
            pos += n;
        }
        dst.flip();
    }

    static byte[] read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        readFully(ch, b, pos);
        return b.array();
    }
}

package io.capstan.mux;

import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;

import java.io.Closeable;
import java.io.IOException;

/**
 * SPI: writes encoded frames of one or more tracks into one container file.
 *
 * <p>Life cycle: {@link #addTrack} for every track, then {@link #write} in presentation order across tracks
 * (the session interleaves by {@code ptsMicros}; within a track timestamps never decrease), then {@link #close}.
 * A muxer is used by one thread at a time. It writes to the channel it was created with and never closes it:
 * committing or aborting the output is the caller's business.
 */
public interface Muxer extends Closeable {

    /** Declares a track; returns its index for {@link #write}. Only before the first write. */
    int addTrack(TrackFormat format);

    /**
     * Writes one frame. The muxer must not keep {@code frame} (it is pooled) and must write its bytes out or
     * copy them before returning. {@code frame.ptsMicros()} is on the segment timeline shared by all tracks.
     */
    void write(int track, EncodedFrame frame) throws IOException;

    /**
     * The track's format changes from the next frame written on (a new resolution, new SPS/PPS, a new sequence
     * header). Called before that frame's {@link #write}; the format may equal the current one (ignore it then).
     *
     * @return true when this file carries the change (in-band parameters, a new sample description); false when
     *         the container cannot, and the session must close this file and start a new segment at that frame
     */
    default boolean formatChanged(int track, TrackFormat format) throws IOException {
        return true;
    }

    /** Pushes buffered data to the output (e.g. an open Ogg page or cluster) so a crash loses little. */
    default void flush() throws IOException {
    }

    /** Finalizes the file (index, durations, header fix-ups). Idempotent. */
    @Override
    void close() throws IOException;

    /** Bytes handed to the output so far (the file size after {@link #close}). */
    long bytesWritten();

    /** Frames written so far, all tracks. */
    long framesWritten();
}

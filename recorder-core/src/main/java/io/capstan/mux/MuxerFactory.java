package io.capstan.mux;

import io.capstan.media.Codec;
import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SeekableOutput;

import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * SPI: makes muxers of one container format. Whether the format needs to seek back (IVF, WebM/Matroska patch
 * their headers and write an index on close) or is append-only (Ogg) is in the type: a {@link Seekable} factory
 * can only be given a {@link SeekableOutput}. A {@link Grouped} format (DASH, HLS) writes several objects (init
 * segment, media segments, manifest) into an {@link ObjectGroup}.
 */
public sealed interface MuxerFactory permits MuxerFactory.Streaming, MuxerFactory.Seekable, MuxerFactory.Grouped {

    Container container();

    /**
     * Why this container cannot hold these codecs together, or {@code null} when it can. Checked when a session
     * is built, so a bad combination is a configuration error and never a broken file.
     */
    String rejectReason(List<Codec> codecs);

    /** File name extension (without dot) for a file holding these codecs, e.g. {@code webm}, {@code mka}. */
    String extension(List<Codec> codecs);

    /** A muxer writing strictly forward. */
    non-sealed interface Streaming extends MuxerFactory {
        Muxer create(WritableByteChannel out);
    }

    /** A muxer that seeks back to patch headers or write an index. */
    non-sealed interface Seekable extends MuxerFactory {
        Muxer create(SeekableOutput out);
    }

    /**
     * A muxer writing several objects: the manifest called {@code manifestName} (e.g. {@code demo_1.mpd}) and the
     * segments it refers to, all inside {@code out}.
     */
    non-sealed interface Grouped extends MuxerFactory {
        Muxer create(ObjectGroup out, String manifestName);
    }
}

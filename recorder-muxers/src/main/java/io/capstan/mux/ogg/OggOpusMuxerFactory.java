package io.capstan.mux.ogg;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;

import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * Makes {@link OggOpusMuxer}s. Append-only (Streaming). The Ogg stream serial number comes from an injected
 * supplier so that the same input gives the same bytes; the default is a fixed serial, which is fine for a file
 * holding one logical stream (RFC 3533 only asks serials to be unique within one physical stream).
 */
public final class OggOpusMuxerFactory implements MuxerFactory.Streaming {

    /** The default serial: "Capn" in ASCII. */
    public static final int DEFAULT_SERIAL = 0x4361_706e;

    private final IntSupplier serials;

    public OggOpusMuxerFactory() {
        this(() -> DEFAULT_SERIAL);
    }

    public OggOpusMuxerFactory(IntSupplier serials) {
        this.serials = serials;
    }

    @Override
    public Container container() {
        return Container.OGG;
    }

    @Override
    public String rejectReason(List<Codec> codecs) {
        if (codecs.size() != 1 || codecs.get(0) != Codec.OPUS) {
            if (codecs.size() == 1) {
                return "ogg cannot hold " + codecs.get(0) + " (Ogg allows one Opus track); use --container mkv";
            }
            return "ogg holds exactly one Opus track, got " + codecs + "; use --container mkv";
        }
        return null;
    }

    /** RFC 7845 section 9: Ogg Opus files should use the extension {@code .opus}. */
    @Override
    public String extension(List<Codec> codecs) {
        return "opus";
    }

    @Override
    public Muxer create(WritableByteChannel out) {
        return new OggOpusMuxer(out, serials.getAsInt());
    }
}

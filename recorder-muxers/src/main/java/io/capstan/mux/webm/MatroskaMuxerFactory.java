package io.capstan.mux.webm;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;
import io.capstan.storage.SeekableOutput;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Makes {@link MatroskaMuxer}s writing WebM ({@link #webm()}) or Matroska ({@link #matroska()}). Seekable: the
 * Segment size, SeekHead, Duration and each Cluster's size are patched in place.
 */
public final class MatroskaMuxerFactory implements MuxerFactory.Seekable {

    private final DocType docType;
    private final MatroskaMuxer.Options options;

    public MatroskaMuxerFactory(DocType docType, MatroskaMuxer.Options options) {
        this.docType = docType;
        this.options = options;
    }

    public static MatroskaMuxerFactory webm() {
        return new MatroskaMuxerFactory(DocType.WEBM, MatroskaMuxer.Options.DEFAULT);
    }

    public static MatroskaMuxerFactory matroska() {
        return new MatroskaMuxerFactory(DocType.MATROSKA, MatroskaMuxer.Options.DEFAULT);
    }

    public DocType docType() {
        return docType;
    }

    @Override
    public Container container() {
        return docType == DocType.WEBM ? Container.WEBM : Container.MKV;
    }

    @Override
    public String rejectReason(List<Codec> codecs) {
        if (codecs.isEmpty()) {
            return docType.docTypeName() + " needs at least one track";
        }
        List<Codec> bad = codecs.stream().filter(c -> !docType.allows(c)).distinct().toList();
        if (!bad.isEmpty()) {
            return docType.docTypeName() + " cannot hold "
                    + bad.stream().map(Codec::name).collect(Collectors.joining(", "))
                    + " (WebM allows VP8, VP9, AV1, Opus); use --container mkv";
        }
        return null;
    }

    /** {@code webm} for WebM; for Matroska {@code mkv} when there is video, {@code mka} when audio-only. */
    @Override
    public String extension(List<Codec> codecs) {
        if (docType == DocType.WEBM) {
            return "webm";
        }
        return codecs.stream().anyMatch(Codec::isVideo) ? "mkv" : "mka";
    }

    @Override
    public Muxer create(SeekableOutput out) {
        return new MatroskaMuxer(out, docType, options);
    }
}

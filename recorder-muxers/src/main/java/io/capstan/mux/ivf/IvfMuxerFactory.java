package io.capstan.mux.ivf;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;
import io.capstan.storage.SeekableOutput;

import java.util.List;

/** Makes {@link IvfMuxer}s. Seekable: the header's length field is fixed up on close. */
public final class IvfMuxerFactory implements MuxerFactory.Seekable {

    @Override
    public Container container() {
        return Container.IVF;
    }

    @Override
    public String rejectReason(List<Codec> codecs) {
        if (codecs.size() != 1) {
            return "ivf holds exactly one video track (VP8, VP9 or AV1), got " + codecs;
        }
        Codec c = codecs.get(0);
        if (IvfMuxer.fourcc(c) == null) {
            return "ivf cannot hold " + c + " (IVF allows VP8, VP9, AV1); use --container mkv";
        }
        return null;
    }

    @Override
    public String extension(List<Codec> codecs) {
        return "ivf";
    }

    @Override
    public Muxer create(SeekableOutput out) {
        return new IvfMuxer(out);
    }
}

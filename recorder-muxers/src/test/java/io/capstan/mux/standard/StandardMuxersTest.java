package io.capstan.mux.standard;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.MuxerFactory;
import io.capstan.mux.MuxerSelector;
import io.capstan.mux.webm.DocType;
import io.capstan.mux.webm.MatroskaMuxerFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.capstan.media.Codec.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StandardMuxersTest {

    static List<Codec> codecs(String s) {
        return Arrays.stream(s.split("\\+")).map(Codec::valueOf).toList();
    }

    @ParameterizedTest(name = "auto {0} perTrack={1} -> {2}.{3}")
    @CsvSource({
            "VP8+OPUS,   false, WEBM, webm",
            "VP9,        false, WEBM, webm",
            "AV1+OPUS,   false, WEBM, webm",
            "OPUS,       false, OGG,  opus",
            "OPUS+OPUS,  false, WEBM, webm",
            "H264+AAC,   false, MP4,  mp4",
            "H264+OPUS,  false, MP4,  mp4",
            "H265+AAC,   false, MP4,  mp4",
            "H265,       false, MP4,  mp4",
            "H264+PCMU,  false, MKV,  mkv",
            "VP8+AAC,    false, MKV,  mkv",
            "VP8+PCMU,   false, MKV,  mkv",
            "PCMU,       false, MKV,  mka",
            "AAC,        false, MKV,  mka",
            "VP8,        true,  IVF,  ivf",
            "VP9,        true,  IVF,  ivf",
            "AV1,        true,  IVF,  ivf",
            "OPUS,       true,  OGG,  opus",
            "H264,       true,  MP4,  mp4",
            "H265,       true,  MP4,  mp4",
            "AAC,        true,  MP4,  m4a",
            "PCMA,       true,  MKV,  mka",
    })
    void auto_choosesTheSimplestContainerThatHoldsTheCodecs(String list, boolean perTrack, Container c, String ext) {
        List<Codec> codecs = codecs(list.trim());
        MuxerFactory f = StandardMuxers.selector(Container.AUTO, perTrack).select(codecs);
        assertThat(f.container()).isEqualTo(c);
        assertThat(f.extension(codecs)).isEqualTo(ext);
        assertThat(f.rejectReason(codecs)).isNull();
    }

    @Test
    void explicitContainer_thatCannotHoldTheCodecs_saysWhatToUse() {
        MuxerSelector webm = StandardMuxers.selector(Container.WEBM, false);
        assertThatThrownBy(() -> webm.select(List.of(H264)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("webm cannot hold H264 (WebM allows VP8, VP9, AV1, Opus); use --container mkv");
        assertThatThrownBy(() -> webm.select(List.of(VP8, AAC))).hasMessageContaining("webm cannot hold AAC");
        assertThatThrownBy(() -> StandardMuxers.selector(Container.IVF, true).select(List.of(H264)))
                .hasMessageContaining("ivf cannot hold H264");
        assertThatThrownBy(() -> StandardMuxers.selector(Container.IVF, false).select(List.of(VP8, OPUS)))
                .hasMessageContaining("ivf holds exactly one");
        assertThatThrownBy(() -> StandardMuxers.selector(Container.OGG, false).select(List.of(PCMU)))
                .hasMessageContaining("ogg cannot hold PCMU");
        assertThatThrownBy(() -> StandardMuxers.selector(Container.TS, false).select(List.of(VP8, OPUS)))
                .hasMessageContaining("ts cannot hold VP8");
        assertThatThrownBy(() -> StandardMuxers.selector(Container.AUTO, false).select(List.of()))
                .hasMessageContaining("no tracks");
    }

    @Test
    void explicitContainer_thatCanHoldTheCodecs_isUsed() {
        MuxerFactory mkv = StandardMuxers.selector(Container.MKV, false).select(List.of(VP8, OPUS));
        assertThat(mkv).isInstanceOf(MatroskaMuxerFactory.class);
        assertThat(((MatroskaMuxerFactory) mkv).docType()).isEqualTo(DocType.MATROSKA);
        assertThat(mkv.extension(List.of(VP8, OPUS))).isEqualTo("mkv");
        assertThat(StandardMuxers.selector(Container.WEBM, true).select(List.of(OPUS)).container())
                .isEqualTo(Container.WEBM);
        assertThat(StandardMuxers.selector(Container.OGG, true).select(List.of(OPUS)))
                .isInstanceOf(MuxerFactory.Streaming.class);
        assertThat(StandardMuxers.selector(Container.IVF, true).select(List.of(VP9)))
                .isInstanceOf(MuxerFactory.Seekable.class);
        MuxerFactory mp4 = StandardMuxers.selector(Container.MP4, false).select(List.of(VP9, OPUS));
        assertThat(mp4).isInstanceOf(MuxerFactory.Seekable.class);
        assertThat(mp4.extension(List.of(VP9, OPUS))).isEqualTo("mp4");
        assertThat(mp4.extension(List.of(PCMU))).isEqualTo("m4a");
        assertThat(StandardMuxers.selector(Container.FMP4, false).select(List.of(AV1, OPUS)))
                .isInstanceOf(MuxerFactory.Seekable.class); // only to make each fragment visible once complete
    }

    @Test
    void everyConcreteContainerHasAFactory() {
        java.util.Set<Container> pending = java.util.EnumSet.noneOf(Container.class);
        for (Container c : Container.values()) {
            if (c == Container.AUTO) {
                continue;
            }
            if (pending.contains(c)) {
                assertThatThrownBy(() -> StandardMuxers.factory(c)).hasMessageContaining("not available");
            } else {
                assertThat(StandardMuxers.factory(c).container()).isEqualTo(c);
            }
        }
        assertThat(StandardMuxers.factories()).hasSize(Container.values().length - 1 - pending.size());
        assertThatThrownBy(() -> StandardMuxers.factory(Container.AUTO)).isInstanceOf(IllegalArgumentException.class);
    }
}

package io.capstan.sdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.media.Codec;
import io.capstan.media.MediaKind;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SdpParserTest {

    /** The SDPs of /work/shared/fixtures, verbatim (ffmpeg writes CRLF, the GStreamer ones use LF). */
    static final String VP8_OPUS = crlf("""
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=No Name
            t=0 0
            a=tool:libavformat LIBAVFORMAT_VERSION
            m=video 5004 RTP/AVP 96
            c=IN IP4 127.0.0.1
            b=AS:700
            a=rtpmap:96 VP8/90000
            m=audio 5006 RTP/AVP 111
            c=IN IP4 127.0.0.1
            b=AS:64
            a=rtpmap:111 opus/48000/2
            a=fmtp:111 sprop-stereo=1
            """);

    static final String H264_AAC = crlf("""
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=No Name
            t=0 0
            a=tool:libavformat LIBAVFORMAT_VERSION
            m=video 5010 RTP/AVP 96
            c=IN IP4 127.0.0.1
            b=AS:1200
            a=rtpmap:96 H264/90000
            a=fmtp:96 packetization-mode=1
            m=audio 5012 RTP/AVP 97
            c=IN IP4 127.0.0.1
            b=AS:128
            a=rtpmap:97 MPEG4-GENERIC/48000/2
            a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3; config=119056E500
            """);

    static final String H264_STAPA_GST = """
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=h264_stapa_gst
            c=IN IP4 127.0.0.1
            t=0 0
            m=video 5020 RTP/AVP 96
            a=rtpmap:96 H264/90000
            a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAH9oDYPebwFqDAwNSgAAAAwCAAAAeR4wZUA==,aM48gA==;profile-level-id=42c01f
            a=framerate:30
            m=audio 5022 RTP/AVP 111
            a=rtpmap:111 opus/48000/2
            a=fmtp:111 sprop-stereo=1;sprop-maxcapturerate=48000
            """;

    static final String H265_GST = """
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=h265_gst
            c=IN IP4 127.0.0.1
            t=0 0
            m=video 5050 RTP/AVP 100
            a=rtpmap:100 H265/90000
            a=fmtp:100 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA/ugJA;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA/oAUCAWllupJMr/8AAQABagwMDAgAAAMACAAAAwDwQA==;sprop-pps=RAHBcrRiQA==
            a=framerate:30
            """;

    static final String OPUS_DTX_GST = """
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=opus_dtx_gst
            c=IN IP4 127.0.0.1
            t=0 0
            m=audio 5040 RTP/AVP 111
            a=rtpmap:111 opus/48000/2
            a=fmtp:111 sprop-stereo=0;sprop-maxcapturerate=48000
            """;

    static final String PCMU = crlf("""
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=No Name
            c=IN IP4 127.0.0.1
            t=0 0
            a=tool:libavformat LIBAVFORMAT_VERSION
            m=audio 5060 RTP/AVP 0
            b=AS:64
            """);

    static final String VP9_GST = """
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=vp9_gst
            c=IN IP4 127.0.0.1
            t=0 0
            m=video 5030 RTP/AVP 98
            a=rtpmap:98 VP9/90000
            a=framerate:30
            """;

    private static String crlf(String s) {
        return s.replace("\n", "\r\n");
    }

    @Test
    void vp8Opus_ffmpeg_crlf_mediaLevelConnection() throws SdpException {
        SessionDescription sdp = SdpParser.parse(VP8_OPUS);
        assertThat(sdp.sessionName()).isEqualTo("No Name");
        assertThat(sdp.connection()).isEmpty();
        assertThat(sdp.attributes()).extracting(Attribute::name).containsExactly("tool");
        assertThat(sdp.media()).hasSize(2);
        MediaDescription v = sdp.media().get(0);
        assertThat(v.media()).isEqualTo("video");
        assertThat(v.kind()).contains(MediaKind.VIDEO);
        assertThat(v.port()).isEqualTo(5004);
        assertThat(v.protocol()).isEqualTo("RTP/AVP");
        assertThat(v.payloadTypes()).containsExactly(96);
        assertThat(v.connection()).contains(new Connection("IN", "IP4", "127.0.0.1", 0, 1));
        RtpFormat vp8 = v.formats().get(0);
        assertThat(vp8.encodingName()).isEqualTo("VP8");
        assertThat(vp8.clockRate()).isEqualTo(90000);
        assertThat(vp8.channels()).isZero();
        assertThat(vp8.codec()).contains(Codec.VP8);
        assertThat(vp8.parameters()).isEmpty();
        assertThat(v.effectiveRtcpPort()).isEqualTo(5005);
        assertThat(v.direction()).isEqualTo(Direction.SENDRECV);
        MediaDescription a = sdp.media().get(1);
        RtpFormat opus = a.format(111).orElseThrow();
        assertThat(opus.codec()).contains(Codec.OPUS);
        assertThat(opus.clockRate()).isEqualTo(48000);
        assertThat(opus.channels()).isEqualTo(2);
        assertThat(opus.parameters()).containsExactly(Map.entry("sprop-stereo", "1"));
        assertThat(sdp.mediaOnPort(5006)).contains(a);
    }

    @Test
    void h264Aac_fmtpWithSpaceAfterSemicolon() throws SdpException {
        SessionDescription sdp = SdpParser.parse(H264_AAC);
        RtpFormat h264 = sdp.media().get(0).formats().get(0);
        assertThat(h264.codec()).contains(Codec.H264);
        assertThat(h264.parameters()).containsExactly(Map.entry("packetization-mode", "1"));
        RtpFormat aac = sdp.media().get(1).formats().get(0);
        assertThat(aac.payloadType()).isEqualTo(97);
        assertThat(aac.encodingName()).isEqualTo("MPEG4-GENERIC");
        assertThat(aac.codec()).contains(Codec.AAC);
        assertThat(aac.clockRate()).isEqualTo(48000);
        assertThat(aac.channels()).isEqualTo(2);
        assertThat(aac.parameters()).containsExactly(
                Map.entry("profile-level-id", "1"),
                Map.entry("mode", "AAC-hbr"),
                Map.entry("sizelength", "13"),
                Map.entry("indexlength", "3"),
                Map.entry("indexdeltalength", "3"),
                Map.entry("config", "119056E500"));
        assertThat(aac.parameter("CONFIG")).contains("119056E500");
    }

    @Test
    void h264StapaGst_spropParameterSetsKeepBase64Padding() throws SdpException {
        SessionDescription sdp = SdpParser.parse(H264_STAPA_GST);
        assertThat(sdp.sessionName()).isEqualTo("h264_stapa_gst");
        assertThat(sdp.connection()).contains(new Connection("IN", "IP4", "127.0.0.1", 0, 1));
        MediaDescription v = sdp.media().get(0);
        assertThat(v.connection()).as("session-level c= applies").isEqualTo(sdp.connection());
        assertThat(v.frameRate()).hasValue(30.0);
        RtpFormat h264 = v.formats().get(0);
        assertThat(h264.parameters()).containsEntry("sprop-parameter-sets",
                "Z0LAH9oDYPebwFqDAwNSgAAAAwCAAAAeR4wZUA==,aM48gA==");
        assertThat(h264.parameters()).containsEntry("profile-level-id", "42c01f");
        assertThat(h264.parameters()).containsEntry("packetization-mode", "1");
        RtpFormat opus = sdp.media().get(1).formats().get(0);
        assertThat(opus.parameters()).containsEntry("sprop-maxcapturerate", "48000");
    }

    @Test
    void h265Gst_spropVpsSpsPps() throws SdpException {
        RtpFormat f = SdpParser.parse(H265_GST).media().get(0).formats().get(0);
        assertThat(f.codec()).contains(Codec.H265);
        assertThat(f.payloadType()).isEqualTo(100);
        assertThat(f.parameters()).containsOnlyKeys("sprop-vps", "sprop-sps", "sprop-pps");
        assertThat(f.parameters().get("sprop-sps"))
                .isEqualTo("QgEBAWAAAAMAkAAAAwAAAwA/oAUCAWllupJMr/8AAQABagwMDAgAAAMACAAAAwDwQA==");
        assertThat(f.parameters().get("sprop-pps")).isEqualTo("RAHBcrRiQA==");
    }

    @Test
    void opusDtxGst_and_vp9Gst() throws SdpException {
        MediaDescription a = SdpParser.parse(OPUS_DTX_GST).media().get(0);
        assertThat(a.port()).isEqualTo(5040);
        assertThat(a.formats().get(0).codec()).contains(Codec.OPUS);
        assertThat(a.formats().get(0).parameters()).containsEntry("sprop-stereo", "0");
        MediaDescription v = SdpParser.parse(VP9_GST).media().get(0);
        assertThat(v.formats().get(0).codec()).contains(Codec.VP9);
        assertThat(v.formats().get(0).payloadType()).isEqualTo(98);
    }

    @Test
    void pcmu_staticPayloadTypeWithoutRtpmap() throws SdpException {
        MediaDescription a = SdpParser.parse(PCMU).media().get(0);
        assertThat(a.kind()).contains(MediaKind.AUDIO);
        RtpFormat f = a.formats().get(0);
        assertThat(f.payloadType()).isZero();
        assertThat(f.encodingName()).isEqualTo("PCMU");
        assertThat(f.clockRate()).isEqualTo(8000);
        assertThat(f.channels()).isEqualTo(1);
        assertThat(f.codec()).contains(Codec.PCMU);
        assertThat(a.connection().orElseThrow().address()).isEqualTo("127.0.0.1");
    }

    @Test
    void staticPcmaAndUnknownStaticAndDynamicWithoutRtpmap() throws SdpException {
        SessionDescription sdp = SdpParser.parse("m=audio 4000 RTP/AVP 8 9 101\n");
        MediaDescription m = sdp.media().get(0);
        assertThat(m.format(8).orElseThrow().codec()).contains(Codec.PCMA);
        RtpFormat g722 = m.format(9).orElseThrow();
        assertThat(g722.encodingName()).isEqualTo("G722");
        assertThat(g722.clockRate()).isEqualTo(8000);
        assertThat(g722.codec()).isEmpty();
        RtpFormat dyn = m.format(101).orElseThrow();
        assertThat(dyn.encodingName()).isEmpty();
        assertThat(dyn.clockRate()).isZero();
        assertThat(dyn.codec()).isEmpty();
    }

    @Test
    void webrtcStyleAttributes() throws SdpException {
        String text = """
                v=0
                o=- 4611731400430051336 2 IN IP4 127.0.0.1
                s=-
                t=0 0
                a=group:BUNDLE 0 1
                a=recvonly
                m=audio 9 UDP/TLS/RTP/SAVPF 111 0
                c=IN IP4 0.0.0.0
                a=rtcp:9 IN IP4 0.0.0.0
                a=mid:0
                a=sendonly
                a=rtcp-mux
                a=rtpmap:111 opus/48000/2
                a=fmtp:111 minptime=10;useinbandfec=1
                a=ptime:20
                a=ssrc:3735928559 cname:abc/def==
                a=ssrc:3735928559 msid:stream track
                a=ssrc:12345 cname:x
                a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
                m=video 9 UDP/TLS/RTP/SAVPF 96 97
                c=IN IP4 0.0.0.0
                a=mid:1
                a=rtcp-mux
                a=rtpmap:96 VP8/90000
                a=rtpmap:97 rtx/90000
                a=fmtp:97 apt=96
                a=rtcp-fb:96 nack pli
                """;
        SessionDescription sdp = SdpParser.parse(text);
        assertThat(sdp.direction()).isEqualTo(Direction.RECVONLY);
        MediaDescription audio = sdp.media().get(0);
        assertThat(audio.protocol()).isEqualTo("UDP/TLS/RTP/SAVPF");
        assertThat(audio.mid()).contains("0");
        assertThat(audio.direction()).isEqualTo(Direction.SENDONLY);
        assertThat(audio.rtcpMux()).isTrue();
        assertThat(audio.rtcpPort()).hasValue(9);
        assertThat(audio.effectiveRtcpPort()).isEqualTo(9);
        assertThat(audio.ptime()).hasValue(20);
        assertThat(audio.ssrcIds()).containsExactly(3735928559L, 12345L);
        assertThat(audio.ssrcs().get(0).attributes())
                .containsEntry("cname", "abc/def==").containsEntry("msid", "stream track");
        assertThat(audio.format(0).orElseThrow().codec()).contains(Codec.PCMU);
        assertThat(audio.attribute("extmap")).isPresent();
        MediaDescription video = sdp.media().get(1);
        assertThat(video.direction()).as("session-level recvonly inherited").isEqualTo(Direction.RECVONLY);
        assertThat(video.effectiveRtcpPort()).isEqualTo(9);
        assertThat(video.format(97).orElseThrow().parameters()).containsEntry("apt", "96");
        assertThat(video.format(97).orElseThrow().codec()).isEmpty();
    }

    @Test
    void mediaLevelConnectionOverridesSession_multicastTtl_ipv6_inactive() throws SdpException {
        String text = """
                c=IN IP4 224.2.1.1/127/2
                m=video 5004/2 RTP/AVP 96
                a=rtpmap:96 H264/90000
                m=audio 5008 RTP/AVP 0
                c=IN IP6 ::1
                a=inactive
                a=rtcp:6000
                a=framerate:29.97
                """;
        SessionDescription sdp = SdpParser.parse(text);
        assertThat(sdp.connection()).contains(new Connection("IN", "IP4", "224.2.1.1", 127, 2));
        assertThat(sdp.media().get(0).portCount()).isEqualTo(2);
        assertThat(sdp.media().get(0).connection().orElseThrow().address()).isEqualTo("224.2.1.1");
        MediaDescription a = sdp.media().get(1);
        assertThat(a.connection()).contains(new Connection("IN", "IP6", "::1", 0, 1));
        assertThat(a.direction()).isEqualTo(Direction.INACTIVE);
        assertThat(a.effectiveRtcpPort()).isEqualTo(6000);
        assertThat(a.frameRate()).hasValue(29.97);
    }

    @Test
    void fmtpParameterSplitting() {
        assertThat(SdpParser.parseFmtpParameters(" a=1 ;B=Xy==; ;flag;c=d=e "))
                .containsExactly(Map.entry("a", "1"), Map.entry("b", "Xy=="), Map.entry("flag", ""),
                        Map.entry("c", "d=e"));
    }

    @Test
    void tolerates_blankLines_bom_unknownLinesAndAttributes() throws SdpException {
        String text = "\uFEFF\r\nv=0\r\n\r\ny=unknown type\r\nm=audio 5004 RTP/AVP 0\r\na=x-foo\r\na=x-bar:baz\r\n";
        MediaDescription m = SdpParser.parse(text).media().get(0);
        assertThat(m.attributes()).containsExactly(new Attribute("x-foo", null), new Attribute("x-bar", "baz"));
    }

    @Test
    void errors_notSdp() {
        assertThatThrownBy(() -> SdpParser.parse("<html>hello</html>")).isInstanceOf(SdpException.class)
                .hasMessage("SDP line 1: not an SDP: expected a line like 'v=0', got '<html>hello</html>'");
        assertThatThrownBy(() -> SdpParser.parse("")).isInstanceOf(SdpException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> SdpParser.parse("\u00d4\u00c3\u00b2\u00a1\u0002\u0000"))
                .isInstanceOf(SdpException.class).hasMessageContaining("not an SDP");
    }

    @Test
    void errors_noMediaLine() {
        assertThatThrownBy(() -> SdpParser.parse("v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\n"))
                .isInstanceOf(SdpException.class).hasMessageContaining("no m= line");
    }

    @Test
    void errors_brokenLinesNameTheLine() {
        assertBroken("v=0\nm=audio 5004 RTP/AVP 0\nthis is not sdp\n", 3, "expected '<letter>=<value>'");
        assertBroken("v=0\nm=audio 70000 RTP/AVP 0\n", 2, "port in m= line out of range: 70000");
        assertBroken("v=0\nm=audio x RTP/AVP 0\n", 2, "bad port in m= line");
        assertBroken("v=0\nm=audio 5004 RTP/AVP\n", 2, "m= needs");
        assertBroken("v=0\nm=audio 5004 RTP/AVP 200\n", 2, "payload type in m= line out of range");
        assertBroken("v=0\nm=audio 5004 RTP/AVP 96\na=rtpmap:96 opus\n", 3, "a=rtpmap needs");
        assertBroken("v=0\nm=audio 5004 RTP/AVP 96\na=rtpmap:96 opus/abc\n", 3, "bad clock rate");
        assertBroken("v=0\nm=audio 5004 RTP/AVP 96\na=rtpmap:xx opus/48000\n", 3, "bad payload type in a=rtpmap");
        assertBroken("v=0\nm=audio 5004 RTP/AVP 96\na=fmtp:zz a=b\n", 3, "bad payload type in a=fmtp");
        assertBroken("v=0\nm=video 5004 RTP/AVP 96\na=framerate:fast\n", 3, "bad a=framerate");
        assertBroken("v=0\nm=video 5004 RTP/AVP 96\na=ssrc:-5 cname:x\n", 3, "bad SSRC");
        assertBroken("v=0\nm=video 5004 RTP/AVP 96\na=ssrc:4294967296\n", 3, "bad SSRC");
        assertBroken("v=0\nm=video 5004 RTP/AVP 96\na=rtcp:port\n", 3, "bad port in a=rtcp");
        assertBroken("v=0\nc=IN IP4\nm=video 5004 RTP/AVP 96\n", 2, "c= needs");
        assertBroken("v=1\nm=video 5004 RTP/AVP 96\n", 1, "unsupported SDP version");
        assertBroken("v=0\nm=video 5004 RTP/AVP 96\na=\n", 3, "attribute without a name");
    }

    private static void assertBroken(String text, int line, String message) {
        assertThatThrownBy(() -> SdpParser.parse(text)).isInstanceOfSatisfying(SdpException.class, e -> {
            assertThat(e.line()).isEqualTo(line);
            assertThat(e.getMessage()).startsWith("SDP line " + line + ": ").contains(message);
        });
    }

    /** Fuzzing finding (SdpFuzzTest crash-3759cf5d...): a payload type padded with NULs threw NumberFormatException. */
    @Test
    void mediaLine_payloadTypeWithControlCharacters_parsesAsValidated() throws SdpException {
        SessionDescription sd = SdpParser.parse("v=0\nm=audio 5006 RTP/AVP \u0000\u0000111\u0001\na=rtpmap:111 opus/48000/2\n");
        assertThat(sd.media().get(0).payloadTypes()).containsExactly(111);
        assertThat(sd.media().get(0).format(111).orElseThrow().codec()).contains(Codec.OPUS);
    }

    /** Fuzzing finding (SdpFuzzTest crash-10a2408a...): a port or address of "/" alone threw IndexOutOfBounds. */
    @Test
    void slashAloneAsPortOrAddress_isAnSdpException() {
        assertThatThrownBy(() -> SdpParser.parse("v=0\nm=audio / RTP/AVP 0\n")).isInstanceOf(SdpException.class)
                .hasMessageContaining("bad port");
        assertThatThrownBy(() -> SdpParser.parse("v=0\nc=IN IP4 /\nm=audio 5004 RTP/AVP 0\n"))
                .isInstanceOf(SdpException.class).hasMessageContaining("bad c= address");
    }
}

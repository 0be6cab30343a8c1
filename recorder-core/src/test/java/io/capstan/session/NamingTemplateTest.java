package io.capstan.session;

import io.capstan.storage.SegmentKey;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NamingTemplateTest {

    /** 2026-11-21 10:15:30.250 UTC, the media start; the server clock is 1.5 s later. */
    private static final Instant START = Instant.parse("2026-11-21T10:15:30.250Z");
    private static final long SERVER_START = START.toEpochMilli() + 1500;

    private static NameValues values() {
        return NameValues.builder(START)
                .stream("cam1").room("lobby").track("video").ssrc("305419896").participant("alice")
                .sessionId("s-1").mediaSessionId("m-9").codec("vp8+opus").videoCodec("vp8").audioCodec("opus")
                .startTimeMillis(SERVER_START).index(3)
                .build();
    }

    private static String render(String template, NameValues v) {
        return new NamingTemplate(template).render(v, "webm").path();
    }

    @Test
    void everyValuePlaceholder_andItsAliases() {
        NameValues v = values();
        assertThat(render("{stream}", v)).isEqualTo("cam1.webm");
        assertThat(render("{streamName}", v)).isEqualTo("cam1.webm");
        assertThat(render("{room}", v)).isEqualTo("lobby.webm");
        assertThat(render("{track}", v)).isEqualTo("video.webm");
        assertThat(render("{trackID}", v)).isEqualTo("video.webm");
        assertThat(render("{ssrc}", v)).isEqualTo("305419896.webm");
        assertThat(render("{participant}", v)).isEqualTo("alice.webm");
        assertThat(render("{login}", v)).isEqualTo("alice.webm");
        assertThat(render("{sessionId}", v)).isEqualTo("s-1.webm");
        assertThat(render("{mediaSessionId}", v)).isEqualTo("m-9.webm");
        assertThat(render("{codec}", v)).isEqualTo("vp8+opus.webm");
        assertThat(render("{videoCodec}", v)).isEqualTo("vp8.webm");
        assertThat(render("{audioCodec}", v)).isEqualTo("opus.webm");
        assertThat(render("{index}", v)).isEqualTo("3.webm");
    }

    @Test
    void timesAndDateParts_fromDeterministicClocks() {
        NameValues open = values();
        assertThat(render("{startTime}", open)).isEqualTo("20261121T101530Z.webm");
        assertThat(render("{startTimeMillis}", open)).isEqualTo(SERVER_START + ".webm");
        assertThat(render("{yyyy}/{MM}/{dd}/{HH}{mm}{ss}", open)).isEqualTo("2026/11/21/101530.webm");
        // while the segment is written, the end values are not known yet: the temporary name says "open"
        assertThat(render("{endTime}_{endTimeMillis}_{duration}", open)).isEqualTo("open_open_open.webm");

        NameValues closed = open.end(61_234_567, SERVER_START + 62_000); // 61.234567 s of media
        assertThat(closed.ended()).isTrue();
        assertThat(render("{endTime}", closed)).isEqualTo("20261121T101631Z.webm"); // 10:15:30.250 + 61.23 s
        assertThat(render("{endTimeMillis}", closed)).isEqualTo((SERVER_START + 62_000) + ".webm");
        assertThat(render("{duration}", closed)).isEqualTo("61234.webm"); // whole milliseconds
    }

    @Test
    void dateParts_areUtcAndZeroPadded() {
        NameValues v = NameValues.builder(Instant.parse("2027-01-02T03:04:05Z")).stream("s").build();
        assertThat(render("{stream}/{yyyy}/{MM}/{dd}/{HH}-{mm}-{ss}", v)).isEqualTo("s/2027/01/02/03-04-05.webm");
    }

    @Test
    void directoryLayout_templateEndingInSlash_getsTheDefaultFileName() {
        assertThat(render("{stream}/{yyyy}/{MM}/{dd}/", values()))
                .isEqualTo("cam1/2026/11/21/cam1_video_20261121T101530Z.webm");
    }

    @Test
    void needsEnd_onlyForEndPlaceholders() {
        assertThat(new NamingTemplate("{stream}_{startTime}").needsEnd()).isFalse();
        assertThat(new NamingTemplate("{stream}_{endTime}").needsEnd()).isTrue();
        assertThat(new NamingTemplate("{stream}_{endTimeMillis}").needsEnd()).isTrue();
        assertThat(new NamingTemplate("{stream}/{duration}").needsEnd()).isTrue();
    }

    @Test
    void indexDisabled_dropsTheIndexAndItsSeparator() {
        NamingOptions off = NamingOptions.DEFAULT.withIndex(false);
        assertThat(new NamingTemplate("{stream}_{index}", off).render(values(), "webm").path()).isEqualTo("cam1.webm");
        assertThat(new NamingTemplate("{stream}-{index}_{startTime}", off).render(values(), "webm").path())
                .isEqualTo("cam1_20261121T101530Z.webm");
        assertThat(new NamingTemplate("{index}", off).render(values(), "webm").path()).isEqualTo("_.webm");
        // index 0 from the caller means the same
        NameValues zero = NameValues.builder(START).stream("a").index(0).build();
        assertThat(render("{stream}_{index}", zero)).isEqualTo("a.webm");
    }

    @Test
    void encodings_hexAndUrlSafeBase64_ofUtf8() {
        NameValues v = NameValues.builder(START).stream("a/b?é").build();
        byte[] utf8 = "a/b?é".getBytes(StandardCharsets.UTF_8);
        NamingOptions hex = NamingOptions.DEFAULT.withEncoding(NamingOptions.Encoding.HEX);
        NamingOptions b64 = NamingOptions.DEFAULT.withEncoding(NamingOptions.Encoding.BASE64);
        assertThat(new NamingTemplate("{stream}", hex).render(v, "mp4").path())
                .isEqualTo(HexFormat.of().formatHex(utf8) + ".mp4");
        String b = Base64.getUrlEncoder().withoutPadding().encodeToString(utf8);
        assertThat(b).doesNotContain("=", "/", "+");
        assertThat(new NamingTemplate("{stream}", b64).render(v, "mp4").path()).isEqualTo(b + ".mp4");
        assertThat(new NamingTemplate("{stream}", NamingOptions.DEFAULT).render(v, "mp4").path())
                .isEqualTo("a_b__.mp4");
        assertThat(NamingOptions.Encoding.parse("HEX")).isEqualTo(NamingOptions.Encoding.HEX);
        assertThat(NamingOptions.Encoding.parse("base64")).isEqualTo(NamingOptions.Encoding.BASE64);
        assertThatThrownBy(() -> NamingOptions.Encoding.parse("rot13")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void excludedChars_areReplacedInsideValues_butNotInTheTemplate() {
        NamingOptions o = NamingOptions.DEFAULT.withExcludedChars("@,+");
        NameValues v = NameValues.builder(START).stream("bob@example.com,x+y").build();
        assertThat(new NamingTemplate("{stream}@x", o).render(v, "ogg").path()).isEqualTo("bob_example.com_x_y@x.ogg");
        assertThat(new NamingTemplate("{stream}", NamingOptions.DEFAULT).render(v, "ogg").path())
                .isEqualTo("bob@example.com,x+y.ogg");
    }

    @Test
    void valuesNeverAddDirectories_andElementsNeverStartWithADot() {
        NameValues v = NameValues.builder(START).stream("../../etc/passwd").room("..").build();
        assertThat(render("{stream}", v)).isEqualTo("_._.._etc_passwd.webm");
        assertThat(render("{room}/{stream}", v)).isEqualTo("_./_._.._etc_passwd.webm");
    }

    @Test
    void longValues_areCutToFit255Bytes_keepingIndexExtensionAndDistinctness() {
        String longA = "a".repeat(400) + "1";
        String longB = "a".repeat(400) + "2";
        NameValues a = NameValues.builder(START).stream(longA).index(12).build();
        NameValues b = NameValues.builder(START).stream(longB).index(12).build();
        String ka = render("{stream}/{stream}_{startTime}_{index}", a);
        String kb = render("{stream}/{stream}_{startTime}_{index}", b);
        String[] ea = ka.split("/");
        assertThat(ea[0].getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(ea[1].getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(NamingTemplate.MAX_FILE_NAME);
        assertThat(ea[1]).endsWith("_20261121T101530Z_12.webm");
        assertThat(ka).isNotEqualTo(kb); // the cut value ends with a hash of the whole value
        // hex doubles the length: still fits
        NamingOptions hex = NamingOptions.DEFAULT.withEncoding(NamingOptions.Encoding.HEX);
        String kh = new NamingTemplate("{stream}_{index}", hex).render(a, "mp4").path();
        assertThat(kh.length()).isLessThanOrEqualTo(NamingTemplate.MAX_FILE_NAME);
        assertThat(kh).endsWith("_12.mp4");
    }

    @Test
    void manyLongElements_stayUnderTheKeyLimit() {
        NameValues v = NameValues.builder(START).stream("x".repeat(300)).build();
        SegmentKey k = new NamingTemplate("{stream}/{stream}/{stream}/{stream}/{stream}/{stream}").render(v, "ts");
        assertThat(k.path().length()).isLessThanOrEqualTo(1024);
        assertThat(k.path()).endsWith(".ts");
    }

    @Test
    void legacyMapForm_stillRenders() {
        SegmentKey k = new NamingTemplate("{stream}_{track}_{index}_{startTime}")
                .render(Map.of("stream", "room/../1", "track", "audio", "index", "2"), START, "ogg");
        assertThat(k.path()).isEqualTo("room_.._1_audio_2_20261121T101530Z.ogg");
    }

    @Test
    void badTemplates_areRefused() {
        for (String t : new String[] {"", " ", "/abs/{stream}", "a/../{stream}", "{nope}", "a\\b", "///"}) {
            assertThatThrownBy(() -> new NamingTemplate(t)).as(t).isInstanceOf(IllegalArgumentException.class);
        }
    }
}

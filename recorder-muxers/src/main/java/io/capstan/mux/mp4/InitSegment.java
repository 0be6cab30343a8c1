package io.capstan.mux.mp4;

import io.capstan.mux.common.ByteBuilder;
import org.mp4parser.BasicContainer;
import org.mp4parser.boxes.iso14496.part12.DataEntryUrlBox;
import org.mp4parser.boxes.iso14496.part12.DataInformationBox;
import org.mp4parser.boxes.iso14496.part12.DataReferenceBox;
import org.mp4parser.boxes.iso14496.part12.FileTypeBox;
import org.mp4parser.boxes.iso14496.part12.HandlerBox;
import org.mp4parser.boxes.iso14496.part12.MediaBox;
import org.mp4parser.boxes.iso14496.part12.MediaHeaderBox;
import org.mp4parser.boxes.iso14496.part12.MediaInformationBox;
import org.mp4parser.boxes.iso14496.part12.MovieBox;
import org.mp4parser.boxes.iso14496.part12.MovieExtendsBox;
import org.mp4parser.boxes.iso14496.part12.MovieHeaderBox;
import org.mp4parser.boxes.iso14496.part12.SampleDescriptionBox;
import org.mp4parser.boxes.iso14496.part12.SampleFlags;
import org.mp4parser.boxes.iso14496.part12.SampleTableBox;
import org.mp4parser.boxes.iso14496.part12.SoundMediaHeaderBox;
import org.mp4parser.boxes.iso14496.part12.TrackBox;
import org.mp4parser.boxes.iso14496.part12.TrackExtendsBox;
import org.mp4parser.boxes.iso14496.part12.TrackHeaderBox;
import org.mp4parser.boxes.iso14496.part12.VideoMediaHeaderBox;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * The init segment of a fragmented MP4 (ISO/IEC 14496-12 8.8): {@code ftyp} and a {@code moov} whose tracks have
 * empty sample tables and a {@code mvex} with a {@code trex} per track. Built with isoparser boxes, except the
 * empty sample tables. Usable on its own as a DASH/HLS init segment ({@link #bytes}).
 * <pre>
 * ftyp  major isom, compatible isom iso5 iso6 mp41 [avc1 av01 opus]
 * moov
 * ├── mvhd             timescale 1000, duration 0, creation/modification time from the clock
 * ├── trak per track
 * │   ├── tkhd         track_ID = index + 1, enabled|in_movie, width/height (16.16), volume 1 for audio
 * │   └── mdia
 * │       ├── mdhd     timescale = the track's RTP clock, language und
 * │       ├── hdlr     vide | soun
 * │       └── minf     vmhd | smhd, dinf/dref/url (self-contained), stbl: stsd + empty stts stsc stsz stco
 * └── mvex             trex per track (default sample description 1)
 * </pre>
 * Track start offsets are not in the init segment: each track's first fragment says where it starts with its
 * {@code tfdt} (8.8.12), the final progressive {@code moov} turns that into an edit list.
 */
final class InitSegment {

    /** Movie timescale (mvhd, tkhd and edit durations): milliseconds. */
    static final int MOVIE_TIMESCALE = 1000;

    private InitSegment() {
    }

    /** 4.3 FileTypeBox. */
    static byte[] ftyp(List<Track> tracks) {
        List<String> brands = new ArrayList<>(List.of("isom", "iso5", "iso6", "mp41"));
        for (Track t : tracks) {
            SampleEntries.addBrands(brands, t.codec);
        }
        return Boxes.bytes(new FileTypeBox("isom", 0x200, brands));
    }

    /** ftyp followed by the init moov: a complete init segment. */
    static byte[] bytes(List<Track> tracks, Instant created) {
        ByteBuilder b = new ByteBuilder(1024);
        b.bytes(ftyp(tracks));
        b.bytes(moov(tracks, created));
        return b.toByteArray();
    }

    static byte[] moov(List<Track> tracks, Instant created) {
        Date when = Date.from(created);
        MovieBox moov = new MovieBox();
        // 8.2.2 MovieHeaderBox
        MovieHeaderBox mvhd = new MovieHeaderBox();
        mvhd.setCreationTime(when);
        mvhd.setModificationTime(when);
        mvhd.setTimescale(MOVIE_TIMESCALE);
        mvhd.setDuration(0);
        mvhd.setRate(1.0);
        mvhd.setVolume(1.0f);
        mvhd.setNextTrackId(tracks.size() + 1);
        moov.addBox(mvhd);
        MovieExtendsBox mvex = new MovieExtendsBox();
        for (Track t : tracks) {
            moov.addBox(trak(t, when));
            // 8.8.3 TrackExtendsBox: defaults that every trun overrides per sample
            TrackExtendsBox trex = new TrackExtendsBox();
            trex.setTrackId(t.trackId);
            trex.setDefaultSampleDescriptionIndex(1);
            trex.setDefaultSampleDuration(0);
            trex.setDefaultSampleSize(0);
            trex.setDefaultSampleFlags(new SampleFlags());
            mvex.addBox(trex);
        }
        moov.addBox(mvex);
        return Boxes.bytes(moov);
    }

    private static TrackBox trak(Track t, Date when) {
        TrackBox trak = new TrackBox();
        // 8.3.2 TrackHeaderBox: flags track_enabled | track_in_movie
        TrackHeaderBox tkhd = new TrackHeaderBox();
        tkhd.setCreationTime(when);
        tkhd.setModificationTime(when);
        tkhd.setTrackId(t.trackId);
        tkhd.setDuration(0);
        tkhd.setEnabled(true);
        tkhd.setInMovie(true);
        tkhd.setAlternateGroup(0);
        tkhd.setVolume(t.video ? 0f : 1f);
        tkhd.setWidth(t.video ? t.width : 0);
        tkhd.setHeight(t.video ? t.height : 0);
        trak.addBox(tkhd);

        MediaBox mdia = new MediaBox();
        // 8.4.2 MediaHeaderBox
        MediaHeaderBox mdhd = new MediaHeaderBox();
        mdhd.setCreationTime(when);
        mdhd.setModificationTime(when);
        mdhd.setTimescale(t.timescale);
        mdhd.setDuration(0);
        mdhd.setLanguage("und");
        mdia.addBox(mdhd);
        // 8.4.3 HandlerBox
        HandlerBox hdlr = new HandlerBox();
        hdlr.setHandlerType(t.video ? "vide" : "soun");
        hdlr.setName(t.video ? "Capstan video" : "Capstan audio");
        mdia.addBox(hdlr);

        MediaInformationBox minf = new MediaInformationBox();
        // 12.1.2 VideoMediaHeaderBox (flags 1) / 12.2.2 SoundMediaHeaderBox
        minf.addBox(t.video ? new VideoMediaHeaderBox() : new SoundMediaHeaderBox());
        // 8.7.1 / 8.7.2: one data reference, flag 1 = media in this file
        DataInformationBox dinf = new DataInformationBox();
        DataReferenceBox dref = new DataReferenceBox();
        DataEntryUrlBox url = new DataEntryUrlBox();
        url.setFlags(1);
        dref.addBox(url);
        dinf.addBox(dref);
        minf.addBox(dinf);

        SampleTableBox stbl = new SampleTableBox();
        stbl.addBox(stsd(t));
        ByteBuilder empty = new ByteBuilder(64);
        SampleTables.writeEmpty(empty);
        addRawBoxes(stbl, empty);
        minf.addBox(stbl);
        mdia.addBox(minf);
        trak.addBox(mdia);
        return trak;
    }

    /** 8.5.2 SampleDescriptionBox with the track's one sample entry. */
    static SampleDescriptionBox stsd(Track t) {
        SampleDescriptionBox stsd = new SampleDescriptionBox();
        stsd.addBox(SampleEntries.entry(t.format, t.vp9, t.width, t.height));
        return stsd;
    }

    /** Splits a run of serialized boxes into {@link Boxes.Raw} boxes appended to {@code into}. */
    static void addRawBoxes(BasicContainer into, ByteBuilder b) {
        byte[] a = b.array();
        int p = 0;
        while (p + 8 <= b.length()) {
            int size = Boxes.u32(a, p);
            byte[] one = new byte[size];
            System.arraycopy(a, p, one, 0, size);
            into.addBox(new Boxes.Raw(one));
            p += size;
        }
    }
}

package io.capstan.media;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What a muxer needs to declare a track: codec, clock, picture size or sample rate and channels, and the codec's
 * private configuration exactly as Matroska {@code CodecPrivate} and ISO BMFF sample entries want it:
 * <ul>
 *   <li>H.264: AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1), frames are 4-byte length-prefixed NAL units</li>
 *   <li>H.265: HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1)</li>
 *   <li>Opus: the 19-byte OpusHead of RFC 7845 section 5.1</li>
 *   <li>AAC: AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), frames are raw access units</li>
 *   <li>VP8, VP9, G.711: none (empty array)</li>
 * </ul>
 * Width and height are 0 when unknown (audio, or video before its first keyframe); sample rate and channels are
 * 0 for video.
 */
public record TrackFormat(Codec codec, int clockRate, int width, int height, int sampleRate, int channels,
                          byte[] codecPrivate) {

    private static final byte[] NONE = new byte[0];

    public TrackFormat {
        Objects.requireNonNull(codec, "codec");
        if (clockRate <= 0) {
            throw new IllegalArgumentException("clock rate must be positive: " + clockRate);
        }
        codecPrivate = codecPrivate == null ? NONE : codecPrivate.clone();
    }

    public static TrackFormat video(Codec codec, int width, int height, byte[] codecPrivate) {
        return new TrackFormat(codec, codec.defaultClockRate(), width, height, 0, 0, codecPrivate);
    }

    public static TrackFormat audio(Codec codec, int clockRate, int sampleRate, int channels, byte[] codecPrivate) {
        return new TrackFormat(codec, clockRate, 0, 0, sampleRate, channels, codecPrivate);
    }

    public MediaKind kind() {
        return codec.kind();
    }

    public boolean hasResolution() {
        return width > 0 && height > 0;
    }

    @Override
    public byte[] codecPrivate() {
        return codecPrivate.clone();
    }

    public TrackFormat withResolution(int w, int h) {
        return new TrackFormat(codec, clockRate, w, h, sampleRate, channels, codecPrivate);
    }

    public TrackFormat withCodecPrivate(byte[] priv) {
        return new TrackFormat(codec, clockRate, width, height, sampleRate, channels, priv);
    }

    public TrackFormat withAudio(int rate, int ch) {
        return new TrackFormat(codec, clockRate, width, height, rate, ch, codecPrivate);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrackFormat t && codec == t.codec && clockRate == t.clockRate && width == t.width
                && height == t.height && sampleRate == t.sampleRate && channels == t.channels
                && Arrays.equals(codecPrivate, t.codecPrivate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(codec, clockRate, width, height, sampleRate, channels) * 31 + Arrays.hashCode(codecPrivate);
    }

    @Override
    public String toString() {
        String shape = codec.isVideo() ? width + "x" + height : sampleRate + "Hz/" + channels + "ch";
        return codec + "(" + shape + ", clock " + clockRate
                + (codecPrivate.length > 0 ? ", private " + HexFormat.of().formatHex(codecPrivate) : "") + ")";
    }
}

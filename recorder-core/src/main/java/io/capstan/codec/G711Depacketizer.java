package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

/**
 * G.711 (PCMU, PCMA) over RTP, RFC 3551 section 4.5.14: one octet per sample, 8000 Hz by default; with several
 * channels the samples are interleaved (section 4.1), so a payload must hold a whole number of sample frames.
 * One packet is one frame, and every frame is independent.
 */
public final class G711Depacketizer extends AbstractDepacketizer {

    private final Codec codec;
    private final int channels;

    public G711Depacketizer(Codec codec, int clockRate, int channels) {
        super(TrackFormat.audio(requireG711(codec), clockRate > 0 ? clockRate : 8000,
                clockRate > 0 ? clockRate : 8000, channels > 0 ? channels : 1, null));
        this.codec = codec;
        this.channels = channels > 0 ? channels : 1;
    }

    private static Codec requireG711(Codec c) {
        if (c != Codec.PCMU && c != Codec.PCMA) {
            throw new IllegalArgumentException("not G.711: " + c);
        }
        return c;
    }

    @Override
    public Codec codec() {
        return codec;
    }

    @Override
    public boolean isFrameStart(RtpPacket packet) {
        return true;
    }

    @Override
    public boolean isFrameEnd(RtpPacket packet) {
        return true;
    }

    @Override
    public boolean append(RtpPacket packet, FrameBuilder frame) {
        int len = packet.payloadLength();
        if (len == 0 || len % channels != 0) {
            return false; // no samples, or a partial interleaved sample frame (RFC 3551 4.1)
        }
        return frame.write(packet.buffer(), packet.payloadOffset(), len);
    }

    @Override
    public boolean finish(FrameBuilder frame) {
        frame.keyframe(true);
        return frame.length() > 0;
    }
}

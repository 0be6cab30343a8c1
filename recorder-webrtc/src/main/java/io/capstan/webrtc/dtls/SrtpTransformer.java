package io.capstan.webrtc.dtls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SrtpSession} implementation: the RFC 3711 packet framing (header length, packet index, replay
 * windows, per-SSRC streams) around a per-profile {@link SrtpCipher}, one cipher per transform.
 */
final class SrtpTransformer implements SrtpSession {

    private static final Logger LOG = LoggerFactory.getLogger(SrtpTransformer.class);

    /**
     * RTP replay window: wide, like Chromium's 1024-packet window, because a NACKed packet resent on its own SSRC
     * (no RTX) arrives a round trip late, behind many newer packets of a video burst.
     */
    private static final int RTP_WINDOW = 1024;
    /** RTCP replay window: RFC 3711's minimum is 64, compound packets are few. */
    private static final int RTCP_WINDOW = 128;

    private final SrtpProfile profile;
    private final int tag;
    private final Transform rtpIn;
    private final Transform rtcpIn;
    private final Transform rtpOut;
    private final Transform rtcpOut;

    SrtpTransformer(SrtpKeys keys, Role role, int maxStreams) {
        this.profile = keys.profile();
        this.tag = profile.tagLength();
        boolean server = role == Role.SERVER;
        byte[] inKey = server ? keys.clientKey() : keys.serverKey();
        byte[] inSalt = server ? keys.clientSalt() : keys.serverSalt();
        byte[] outKey = server ? keys.serverKey() : keys.clientKey();
        byte[] outSalt = server ? keys.serverSalt() : keys.clientSalt();
        rtpIn = new Transform(SrtpCipher.create(profile, inKey, inSalt, false), maxStreams, RTP_WINDOW);
        rtcpIn = new Transform(SrtpCipher.create(profile, inKey, inSalt, true), maxStreams, RTCP_WINDOW);
        rtpOut = new Transform(SrtpCipher.create(profile, outKey, outSalt, false), maxStreams, 0);
        rtcpOut = new Transform(SrtpCipher.create(profile, outKey, outSalt, true), maxStreams, 0);
    }

    @Override
    public int unprotectRtp(byte[] buf, int off, int len) {
        Transform t = rtpIn;
        synchronized (t) {
            if (len < 12 + tag) {
                return t.drop(SrtpDrop.TOO_SHORT);
            }
            if ((buf[off] & 0xC0) != 0x80) {
                return t.drop(SrtpDrop.MALFORMED);
            }
            int header = rtpHeaderLength(buf, off, len - tag);
            if (header < 0) {
                return t.drop(SrtpDrop.TOO_SHORT);
            }
            int seq = ((buf[off + 2] & 0xFF) << 8) | (buf[off + 3] & 0xFF);
            int ssrc = readInt(buf, off + 8);
            int slot = t.streams.find(ssrc);
            long index;
            if (slot >= 0) {
                ReplayWindow w = t.streams.window(slot);
                index = StreamTable.estimateIndex(w.highest(), seq);
                if (!w.isFresh(index)) {
                    return t.drop(SrtpDrop.REPLAY);
                }
            } else if (t.streams.isFull()) {
                return t.dropNewStream(ssrc, "SRTP");
            } else {
                index = seq;
            }
            if (!t.cipher.unprotectRtp(buf, off, len, header, ssrc, index)) {
                return t.drop(SrtpDrop.AUTH_FAILED);
            }
            if (slot < 0) {
                slot = t.streams.add(ssrc);
            }
            t.streams.window(slot).accept(index);
            t.done++;
            return len - tag;
        }
    }

    @Override
    public int unprotectRtcp(byte[] buf, int off, int len) {
        Transform t = rtcpIn;
        synchronized (t) {
            if (len < 8 + 4 + tag) {
                return t.drop(SrtpDrop.TOO_SHORT);
            }
            if ((buf[off] & 0xC0) != 0x80) {
                return t.drop(SrtpDrop.MALFORMED);
            }
            int ssrc = readInt(buf, off + 4);
            int word = readInt(buf, off + t.cipher.rtcpIndexOffset(len));
            long index = word & 0x7FFFFFFFL;
            int slot = t.streams.find(ssrc);
            if (slot >= 0) {
                if (!t.streams.window(slot).isFresh(index)) {
                    return t.drop(SrtpDrop.REPLAY);
                }
            } else if (t.streams.isFull()) {
                return t.dropNewStream(ssrc, "SRTCP");
            }
            if (!t.cipher.unprotectRtcp(buf, off, len, ssrc, word)) {
                return t.drop(SrtpDrop.AUTH_FAILED);
            }
            if (slot < 0) {
                slot = t.streams.add(ssrc);
            }
            t.streams.window(slot).accept(index);
            t.done++;
            return len - 4 - tag;
        }
    }

    @Override
    public int protectRtp(byte[] buf, int off, int len) {
        Transform t = rtpOut;
        synchronized (t) {
            checkRoom(buf, off, len, 12, tag);
            if ((buf[off] & 0xC0) != 0x80) {
                throw new IllegalArgumentException("not an RTP version 2 packet");
            }
            int header = rtpHeaderLength(buf, off, len);
            if (header < 0) {
                throw new IllegalArgumentException("RTP header runs past the packet");
            }
            int seq = ((buf[off + 2] & 0xFF) << 8) | (buf[off + 3] & 0xFF);
            int ssrc = readInt(buf, off + 8);
            int slot = t.sendingSlot(ssrc);
            long index = StreamTable.estimateIndex(t.streams.counter(slot), seq);
            if (index < 0) {
                throw new IllegalArgumentException("RTP sequence number " + seq + " is from before the first one");
            }
            t.streams.counter(slot, Math.max(index, t.streams.counter(slot)));
            t.cipher.protectRtp(buf, off, len, header, ssrc, index);
            t.done++;
            return len + tag;
        }
    }

    @Override
    public int protectRtcp(byte[] buf, int off, int len) {
        Transform t = rtcpOut;
        synchronized (t) {
            checkRoom(buf, off, len, 8, 4 + tag);
            int ssrc = readInt(buf, off + 4);
            int slot = t.sendingSlot(ssrc);
            long index = t.streams.counter(slot) + 1;
            if (index > 0x7FFFFFFFL) {
                throw new IllegalStateException("SRTCP index exhausted for SSRC " + Integer.toUnsignedString(ssrc)
                        + " (2^31 packets): the association must be rekeyed");
            }
            t.streams.counter(slot, index);
            t.done++;
            return t.cipher.protectRtcp(buf, off, len, ssrc, (int) index);
        }
    }

    @Override
    public SrtpStats stats() {
        long[] in = new long[SrtpDrop.values().length];
        long rtp;
        long rtcp;
        long rtpSent;
        long rtcpSent;
        synchronized (rtpIn) {
            rtp = rtpIn.done;
            rtpIn.addDrops(in);
        }
        synchronized (rtcpIn) {
            rtcp = rtcpIn.done;
            rtcpIn.addDrops(in);
        }
        synchronized (rtpOut) {
            rtpSent = rtpOut.done;
        }
        synchronized (rtcpOut) {
            rtcpSent = rtcpOut.done;
        }
        return new SrtpStats(rtp, rtcp, rtpSent, rtcpSent, in[SrtpDrop.TOO_SHORT.ordinal()],
                in[SrtpDrop.MALFORMED.ordinal()], in[SrtpDrop.AUTH_FAILED.ordinal()],
                in[SrtpDrop.REPLAY.ordinal()], in[SrtpDrop.TOO_MANY_STREAMS.ordinal()]);
    }

    @Override
    public String profileName() {
        return profile.specName();
    }

    /**
     * The length of the RTP header with CSRCs and the header extension (RFC 3550 section 5.1, 5.3.1), or -1 if it
     * runs past {@code limit}.
     */
    private static int rtpHeaderLength(byte[] buf, int off, int limit) {
        int header = 12 + 4 * (buf[off] & 0x0F);
        if ((buf[off] & 0x10) != 0) {
            if (header + 4 > limit) {
                return -1;
            }
            header += 4 + 4 * (((buf[off + header + 2] & 0xFF) << 8) | (buf[off + header + 3] & 0xFF));
        }
        return header <= limit ? header : -1;
    }

    private static void checkRoom(byte[] buf, int off, int len, int minimum, int overhead) {
        if (len < minimum) {
            throw new IllegalArgumentException("packet of " + len + " bytes is shorter than its header");
        }
        if (buf.length - off - len < overhead) {
            throw new IllegalArgumentException("no room for the " + overhead + " bytes SRTP appends: "
                    + (buf.length - off - len) + " after the packet");
        }
    }

    private static int readInt(byte[] buf, int off) {
        return ((buf[off] & 0xFF) << 24) | ((buf[off + 1] & 0xFF) << 16) | ((buf[off + 2] & 0xFF) << 8)
                | (buf[off + 3] & 0xFF);
    }

    /** One direction and kind: its cipher, its streams and its counters; guarded by its own monitor. */
    private static final class Transform {
        final SrtpCipher cipher;
        final StreamTable streams;
        final long[] drops = new long[SrtpDrop.values().length];
        long done;
        private boolean warnedFull;

        Transform(SrtpCipher cipher, int maxStreams, int window) {
            this.cipher = cipher;
            this.streams = new StreamTable(maxStreams, window);
        }

        int drop(SrtpDrop reason) {
            drops[reason.ordinal()]++;
            return reason.code();
        }

        int dropNewStream(int ssrc, String kind) {
            if (!warnedFull) {
                warnedFull = true;
                LOG.warn("{} from SSRC {} dropped: the session already has its maximum of streams",
                        kind, Integer.toUnsignedString(ssrc));
            }
            return drop(SrtpDrop.TOO_MANY_STREAMS);
        }

        int sendingSlot(int ssrc) {
            int slot = streams.find(ssrc);
            if (slot >= 0) {
                return slot;
            }
            if (streams.isFull()) {
                throw new IllegalStateException("too many sending SSRCs for this SRTP session");
            }
            return streams.add(ssrc);
        }

        void addDrops(long[] into) {
            for (int i = 0; i < drops.length; i++) {
                into[i] += drops[i];
            }
        }
    }
}

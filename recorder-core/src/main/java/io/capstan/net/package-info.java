/**
 * Live network input: {@link io.capstan.net.UdpReceiver} listens on the RTP/RTCP ports of a session and hands every
 * datagram, with its arrival time, to a callback without allocating per packet.
 */
package io.capstan.net;

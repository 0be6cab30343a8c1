/**
 * ICE for WHIP resources, on Jitsi's ice4j (the agent Jitsi Videobridge runs): {@link io.capstan.webrtc.ice.IcePorts}
 * are the UDP ports all resources share (one per configured address, demultiplexed by ICE username fragment), and
 * an {@link io.capstan.webrtc.ice.IceSession} is one resource's controlled full ICE agent with consent freshness
 * (RFC 8445, RFC 7675).
 */
package io.capstan.webrtc.ice;

/**
 * The depacketizer SPI, the generic frame assembler, and the RFC payload formats of every supported codec.
 *
 * <p>One {@link io.capstan.codec.Depacketizer} per track turns RTP payloads into frames; {@link
 * io.capstan.codec.Depacketizers#create} picks it from the SDP. Each implementation follows its payload format RFC
 * to the bit and cites the section for every field it reads:
 * <ul>
 *   <li>{@link io.capstan.codec.Vp8Depacketizer} RFC 7741 (payload descriptor, keyframe header of RFC 6386 9.1)</li>
 *   <li>{@link io.capstan.codec.Vp9Depacketizer} RFC 9628 (descriptor, scalability structure; superframes of the
 *       VP9 bitstream specification Annex B for pictures with several spatial layers)</li>
 *   <li>{@link io.capstan.codec.H264Depacketizer} RFC 6184 modes 0 and 1 (single NAL, STAP-A, FU-A), AVCC output
 *       and the AVCDecoderConfigurationRecord of ISO/IEC 14496-15</li>
 *   <li>{@link io.capstan.codec.H265Depacketizer} RFC 7798 (single NAL, AP, FU, DONL/DOND; PACI rejected),
 *       length-prefixed output and the HEVCDecoderConfigurationRecord of ISO/IEC 14496-15</li>
 *   <li>{@link io.capstan.codec.Av1Depacketizer} the AOM AV1 RTP payload format (aggregation header, OBU elements
 *       and fragments), low overhead bitstream output and the av1C of AV1-ISOBMFF</li>
 *   <li>{@link io.capstan.codec.OpusDepacketizer} RFC 7587, OpusHead of RFC 7845</li>
 *   <li>{@link io.capstan.codec.AacDepacketizer} RFC 3640 mpeg4-generic (AAC-hbr/-lbr), AudioSpecificConfig of
 *       ISO/IEC 14496-3</li>
 *   <li>{@link io.capstan.codec.G711Depacketizer} RFC 3551 PCMU/PCMA</li>
 * </ul>
 * Depacketizers never throw on malformed payloads (they return {@code false}) and allocate nothing per packet
 * once warmed up; only a change of codec configuration (a new SPS, a new resolution) allocates a new
 * {@link io.capstan.media.TrackFormat}.
 */
package io.capstan.codec;

/**
 * MP4 (ISO/IEC 14496-12 ISO base media file format, -14 MP4, -15 AVC/HEVC) writing.
 *
 * <p>Public: {@link io.capstan.mux.mp4.Mp4Muxer} (crash-safe progressive MP4 and fragmented MP4), its factories
 * {@link io.capstan.mux.mp4.Mp4MuxerFactory} ({@code Container.MP4}) and
 * {@link io.capstan.mux.mp4.FragmentedMp4MuxerFactory} ({@code Container.FMP4}), and
 * {@link io.capstan.mux.mp4.Mp4Recovery} for files left by a killed recording.
 *
 * <p>Package-private building blocks, meant for segment writers (DASH/HLS) in this package: {@code Track}
 * (per-track staging of one fragment's samples), {@code InitSegment} (ftyp + init moov bytes),
 * {@code FragmentWriter} (one moof + mdat to any {@code OutputWriter}), {@code SampleEntries} (stsd entries per
 * codec), {@code Mp4Finalizer} (fragments -> progressive index) and {@code SampleTables}.
 */
package io.capstan.mux.mp4;

/**
 * MPEG-2 transport stream (ISO/IEC 13818-1, Rec. ITU-T H.222.0) written strictly forward: H.264 and H.265 as
 * Annex B access units, AAC with ADTS headers, Opus as ffmpeg and the draft ETSI TS "Opus Interactive Audio Codec;
 * Transport Multiplexing Standard" (v0.1.1, 2013; opus_access_unit, opus_audio_descriptor) carry it. See {@link io.capstan.mux.ts.TsMuxer} for the layout, the clock and the crash-safety rules.
 */
package io.capstan.mux.ts;

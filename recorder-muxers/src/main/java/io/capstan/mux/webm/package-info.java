/**
 * One EBML writer for two document types: WebM (VP8, VP9, AV1, Opus) and Matroska (everything Capstan records:
 * also H.264, H.265, AAC, G.711). See {@link io.capstan.mux.webm.MatroskaMuxer} for the layout and
 * {@link io.capstan.mux.webm.MatroskaCodecs} for the codec mappings (Matroska codec specs, WebM guidelines).
 */
package io.capstan.mux.webm;

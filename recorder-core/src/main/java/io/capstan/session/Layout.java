package io.capstan.session;

/** How tracks are spread over files. */
public enum Layout {
    /** All tracks of the session in one file (WebM, Matroska, Ogg...). */
    COMBINED,
    /** One file per track (IVF for VP8/VP9/AV1, Ogg for Opus, Matroska otherwise). */
    PER_TRACK
}

/** The registry of Capstan's own muxer factories and the standard container choice for a set of codecs. */
package io.capstan.mux.standard;

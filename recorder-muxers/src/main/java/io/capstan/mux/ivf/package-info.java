/**
 * IVF, the minimal container of libvpx and libaom test tools: one VP8, VP9 or AV1 video track. See
 * {@link io.capstan.mux.ivf.IvfMuxer} for the layout.
 */
package io.capstan.mux.ivf;

/** Codecs, track formats, pooled encoded frames, and the timeline that puts every track on one clock. */
package io.capstan.media;

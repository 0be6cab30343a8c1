/**
 * The recording session: tracks, the host-facing push API, the muxing lane on a shared executor, events and
 * segment metadata.
 */
package io.capstan.session;

/**
 * Access to recorded files: {@link io.capstan.records.RecordCatalog} lists a recording root (name, size, time,
 * stream, start, duration read cheaply from each container), {@link io.capstan.records.RecordCutter} cuts an MP4
 * or WebM/Matroska recording from the keyframe at or before a start time to an end time, and
 * {@link io.capstan.records.RecordsHttpHandler} serves both over HTTP (JDK {@code com.sun.net.httpserver}): the
 * listing, byte ranges, cuts, an optional bearer token, and never a file outside the root.
 */
package io.capstan.records;

/** The muxer SPI: a muxer per container, made by a factory that states whether it needs a seekable output. */
package io.capstan.mux;

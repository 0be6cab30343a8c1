/** The depacketizer SPI, the generic frame assembler, and the RFC payload formats of every supported codec. */
package io.capstan.codec;

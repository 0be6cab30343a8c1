/** The storage SPI: sinks open segment outputs that are committed atomically or aborted. */
package io.capstan.storage;

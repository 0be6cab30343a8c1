/** The local file-system sink: temp name while writing, atomic move on commit, never outside the root. */
package io.capstan.storage.fs;

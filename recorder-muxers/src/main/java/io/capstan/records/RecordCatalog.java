package io.capstan.records;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The recordings under a root directory: every regular media file ({@link #MEDIA_EXTENSIONS}) below it, with
 * its size and modification time, and what the file itself says, read cheaply:
 * <ul>
 *   <li>{@code durationMs}: MP4 {@code mvhd} duration (ISO/IEC 14496-12 8.2.2), WebM/Matroska Info Duration
 *       (RFC 9559 5.1.2.3); null for other containers;</li>
 *   <li>{@code stream} and {@code startMs}: from Capstan's default names {@code {stream}_{yyyyMMdd'T'HHmmss'Z'}}
 *       (with an optional {@code -N} de-duplication suffix); otherwise the stream is the top directory (or the
 *       base name) and the start comes from MP4 {@code creation_time} / Matroska {@code DateUTC} when present.</li>
 * </ul>
 * Hidden files and directories (a name starting with '.') are skipped, which keeps the cut cache
 * ({@value #CUTS_DIR}) out of the list; {@code NAME.part} files being written are not media by their extension;
 * symbolic links are not followed.
 * What was read is kept per (path, size, modification time), so listing again costs a directory walk.
 */
public final class RecordCatalog {

    /** The cut cache directory under the root (hidden, never listed, never served directly). */
    public static final String CUTS_DIR = ".cuts";

    /** Extensions listed as recordings. */
    public static final Set<String> MEDIA_EXTENSIONS = Set.of("webm", "mkv", "mka", "mp4", "m4a", "ogg", "opus",
            "ivf", "ts", "mpd", "m3u8");

    private static final int MAX_DEPTH = 8;
    private static final Pattern CAPSTAN_NAME = Pattern.compile("(.+?)_(\\d{8}T\\d{6}Z)(?:-\\d+)?");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT);

    /**
     * One recording.
     *
     * @param name       path relative to the root, '/'-separated
     * @param stream     the stream it belongs to
     * @param startMs    wall-clock start, Unix epoch milliseconds, or null when unknown
     * @param durationMs media duration, or null when the container does not say cheaply
     */
    public record Entry(String name, long size, Instant modTime, String stream, Long startMs, Long durationMs) {
    }

    private record Probed(long size, long modified, Entry entry) {
    }

    private final Path root;
    private final Map<Path, Probed> cache = new ConcurrentHashMap<>();

    public RecordCatalog(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Every recording under the root, sorted by name. */
    public List<Entry> list() throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("recording root " + root + " is not a directory");
        }
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root, MAX_DEPTH, new FileVisitOption[0])) {
            walk.filter(p -> !p.equals(root))
                    .filter(p -> visible(root.relativize(p)))
                    .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> MEDIA_EXTENSIONS.contains(extension(p.getFileName().toString())))
                    .forEach(p -> {
                        try {
                            out.add(describe(p));
                        } catch (IOException e) {
                            // vanished or unreadable while listing: not listed
                        }
                    });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        out.sort(Comparator.comparing(Entry::name));
        cache.keySet().removeIf(p -> !Files.exists(p, LinkOption.NOFOLLOW_LINKS));
        return out;
    }

    private static boolean visible(Path rel) {
        for (Path c : rel) {
            if (c.toString().startsWith(".")) {
                return false;
            }
        }
        return true;
    }

    /** Describes one file under the root. */
    public Entry describe(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        long modified = a.lastModifiedTime().toMillis();
        Probed p = cache.get(file);
        if (p != null && p.size == a.size() && p.modified == modified) {
            return p.entry;
        }
        String name = root.relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
        String fileName = file.getFileName().toString();
        String base = baseName(fileName);
        Long durationMs = null;
        Long startMs = null;
        try (FileChannel ch = FileChannel.open(file, EnumSet.of(StandardOpenOption.READ))) {
            RecordCutter.Format f = RecordCutter.sniff(ch);
            if (f == RecordCutter.Format.MP4) {
                Mp4Source.Header h = Mp4Source.header(ch);
                if (h != null) {
                    durationMs = h.durationMillis() >= 0 ? h.durationMillis() : null;
                    startMs = h.creationEpochMillis() > 0 ? h.creationEpochMillis() : null;
                }
            } else if (f == RecordCutter.Format.MATROSKA) {
                WebmSource.Header h = WebmSource.header(ch);
                durationMs = h.durationMillis() >= 0 ? h.durationMillis() : null;
                startMs = h.dateEpochMillis() > 0 ? h.dateEpochMillis() : null;
            }
        } catch (IOException | RuntimeException e) {
            // not readable as a container (yet): listed without duration
        }
        String stream;
        Matcher m = CAPSTAN_NAME.matcher(base);
        if (m.matches()) {
            stream = m.group(1);
            try {
                startMs = LocalDateTime.parse(m.group(2), STAMP).toInstant(ZoneOffset.UTC).toEpochMilli();
            } catch (DateTimeParseException ignored) {
                // keep the container's
            }
        } else {
            int slash = name.indexOf('/');
            stream = slash > 0 ? name.substring(0, slash) : base;
        }
        Entry e = new Entry(name, a.size(), a.lastModifiedTime().toInstant(), stream, startMs, durationMs);
        cache.put(file, new Probed(a.size(), modified, e));
        return e;
    }

    static String extension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    static String baseName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }

    /** Whether a listing entry is a file with cuts ({@link RecordCutter}): MP4 or WebM/Matroska by its name. */
    public static boolean cuttable(String name) {
        return Set.of("mp4", "m4a", "webm", "mkv", "mka").contains(extension(name));
    }
}

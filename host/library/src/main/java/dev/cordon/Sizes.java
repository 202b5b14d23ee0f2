package dev.cordon;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes written as people write them: {@code 512}, {@code 64KB}, {@code 256MB}, {@code 1GB}. Units are
 * powers of 1024 ({@code KB} and {@code KiB} alike), as memory limits are usually meant.
 */
public final class Sizes {

    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?");

    private Sizes() {
    }

    /**
     * @throws IllegalArgumentException for anything else, or a size that is not positive
     */
    public static long parse(String text) {
        Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (examples: 64KB, 256MB, 1GB)");
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        double factor = switch (unit.charAt(0)) {
            case 'k' -> 1024d;
            case 'm' -> 1024d * 1024;
            case 'g' -> 1024d * 1024 * 1024;
            default -> 1d;
        };
        double bytes = n * factor;
        if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("size out of range: '" + text + "'");
        }
        return (long) bytes;
    }

    public static String format(long bytes) {
        if (bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "GB";
        }
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "MB";
        }
        if (bytes % (1L << 10) == 0) {
            return (bytes >> 10) + "KB";
        }
        return bytes + " bytes";
    }
}

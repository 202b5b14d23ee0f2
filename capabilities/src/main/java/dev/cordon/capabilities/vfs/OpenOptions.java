package dev.cordon.capabilities.vfs;

import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/** Helpers on sets of {@link OpenOption}. */
final class OpenOptions {

    private OpenOptions() {
    }

    /** Whether opening with these options could change the file or create one. */
    static boolean mutates(Set<? extends OpenOption> options) {
        return options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND)
                || options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW)
                || options.contains(StandardOpenOption.TRUNCATE_EXISTING)
                || options.contains(StandardOpenOption.DELETE_ON_CLOSE);
    }
}

package dev.cordon.capabilities.posix;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one virtual POSIX world every guest sees, whatever interpreter runs it: who it runs as, which process
 * it is, the machine it seems to be on, its environment, and the process-level calls it may not make. It is
 * data, defined here once and handed to each backend (the GraalPy boot, the PyPy start-up script and the
 * PyPy controller's answers), never typed again in Python or in a backend.
 *
 * @param pid          the process id
 * @param ppid         the parent's process id
 * @param uid          the user id (real and effective)
 * @param gid          the group id (real and effective)
 * @param user         the user's name
 * @param group        the group's name
 * @param home         the user's home directory (also its working directory when {@code fs.tmp} is granted)
 * @param shell        the user's login shell, as {@code pwd} reports it
 * @param hostname     the machine's name ({@code uname().nodename})
 * @param sysname      the system's name ({@code uname().sysname})
 * @param release      the kernel release ({@code uname().release})
 * @param version      the kernel version ({@code uname().version})
 * @param machine      the hardware name ({@code uname().machine})
 * @param cpuCount     the processors the guest sees
 * @param environment  the environment variables
 * @param processCalls the calls that would reach the host's processes, users or terminals: refused with
 *                     {@code PermissionError} (EPERM) on every backend, in Python and at the system-call level
 */
public record GuestWorld(int pid, int ppid, int uid, int gid, String user, String group, String home,
                         String shell, String hostname,
                         String sysname, String release, String version, String machine, int cpuCount,
                         Map<String, String> environment, Set<String> processCalls) {

    /** The world of every call today. */
    public static final GuestWorld DEFAULT = new GuestWorld(2, 1, 1000, 1000, "sandbox", "sandbox", "/tmp",
            "/bin/sh", "sandbox", "Linux", "0", "#1 Cordon", machine(System.getProperty("os.arch", "")), 1,
            Map.of("HOME", "/tmp", "USER", "sandbox", "LOGNAME", "sandbox", "LANG", "C.UTF-8",
                    "PATH", "/usr/local/bin:/usr/bin:/bin"),
            Set.of("system", "popen", "popen2", "popen3", "popen4", "fork", "forkpty", "vfork", "execv", "execve",
                    "execvp", "execvpe", "spawnv", "spawnve", "posix_spawn", "posix_spawnp", "kill", "killpg",
                    "wait", "wait3", "wait4", "waitpid", "waitid", "pidfd_open", "setsid", "setpgid", "setpgrp",
                    "setuid", "seteuid", "setgid", "setegid", "setreuid", "setregid", "setresuid", "setresgid",
                    "setgroups", "initgroups", "nice", "chroot", "tcsetpgrp", "openpty"));

    public GuestWorld {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(shell, "shell");
        Objects.requireNonNull(hostname, "hostname");
        environment = Map.copyOf(environment);
        processCalls = Set.copyOf(processCalls);
    }

    /** {@code uname()}'s five fields, in its order. */
    public List<String> uname() {
        return List.of(sysname, hostname, release, version, machine);
    }

    /**
     * The world as the guests receive it ({@code cordon/_world.py} reads it on every backend): one
     * {@code key=value} per line; {@code uname} and {@code process_calls} once per item, in order; each
     * environment variable as {@code environment=NAME=VALUE}.
     */
    public String toText() {
        StringBuilder b = new StringBuilder();
        line(b, "pid", pid);
        line(b, "ppid", ppid);
        line(b, "uid", uid);
        line(b, "gid", gid);
        line(b, "user", user);
        line(b, "group", group);
        line(b, "home", home);
        line(b, "shell", shell);
        line(b, "hostname", hostname);
        line(b, "cpu_count", cpuCount);
        uname().forEach(part -> line(b, "uname", part));
        new TreeSet<>(environment.keySet()).forEach(name -> line(b, "environment", name + "=" + environment.get(name)));
        new TreeSet<>(processCalls).forEach(call -> line(b, "process_calls", call));
        return b.toString();
    }

    /**
     * The world {@link #toText()} wrote (how a worker process receives it).
     *
     * @throws IllegalArgumentException for text that is not such a world
     */
    public static GuestWorld fromText(String text) {
        Map<String, String> one = new java.util.HashMap<>();
        Map<String, String> environment = new java.util.LinkedHashMap<>();
        List<String> uname = new java.util.ArrayList<>();
        Set<String> calls = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("not a line of a world: " + line);
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            switch (key) {
                case "uname" -> uname.add(value);
                case "process_calls" -> calls.add(value);
                case "environment" -> {
                    int e = value.indexOf('=');
                    environment.put(e < 0 ? value : value.substring(0, e), e < 0 ? "" : value.substring(e + 1));
                }
                default -> one.put(key, value);
            }
        }
        if (uname.size() != 5) {
            throw new IllegalArgumentException("a world's uname has five parts, not " + uname.size());
        }
        try {
            return new GuestWorld(Integer.parseInt(one.get("pid")), Integer.parseInt(one.get("ppid")),
                    Integer.parseInt(one.get("uid")), Integer.parseInt(one.get("gid")), one.get("user"), one.get("group"),
                    one.get("home"), one.get("shell"), one.get("hostname"), uname.get(0), uname.get(2), uname.get(3),
                    uname.get(4), Integer.parseInt(one.get("cpu_count")), environment, calls);
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("an incomplete world: " + e.getMessage(), e);
        }
    }

    private static void line(StringBuilder b, String key, Object value) {
        String text = String.valueOf(value);
        if (text.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a world's " + key + " cannot hold a line break");
        }
        b.append(key).append('=').append(text).append('\n');
    }

    /** The name {@code uname} gives the JVM's architecture. */
    static String machine(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            case "" -> "unknown";
            default -> osArch;
        };
    }
}

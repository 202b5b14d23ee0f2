/*
 * cordon-client: `cordon run` and `cordon repl` handed to the user's background process without starting a JVM.
 *
 * The launcher runs it as `cordon-client HOME JAR ARGS...`. It finds the socket of the process that serves this
 * installation, build and settings exactly as the Java client does (dev.cordon.cli.daemon.Place), sends the command
 * line and the working directory, then relays standard input as the command asks for it, standard output and error
 * as they arrive, and exits with the command's code: the protocol of dev.cordon.cli.daemon.Wire.
 *
 * Whatever it cannot do itself (no process listening yet, which the Java client starts; `daemon status|stop`; a
 * socket directory that fails the checks, which the Java client reports) it hands to the Java client by exec, with
 * the same arguments, before it has sent anything: a command is never run twice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FRAME (1 << 20) /* Wire.MAX_FRAME */
#define CHUNK (64 << 10)    /* Wire.CHUNK */
#define EXIT_INTERNAL 70    /* DaemonClient.EXIT_INTERNAL */

extern char **environ;

/* A growing byte string. */
struct text {
    char *bytes;
    size_t length, capacity;
};

static void append(struct text *t, const char *s, size_t n) {
    if (t->length + n + 1 > t->capacity) {
        t->capacity = (t->length + n + 1) * 2;
        t->bytes = realloc(t->bytes, t->capacity);
        if (t->bytes == NULL) {
            fputs("cordon: out of memory\n", stderr);
            exit(EXIT_INTERNAL);
        }
    }
    memcpy(t->bytes + t->length, s, n);
    t->length += n;
    t->bytes[t->length] = '\0';
}

static void append_string(struct text *t, const char *s) {
    append(t, s, strlen(s));
}

/* ---- Handing over to the Java client. */

static char *home, *jar;
static int argument_count;
static char **arguments;

/* The Java client as the launcher (./cordon) starts it: keep these options the same as its own. */
static void java_client(void) {
    const char *java_home = getenv("JAVA_HOME");
    if (java_home == NULL) {
        fputs("cordon: JAVA_HOME is not set (start this through ./cordon)\n", stderr);
        exit(EXIT_INTERNAL);
    }
    struct text java = {0}, home_property = {0};
    append_string(&java, java_home);
    append_string(&java, "/bin/java");
    append_string(&home_property, "-Dcordon.home=");
    append_string(&home_property, home);
    char **argv = calloc(argument_count + 9, sizeof(char *));
    int n = 0;
    argv[n++] = java.bytes;
    argv[n++] = "-XX:TieredStopAtLevel=1";
    argv[n++] = "-XX:+UseSerialGC";
    argv[n++] = "-XX:-UsePerfData";
    argv[n++] = home_property.bytes;
    argv[n++] = "-cp";
    argv[n++] = jar;
    argv[n++] = "dev.cordon.cli.daemon.DaemonClient";
    for (int i = 0; i < argument_count; i++) {
        argv[n++] = arguments[i];
    }
    argv[n] = NULL;
    execv(java.bytes, argv);
    fprintf(stderr, "cordon: cannot start %s: %s\n", java.bytes, strerror(errno));
    exit(EXIT_INTERNAL);
}

/* ---- Where the process listens (Place.directory, Place.socket). */

/* A path as java.nio's Path.normalize() gives it for an absolute path: no empty, "." or ".." names. */
static void normalize(const char *path, struct text *out) {
    char *copy = strdup(path), *save = NULL;
    size_t *starts = calloc(strlen(path) + 1, sizeof(size_t));
    int depth = 0;
    out->length = 0;
    append_string(out, "");
    for (char *name = strtok_r(copy, "/", &save); name != NULL; name = strtok_r(NULL, "/", &save)) {
        if (strcmp(name, ".") == 0) {
            continue;
        }
        if (strcmp(name, "..") == 0) {
            if (depth > 0) {
                out->length = starts[--depth];
                out->bytes[out->length] = '\0';
            }
            continue;
        }
        starts[depth++] = out->length;
        append_string(out, "/");
        append_string(out, name);
    }
    if (out->length == 0) {
        append_string(out, "/");
    }
    free(starts);
    free(copy);
}

/* A path made absolute against the working directory, its repeated and trailing slashes dropped. */
static void absolute(const char *path, struct text *out) {
    struct text raw = {0};
    if (path[0] != '/') {
        char cwd[4096];
        if (getcwd(cwd, sizeof cwd) == NULL) {
            java_client();
        }
        append_string(&raw, cwd);
        append_string(&raw, "/");
    }
    append_string(&raw, path);
    out->length = 0;
    append_string(out, "");
    for (size_t i = 0; i < raw.length; i++) {
        if (raw.bytes[i] != '/' || out->length == 0 || out->bytes[out->length - 1] != '/') {
            append(out, raw.bytes + i, 1);
        }
    }
    if (out->length > 1 && out->bytes[out->length - 1] == '/') {
        out->bytes[--out->length] = '\0';
    }
    free(raw.bytes);
}

static void socket_directory(struct text *out) {
    const char *chosen = getenv("CORDON_DAEMON_DIR");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    struct stat s;
    if (chosen != NULL && chosen[strspn(chosen, " \t\n\r\f\v")] != '\0') {
        absolute(chosen, out);
    } else if (runtime != NULL && runtime[strspn(runtime, " \t\n\r\f\v")] != '\0' && stat(runtime, &s) == 0
               && S_ISDIR(s.st_mode)) {
        absolute(runtime, out);
        append_string(out, "/cordon");
    } else {
        struct passwd *user = getpwuid(getuid());
        if (user == NULL) {
            java_client();
        }
        append_string(out, "/tmp/cordon-");
        append_string(out, user->pw_name);
    }
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Whether an environment variable is one of the settings a process is started under. */
static int a_setting(const char *entry) {
    return (strncmp(entry, "CORDON_", 7) == 0 || strncmp(entry, "JAVA_HOME=", 10) == 0)
           && strncmp(entry, "CORDON_DAEMON_", 14) != 0 && strncmp(entry, "CORDON_NO_DAEMON=", 17) != 0;
}

static void socket_path(const char *directory, struct text *out) {
    struct text key = {0}, path = {0};
    normalize(home, &path);
    append_string(&key, path.bytes);
    append_string(&key, "\n");
    struct text stamp = {0};
    append_string(&stamp, home);
    append_string(&stamp, "/host/cli/target/.cordon-built");
    struct stat s;
    if (stat(stamp.bytes, &s) == 0) {
        char millis[32];
        snprintf(millis, sizeof millis, "%lld",
                 (long long) s.st_mtim.tv_sec * 1000 + s.st_mtim.tv_nsec / 1000000);
        append_string(&key, millis);
    }
    append_string(&key, "\n");
    size_t count = 0;
    for (char **e = environ; *e != NULL; e++) {
        count++;
    }
    char **settings = calloc(count + 1, sizeof(char *));
    size_t n = 0;
    for (char **e = environ; *e != NULL; e++) {
        if (a_setting(*e)) {
            settings[n++] = *e;
        }
    }
    qsort(settings, n, sizeof(char *), by_name);
    for (size_t i = 0; i < n; i++) {
        append_string(&key, settings[i]);
        append_string(&key, "\n");
    }
    /* FNV-1a, 64 bits, as Place.socket. */
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < key.length; i++) {
        hash = (hash ^ (unsigned char) key.bytes[i]) * 0x100000001b3ULL;
    }
    char name[32];
    snprintf(name, sizeof name, "/%016llx.sock", (unsigned long long) hash);
    out->length = 0;
    append_string(out, directory);
    append_string(out, name);
    free(settings);
    free(key.bytes);
    free(path.bytes);
    free(stamp.bytes);
}

/* Place.secure's checks, without making anything: a directory of this user's that no one else may open. */
static int private_directory(const char *directory) {
    struct stat s;
    return lstat(directory, &s) == 0 && S_ISDIR(s.st_mode) && s.st_uid == getuid() && (s.st_mode & 0777) == 0700;
}

static int connect_to(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) {
        return -1;
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- Frames (Wire): a type byte, a 4-byte big-endian length, then that many bytes. */

static void write_all(int fd, const char *bytes, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, bytes, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return; /* As a PrintStream does: a closed stdout or a gone process loses the rest, nothing more. */
        }
        bytes += w;
        n -= (size_t) w;
    }
}

static void send_frame(int fd, char type, const char *payload, uint32_t length) {
    char head[5] = {type, (char) (length >> 24), (char) (length >> 16), (char) (length >> 8), (char) length};
    write_all(fd, head, 5);
    write_all(fd, payload, length);
}

/* Reads exactly n bytes; 0 at the end of the stream before the first byte, -1 on an end or error after it. */
static int read_exactly(int fd, char *bytes, size_t n) {
    size_t at = 0;
    while (at < n) {
        ssize_t r = read(fd, bytes + at, n - at);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return at == 0 ? 0 : -1;
        }
        at += (size_t) r;
    }
    return 1;
}

static void broken(const char *socket, const char *what) {
    struct text log = {0};
    append(&log, socket, strlen(socket) - strlen(".sock"));
    fprintf(stderr, "cordon: the background process %s (its log: %s.log)\n", what, log.bytes);
    exit(EXIT_INTERNAL);
}

static int number(const char *p) {
    return (int) ((uint32_t) (unsigned char) p[0] << 24 | (uint32_t) (unsigned char) p[1] << 16
                  | (uint32_t) (unsigned char) p[2] << 8 | (uint32_t) (unsigned char) p[3]);
}

/* Relays one command; returns its exit code. */
static int relay(int fd, const char *socket) {
    struct text request = {0};
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        java_client();
    }
    append(&request, cwd, strlen(cwd) + 1);
    for (int i = 0; i < argument_count; i++) {
        append(&request, arguments[i], strlen(arguments[i]) + 1);
    }
    if (request.length > MAX_FRAME) {
        java_client(); /* which says why */
    }
    send_frame(fd, 'Q', request.bytes, (uint32_t) request.length);
    char *payload = malloc(MAX_FRAME);
    int asked = -1; /* bytes of standard input the command waits for, or -1 */
    while (1) {
        struct pollfd watch[2] = {{.fd = fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
        if (poll(watch, asked >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            broken(socket, "could not be waited for");
        }
        if (asked >= 0 && watch[1].revents != 0) {
            ssize_t n = read(0, payload, (size_t) (asked < 1 ? 1 : asked > CHUNK ? CHUNK : asked));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            send_frame(fd, 'I', payload, n < 0 ? 0 : (uint32_t) n);
            asked = -1;
        }
        if (watch[0].revents == 0) {
            continue;
        }
        char head[5];
        int got = read_exactly(fd, head, 5);
        if (got == 0) {
            broken(socket, "ended before the command did");
        }
        uint32_t length = (uint32_t) number(head + 1);
        if (got < 0 || length > MAX_FRAME || read_exactly(fd, payload, length) != 1) {
            broken(socket, "broke off a frame");
        }
        switch (head[0]) {
            case 'O':
                write_all(1, payload, length);
                break;
            case 'E':
                write_all(2, payload, length);
                break;
            case 'R':
            case 'C':
                if (length != 4) {
                    broken(socket, "sent a malformed frame");
                }
                if (head[0] == 'C') {
                    return number(payload);
                }
                asked = number(payload);
                break;
            default:
                broken(socket, "sent a frame of an unknown type");
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("cordon-client: start this through ./cordon\n", stderr);
        return 2;
    }
    home = argv[1];
    jar = argv[2];
    argument_count = argc - 3;
    arguments = argv + 3;
    if (argument_count == 0 || strcmp(arguments[0], "daemon") == 0) {
        java_client();
    }
    signal(SIGPIPE, SIG_IGN);
    struct text directory = {0}, socket = {0};
    socket_directory(&directory);
    if (!private_directory(directory.bytes)) {
        java_client();
    }
    socket_path(directory.bytes, &socket);
    int fd = connect_to(socket.bytes);
    if (fd < 0) {
        java_client();
    }
    return relay(fd, socket.bytes) & 0xff;
}

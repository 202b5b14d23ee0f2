package dev.cordon.engine.pypy;

import dev.cordon.GuestError;
import dev.cordon.capabilities.vfs.FileAttributes;
import dev.cordon.capabilities.vfs.FileTree;
import dev.cordon.capabilities.vfs.VirtualPath;
import dev.cordon.engine.Bridge;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code /dev/cordon} in an external sandbox process: {@code code} holds the call's source (read-only), and
 * {@code gateway} is the process's one link to its call, served by the same {@link Bridge} the
 * in-process backend uses. A request is one netstring holding netstrings (the operation, then its text
 * fields); each is answered with one netstring that the process reads back from the same file.
 */
final class CordonDevice implements FileTree {

    /** The largest request: a result or gateway call as large as the biggest output limit fits. */
    static final int MAX_REQUEST = 64 << 20;

    private final byte[] code;
    private final String sourceName;
    private final Bridge bridge;
    private final String world;
    private final String argvJson;
    private final FileTime time = FileTime.from(Instant.EPOCH);
    private volatile GuestError error;

    /** @param world the guest's world as {@code cordon/_world.py} reads it */
    CordonDevice(String code, String sourceName, java.util.List<String> argv, Bridge bridge, String world) {
        this.world = world;
        this.argvJson = dev.cordon.capabilities.Json.write(argv);
        this.code = code.getBytes(StandardCharsets.UTF_8);
        this.sourceName = sourceName;
        this.bridge = bridge;
    }

    /** The exception that escaped the guest's code, as the process reported it, or null. */
    GuestError error() {
        return error;
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
        if (path.isRoot()) {
            return new FileAttributes(FileAttributes.Type.DIRECTORY, 4096, 0555, time, time, time, 1, 0, 2, 0, 0);
        }
        return switch (name(path)) {
            case "code" -> new FileAttributes(FileAttributes.Type.FILE, code.length, 0444, time, time, time, 2, 0,
                    1, 0, 0);
            default -> new FileAttributes(FileAttributes.Type.FILE, 0, 0666, time, time, time, 3, 0, 1, 0, 0);
        };
    }

    @Override
    public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
        if (path.isRoot()) {
            throw FileTree.readOnly(path);
        }
        if (name(path).equals("code")) {
            if (options.contains(StandardOpenOption.WRITE)) {
                throw FileTree.readOnly(path);
            }
            return new dev.cordon.capabilities.vfs.ByteArrayChannel(code);
        }
        return new Gateway();
    }

    @Override
    public List<String> list(VirtualPath directory) throws IOException {
        if (!directory.isRoot()) {
            name(directory);
            throw new java.nio.file.NotDirectoryException(directory.toString());
        }
        return List.of("code", "gateway");
    }

    private static String name(VirtualPath path) throws NoSuchFileException {
        if (path.depth() != 1 || !(path.fileName().equals("code") || path.fileName().equals("gateway"))) {
            throw new NoSuchFileException(path.toString());
        }
        return path.fileName();
    }

    /** Answers one request: the operation and its fields. */
    String answer(List<String> request) throws FileSystemException {
        String op = request.get(0);
        List<String> f = request.subList(1, request.size());
        return switch (op + "/" + f.size()) {
            case "params/0" -> bridge.params();
            case "source/0" -> sourceName;
            case "world/0" -> world;
            case "argv/0" -> argvJson;
            case "result/1" -> {
                String problem = bridge.result(f.get(0));
                yield problem == null ? "" : problem;
            }
            case "connect/1" -> bridge.gatewayConnect(f.get(0));
            case "attach/1" -> bridge.gatewayAttach(f.get(0));
            case "call/3" -> bridge.gatewayCall(f.get(0), f.get(1), f.get(2));
            case "deny/3" -> {
                bridge.deny(f.get(0), f.get(1), f.get(2));
                yield "";
            }
            case "error/3" -> {
                error = new GuestError(f.get(0), f.get(1), f.get(2));
                yield "";
            }
            default -> throw new FileSystemException("/dev/cordon/gateway", null, "Invalid argument");
        };
    }

    /** Parses netstrings; null if {@code data} holds no complete one at {@code start}. */
    static int[] netstring(byte[] data, int start, int end) throws FileSystemException {
        int i = start;
        long length = 0;
        while (i < end && data[i] != ':') {
            if (data[i] < '0' || data[i] > '9' || i - start > 9) {
                throw new FileSystemException("/dev/cordon/gateway", null, "Invalid argument");
            }
            length = length * 10 + (data[i] - '0');
            i++;
        }
        if (i == end) {
            return null;
        }
        if (i == start || length > MAX_REQUEST) {
            throw new FileSystemException("/dev/cordon/gateway", null, "Invalid argument");
        }
        long stop = i + 1 + length;
        if (stop >= end) {
            return null;
        }
        if (data[(int) stop] != ',') {
            throw new FileSystemException("/dev/cordon/gateway", null, "Invalid argument");
        }
        return new int[]{i + 1, (int) stop};
    }

    /** One open of the gateway file: requests written in, replies read out. */
    private final class Gateway implements SeekableByteChannel {
        private byte[] pending = new byte[0];
        private int pendingLength;
        private ByteBuffer reply = ByteBuffer.allocate(0);
        private boolean open = true;

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (pendingLength + n > MAX_REQUEST + 16) {
                pendingLength = 0;
                throw new FileSystemException("/dev/cordon/gateway", null, "Invalid argument");
            }
            if (pending.length < pendingLength + n) {
                pending = java.util.Arrays.copyOf(pending, Math.max(pendingLength + n, pending.length * 2));
            }
            src.get(pending, pendingLength, n);
            pendingLength += n;
            int[] outer;
            while ((outer = netstring(pending, 0, pendingLength)) != null) {
                List<String> fields = new ArrayList<>();
                int at = outer[0];
                while (at < outer[1]) {
                    int[] field = netstring(pending, at, outer[1]);
                    if (field == null) {
                        pendingLength = 0;
                        throw new FileSystemException("/dev/cordon/gateway", null, "Invalid argument");
                    }
                    fields.add(new String(pending, field[0], field[1] - field[0], StandardCharsets.UTF_8));
                    at = field[1] + 1;
                }
                int consumed = outer[1] + 1;
                System.arraycopy(pending, consumed, pending, 0, pendingLength - consumed);
                pendingLength -= consumed;
                if (fields.isEmpty()) {
                    throw new FileSystemException("/dev/cordon/gateway", null, "Invalid argument");
                }
                byte[] answer = answer(fields).getBytes(StandardCharsets.UTF_8);
                byte[] framed = (answer.length + ":").getBytes(StandardCharsets.US_ASCII);
                ByteBuffer next = ByteBuffer.allocate(reply.remaining() + framed.length + answer.length + 1);
                next.put(reply).put(framed).put(answer).put((byte) ',').flip();
                reply = next;
            }
            return n;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (!reply.hasRemaining()) {
                return -1;
            }
            int n = Math.min(dst.remaining(), reply.remaining());
            ByteBuffer slice = reply.slice(reply.position(), n);
            dst.put(slice);
            reply.position(reply.position() + n);
            return n;
        }

        @Override
        public long position() {
            return 0;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            return this;
        }

        @Override
        public long size() {
            return 0;
        }

        @Override
        public SeekableByteChannel truncate(long size) {
            return this;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}

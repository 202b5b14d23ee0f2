package dev.cordon.engine.graalpy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Streams whose target changes from call to call: a context's streams are fixed when it is built, and a
 * session context serves several calls.
 */
final class Switchable {

    private Switchable() {
    }

    static final class Output extends OutputStream {
        private volatile OutputStream target = OutputStream.nullOutputStream();

        void set(OutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            target.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            target.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            target.flush();
        }
    }

    static final class Input extends InputStream {
        private volatile InputStream target = InputStream.nullInputStream();

        void set(InputStream target) {
            this.target = target;
        }

        @Override
        public int read() throws IOException {
            return target.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return target.read(b, off, len);
        }

        @Override
        public int available() throws IOException {
            return target.available();
        }
    }
}

package dev.cordon.engine.worker;

import dev.cordon.engine.Bridge;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The bridge calls a worker asks of its parent, one small handler per call: on the worker's side {@link Remote}
 * is the {@link Bridge} its guest's {@code cordon} package uses; on the parent's side {@link #answer} calls the
 * call's own bridge, which checks and bounds everything as it does for an in-process guest.
 */
final class BridgeCalls {

    static final int PARAMS = 1;
    static final int RESULT = 2;
    static final int CONNECT = 3;
    static final int ATTACH = 4;
    static final int CALL = 5;
    static final int DENY = 6;

    private BridgeCalls() {
    }

    /** The parent's side: one request answered by the call's bridge into {@code reply}. */
    static void answer(Bridge bridge, Wire.Reader r, Wire.Payload reply) throws Wire.ProtocolViolation {
        int op = r.u8();
        String answer = switch (op) {
            case PARAMS -> bridge.params();
            case RESULT -> bridge.result(r.text());
            case CONNECT -> bridge.gatewayConnect(r.string());
            case ATTACH -> bridge.gatewayAttach(r.string());
            case CALL -> bridge.gatewayCall(r.string(), r.string(), r.string());
            case DENY -> {
                bridge.deny(r.string(), r.string(), r.string());
                yield null;
            }
            default -> throw new Wire.ProtocolViolation("a bridge call " + op);
        };
        r.end();
        reply.text(answer);
    }

    /** The worker's side: each call a round trip to the parent. */
    static final class Remote implements Bridge {
        private final TreeCalls.Asker parent;

        /** @param parent sends a {@code BRIDGE} request and returns the reply's reader */
        Remote(TreeCalls.Asker parent) {
            this.parent = parent;
        }

        private String ask(Wire.Payload request) {
            try {
                return parent.ask(request).text();
            } catch (IOException e) {
                throw new UncheckedIOException("the parent did not answer", e);
            }
        }

        @Override
        public String params() {
            return ask(new Wire.Payload().u8(PARAMS));
        }

        @Override
        public String result(String json) {
            return ask(new Wire.Payload().u8(RESULT).text(json));
        }

        @Override
        public String gatewayConnect(String service) {
            return ask(new Wire.Payload().u8(CONNECT).text(String.valueOf(service)));
        }

        @Override
        public String gatewayAttach(String token) {
            return ask(new Wire.Payload().u8(ATTACH).text(String.valueOf(token)));
        }

        @Override
        public String gatewayCall(String token, String operation, String argumentsJson) {
            return ask(new Wire.Payload().u8(CALL).text(String.valueOf(token)).text(String.valueOf(operation))
                    .text(String.valueOf(argumentsJson)));
        }

        @Override
        public void deny(String category, String action, String target) {
            ask(new Wire.Payload().u8(DENY).text(String.valueOf(category)).text(String.valueOf(action))
                    .text(String.valueOf(target)));
        }
    }
}

package dev.cordon.examples.zoobar;

import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import dev.cordon.capabilities.gateway.Service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a profile may do to the bank, reached as {@code gateway.connect("zoobar")}:
 * <ul>
 *   <li>{@code get_user(name)}: {@code {"username", "zoobars"}};</li>
 *   <li>{@code get_xfers(name)}: the transfers that user sent or received, oldest first, each
 *       {@code {"sender", "recipient", "amount", "time"}};</li>
 *   <li>{@code xfer(recipient, amount)}: moves zoobars from the profile's owner. The owner is the
 *       call's principal, which Cordon sets from the execution: no argument can name another source.</li>
 * </ul>
 */
final class ZoobarService implements Service {

    private final ZoobarStore store;

    ZoobarService(ZoobarStore store) {
        this.store = store;
    }

    @Override
    public Object call(CallContext context, String operation, List<Object> args) throws Exception {
        return switch (operation) {
            case "get_user" -> {
                String name = name(args, "get_user(name)");
                ZoobarStore.User u = store.user(name).orElseThrow(() -> GatewayException.notFound("no user " + name));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("username", u.username());
                m.put("zoobars", u.zoobars());
                yield m;
            }
            case "get_xfers" -> {
                String name = name(args, "get_xfers(name)");
                List<Object> out = new ArrayList<>();
                for (ZoobarStore.Transfer t : store.transfers(name)) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("sender", t.sender());
                    m.put("recipient", t.recipient());
                    m.put("amount", t.amount());
                    m.put("time", t.time());
                    out.add(m);
                }
                yield out;
            }
            case "xfer" -> {
                if (args.size() != 2 || !(args.get(0) instanceof String recipient)
                        || !(args.get(1) instanceof Number amount) || amount.longValue() != amount.doubleValue()
                        || amount.longValue() > Integer.MAX_VALUE) {
                    throw GatewayException.invalid("xfer(recipient, amount): a user name and a whole number of zoobars");
                }
                try {
                    store.transfer(context.principal().name(), recipient, amount.intValue());
                } catch (ZoobarStore.Refused e) {
                    throw GatewayException.invalid(e.getMessage());
                }
                yield null;
            }
            default -> throw GatewayException.notFound("no operation " + operation
                    + "; there are get_user, get_xfers and xfer");
        };
    }

    private static String name(List<Object> args, String usage) {
        if (args.size() != 1 || !(args.get(0) instanceof String s)) {
            throw GatewayException.invalid(usage + ": one user name");
        }
        return s;
    }

    @Override
    public String describe() {
        return "zoobar bank";
    }
}

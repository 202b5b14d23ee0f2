package dev.cordon.capabilities.services;

import dev.cordon.capabilities.gateway.GatewayException;

import java.util.List;

/** Reads a service operation's arguments, refusing wrong ones with {@code ValueError}. */
final class Arguments {

    private final String operation;
    private final List<Object> values;

    Arguments(String operation, List<Object> values, int min, int max) {
        this.operation = operation;
        this.values = values;
        if (values.size() < min || values.size() > max) {
            throw GatewayException.invalid(operation + "() takes " + (min == max ? String.valueOf(min)
                    : min + " to " + max) + " arguments (" + values.size() + " given)");
        }
    }

    int size() {
        return values.size();
    }

    String string(int i) {
        if (!(values.get(i) instanceof String s)) {
            throw GatewayException.invalid(operation + "(): argument " + (i + 1) + " must be a string");
        }
        return s;
    }

    List<?> list(int i) {
        Object v = i < values.size() ? values.get(i) : null;
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw GatewayException.invalid(operation + "(): argument " + (i + 1) + " must be a list");
        }
        return l;
    }

    long integer(int i, long fallback) {
        Object v = i < values.size() ? values.get(i) : null;
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Integer || v instanceof Long)) {
            throw GatewayException.invalid(operation + "(): argument " + (i + 1) + " must be an integer");
        }
        return ((Number) v).longValue();
    }

    Object value(int i) {
        return i < values.size() ? values.get(i) : null;
    }
}

package dev.cordon.engine;

/**
 * What a guest's {@code cordon} package asks of its call: the parameters, the result, the gateway and the
 * denials its stdlib records. {@link CallBridge} answers on the host; a worker process answers by asking its
 * parent. None of the methods throws for anything the guest sends: a problem comes back as text for the Python
 * side to raise.
 */
public interface Bridge {

    /** The call's parameters as a JSON object. */
    String params();

    /** Sets the call's result from its JSON text; returns why it was refused, or null. */
    String result(String json);

    /** A token for a granted service, in the gateway's reply form ({@code v} and JSON, or {@code e} and an error). */
    String gatewayConnect(String service);

    /** The service a token received as data stands for, in the same form. */
    String gatewayAttach(String token);

    /** Calls an operation through a token: arguments as a JSON array, the reply in the same form. */
    String gatewayCall(String token, String operation, String argumentsJson);

    /** Records a denial the guest stdlib made on the host's behalf. */
    void deny(String category, String action, String target);
}

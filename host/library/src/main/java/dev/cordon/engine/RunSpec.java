package dev.cordon.engine;

import dev.cordon.Limits;
import dev.cordon.capabilities.AuditTrail;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Everything one run needs from its call, the same for every backend: the program, the streams, the bridge
 * to the call, the audit trail that the sandbox's filesystem and gateway record to, and the limits.
 *
 * @param code              the Python source
 * @param sourceName        the name tracebacks show for it
 * @param argv              the guest's {@code sys.argv}
 * @param interactive       evaluate as a REPL line: echo the value of an expression statement
 * @param stdin             what the guest reads
 * @param stdout            where the guest's stdout goes (already capped by the caller)
 * @param stderr            where the guest's stderr goes (likewise)
 * @param bridge            the guest's link to its call: parameters, result, gateway
 * @param audit             the call's audit trail
 * @param limits            the call's limits
 * @param timeLeft          the wall time the guest's code has (the limit less what the call waited in the queue)
 * @param maxOperationBytes the most one uninterruptible operation may allocate at once
 */
public record RunSpec(String code, String sourceName, java.util.List<String> argv, boolean interactive, InputStream stdin,
                      OutputStream stdout, OutputStream stderr, Bridge bridge, AuditTrail audit, Limits limits,
                      java.time.Duration timeLeft, long maxOperationBytes) {

    public RunSpec {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(sourceName, "sourceName");
        argv = java.util.List.copyOf(argv);
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(bridge, "bridge");
        Objects.requireNonNull(audit, "audit");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(timeLeft, "timeLeft");
    }
}

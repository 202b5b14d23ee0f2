package com.example.consumer;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** An application's one call into Cordon: untrusted code with one grant, and what came back. */
public final class Main {

    public static void main(String[] args) throws Exception {
        Path data = Files.createTempDirectory("cordon-consumer");
        try (Cordon cordon = Cordon.builder().dataDir(data).build()) {
            ExecutionResult r = run(cordon, "alice");
            System.out.println("status: " + r.status());
            System.out.print("stdout: " + r.stdout());
            System.out.println("value: " + r.value());
            System.out.println("jit: " + cordon.jitCompiled());
            if (!r.isOk()) {
                System.exit(1);
            }
        }
    }

    /** A user's script, granted its own persistent /tmp and nothing else. */
    static ExecutionResult run(Cordon cordon, String user) {
        return cordon.run(Execution.builder()
                .principal(user)
                .grant("fs.tmp")
                .param("visitor", "bob")
                .code("""
                        import cordon
                        with open('/tmp/visits', 'a') as f:
                            f.write('x')
                        visits = len(open('/tmp/visits').read())
                        print('hello', cordon.params['visitor'])
                        cordon.result({'visits': visits})
                        """)
                .limits(Limits.builder().wallTime(Duration.ofSeconds(30)).build())
                .build());
    }
}

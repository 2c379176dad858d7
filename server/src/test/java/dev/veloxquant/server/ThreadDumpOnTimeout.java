package dev.veloxquant.server;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.io.IOException;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeoutException;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * When a test gives up waiting for the server, writes every thread's stack and the JIT's state to
 * {@code target/thread-dumps/<class>.<test>.txt}: a request that hangs on a CI machine then says where
 * the server was, and {@code run-tests.sh} prints the server's own threads from it after the build
 * (also when the test's rerun passed). Registered for every test of this module (META-INF/services, autodetection on).
 */
public final class ThreadDumpOnTimeout implements TestExecutionExceptionHandler {
    static final Path DIR = Path.of("target", "thread-dumps");

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        if (isTimeout(failure)) {
            String name = context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName();
            try {
                Files.createDirectories(DIR);
                Files.writeString(DIR.resolve(name + ".txt"), "# " + name + ": " + failure + "\n" + dump() + jit());
            } catch (IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        throw failure;
    }

    static boolean isTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException || String.valueOf(c.getMessage()).contains("Timeout")) {
                return true;
            }
        }
        return false;
    }

    /**
     * What the JIT was doing: its queue, and the compiled code of this project's methods (level 4 is
     * C2; hot Vector API code left at a lower level runs many times slower).
     */
    static String jit() {
        StringBuilder out = new StringBuilder("# compiler queue\n").append(diagnosticCommand("compilerQueue"));
        out.append("# compiled code of dev.veloxquant methods (id, level, state, method)\n");
        for (String line : diagnosticCommand("compilerCodelist").split("\n")) {
            if (line.contains("dev.veloxquant")) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    private static String diagnosticCommand(String operation) {
        try {
            Object r = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), operation,
                    new Object[]{null}, new String[]{String[].class.getName()});
            return r + "\n";
        } catch (JMException e) {
            return "(" + operation + " unavailable: " + e + ")\n";
        }
    }

    /** All threads, as jstack shows them, without the depth limit of {@link ThreadInfo#toString()}. */
    static String dump() {
        StringBuilder out = new StringBuilder();
        for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            out.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
            LockInfo lock = t.getLockInfo();
            if (lock != null) {
                out.append(" on ").append(lock);
                if (t.getLockOwnerName() != null) {
                    out.append(" owned by \"").append(t.getLockOwnerName()).append('"');
                }
            }
            out.append('\n');
            for (StackTraceElement e : t.getStackTrace()) {
                out.append("    at ").append(e).append('\n');
            }
            out.append('\n');
        }
        return out.toString();
    }
}

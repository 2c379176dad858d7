package dev.veloxquant.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.mockito.Mockito;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThreadDumpOnTimeoutTest {

    @Test
    void aTimeoutLeavesADumpOfEveryThreadAndIsStillThrown() throws Exception {
        ExtensionContext context = Mockito.mock(ExtensionContext.class);
        Mockito.<Class<?>>when(context.getRequiredTestClass()).thenReturn(ThreadDumpOnTimeoutTest.class);
        Mockito.when(context.getRequiredTestMethod())
                .thenReturn(ThreadDumpOnTimeoutTest.class.getDeclaredMethod("aTimeoutLeavesADumpOfEveryThreadAndIsStillThrown"));
        Path file = ThreadDumpOnTimeout.DIR.resolve("ThreadDumpOnTimeoutTest.aTimeoutLeavesADumpOfEveryThreadAndIsStillThrown.txt");
        Files.deleteIfExists(file);
        // What WebTestClient throws when the response does not come.
        IllegalStateException timeout = new IllegalStateException("Timeout on blocking read for 60000000000 NANOSECONDS",
                new TimeoutException("Did not observe any item or terminal signal"));

        assertThatThrownBy(() -> new ThreadDumpOnTimeout().handleTestExecutionException(context, timeout)).isSameAs(timeout);

        String dump = Files.readString(file);
        Files.delete(file);
        assertThat(dump).startsWith("# ThreadDumpOnTimeoutTest.aTimeoutLeavesADumpOfEveryThreadAndIsStillThrown: ")
                .contains("\"" + Thread.currentThread().getName() + "\" RUNNABLE")
                .contains(ThreadDumpOnTimeout.class.getName() + ".dump(ThreadDumpOnTimeout.java:")
                .contains("# compiler queue").contains("# compiled code of dev.veloxquant methods")
                .doesNotContain("unavailable");
    }

    @Test
    void otherFailuresLeaveNoDump() {
        ExtensionContext context = Mockito.mock(ExtensionContext.class);
        AssertionError failure = new AssertionError("expected 200 but was 400");

        assertThatThrownBy(() -> new ThreadDumpOnTimeout().handleTestExecutionException(context, failure)).isSameAs(failure);

        Mockito.verifyNoInteractions(context);
        assertThat(ThreadDumpOnTimeout.isTimeout(new RuntimeException("wrapped", new TimeoutException()))).isTrue();
        assertThat(ThreadDumpOnTimeout.isTimeout(new RuntimeException((String) null))).isFalse();
    }
}

package org.modelmon.demo;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Entry point of a child JVM that runs another class's {@code main} and exits once the parent JVM
 * is gone.
 *
 * <p>A JVM shutdown hook cannot run when the parent is killed with SIGKILL (a Maven run stopped by
 * a timeout, say), and an orphaned broker would keep its ports and a core busy. The parent holds
 * the write end of this process's standard input and never writes to it; the operating system
 * closes it when the parent dies, however it dies, and the read here then returns end-of-file.
 * {@link System#exit} runs the wrapped program's own shutdown hooks, so Kafka still shuts down
 * cleanly.
 *
 * <p>Usage: {@code java ... org.modelmon.demo.ParentWatchingMain <main class> [args...]}.
 */
final class ParentWatchingMain {

  /**
   * Exit status when standard input closed. {@link Process#destroy()} closes the pipe as well as
   * sending SIGTERM, so a child stopped by its parent usually reports this status too.
   */
  static final int PARENT_GONE_STATUS = 3;

  private ParentWatchingMain() {}

  public static void main(final String[] args) throws Throwable {
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: ParentWatchingMain <main class> [args...]");
    }
    final Thread watchdog = new Thread(ParentWatchingMain::exitWhenStdinCloses, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      Class.forName(args[0])
          .getMethod("main", String[].class)
          .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (final InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void exitWhenStdinCloses() {
    final InputStream in = System.in;
    final byte[] buffer = new byte[64];
    try {
      while (in.read(buffer) >= 0) {
        // The parent never writes; anything read is ignored.
      }
    } catch (final IOException e) {
      // A broken pipe means the same as end-of-file: nobody is left at the other end.
    }
    System.exit(PARENT_GONE_STATUS);
  }
}

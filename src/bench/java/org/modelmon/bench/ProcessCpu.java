package org.modelmon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of a process, from Linux's {@code /proc/PID/stat}. */
final class ProcessCpu {

  /** Clock ticks per second of {@code /proc} times; 100 on every Linux this runs on. */
  private static final double TICKS_PER_SECOND = 100;

  private ProcessCpu() {}

  /** User plus system CPU time of process {@code pid}, in seconds. */
  static double seconds(final long pid) throws IOException {
    final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // Fields after the command name, which is in parentheses and may hold spaces.
    final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    final long userTicks = Long.parseLong(fields[11]);
    final long systemTicks = Long.parseLong(fields[12]);
    return (userTicks + systemTicks) / TICKS_PER_SECOND;
  }
}

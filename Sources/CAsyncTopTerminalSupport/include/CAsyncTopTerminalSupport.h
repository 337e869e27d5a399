#ifndef CASYNCTOPTERMINALSUPPORT_H
#define CASYNCTOPTERMINALSUPPORT_H

/// Saves the terminal's mode (termios of standard input) as the shell left it: what a
/// fatal signal restores. Call before curses changes it. Returns 0, or an errno.
int asynctop_terminal_save_mode(void);

/// Arms the restore: from now until `asynctop_terminal_disarm`, a fatal signal (SIGSEGV,
/// SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP) or SIGINT, SIGTERM, SIGHUP first writes `reset`
/// (at most 255 bytes: leave the alternate screen, show the cursor, plain attributes) to
/// standard output and sets the saved mode back, with async-signal-safe calls only.
/// A fatal signal then goes on to the handler that was installed before (the Swift
/// runtime's crash reporter) and the process dies of it; the others die of their signal
/// with its default action, so the shell sees the usual status (130, 143).
void asynctop_terminal_arm(const char *reset);

/// Puts the handlers found by `asynctop_terminal_arm` back; the terminal is restored.
void asynctop_terminal_disarm(void);

/// Whether terminfo knows `term` and it can draw a screen (move its cursor, clear): 0 when
/// it can, 1 when it cannot (`dumb`), -1 when terminfo does not know it. Sends nothing.
int asynctop_terminal_check(const char *term);

#endif

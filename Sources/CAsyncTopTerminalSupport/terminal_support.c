#define _GNU_SOURCE
#include "CAsyncTopTerminalSupport.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

// Everything the handler reads is written before it is installed, and never freed.
static struct termios saved_mode;
static int have_saved_mode;
static char reset_bytes[256];
static size_t reset_length;
static volatile sig_atomic_t armed;

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define FATAL_COUNT (sizeof fatal_signals / sizeof fatal_signals[0])
#define STOP_COUNT (sizeof stop_signals / sizeof stop_signals[0])
static struct sigaction previous_fatal[FATAL_COUNT];
static struct sigaction previous_stop[STOP_COUNT];
/// The stop signals' actions before curses started: curses puts handlers of its own on
/// those left at their default (they exit(3) from the handler, which can hang), and ours
/// pass on only to what was there before it.
static struct sigaction before_curses_stop[STOP_COUNT];
static int have_before_curses;
static int installed;

/// The monitor's socket files, removed by the stop handler when the program serves its
/// loop (CAsyncTopSupport; weak, so this library links without it).
extern void asynctop_unlink_monitor_sockets(void) __attribute__((weak));

int asynctop_terminal_save_mode(void) {
    for (size_t i = 0; i < STOP_COUNT; i++) sigaction(stop_signals[i], NULL, &before_curses_stop[i]);
    have_before_curses = 1;
    if (tcgetattr(STDIN_FILENO, &saved_mode) != 0) return errno;
    have_saved_mode = 1;
    return 0;
}

/// write(2) and tcsetattr(3) only: both are async-signal-safe.
static void restore_terminal(void) {
    if (!__atomic_exchange_n(&armed, 0, __ATOMIC_SEQ_CST)) return;
    size_t done = 0;
    while (done < reset_length) {
        ssize_t n = write(STDOUT_FILENO, reset_bytes + done, reset_length - done);
        if (n > 0) done += (size_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else break;
    }
    if (have_saved_mode) tcsetattr(STDIN_FILENO, TCSANOW, &saved_mode);
}

/// Dies of `signal_number` with its default action: at once for a fatal signal (not
/// blocked in its handler), as the handler returns for the others.
static void die_of(int signal_number) {
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal_number, &fallback, NULL);
    raise(signal_number);
}

static void on_fatal_signal(int signal_number, siginfo_t *info, void *context) {
    int saved_errno = errno;
    restore_terminal();
    for (size_t i = 0; i < FATAL_COUNT; i++) {
        if (fatal_signals[i] != signal_number) continue;
        struct sigaction *previous = &previous_fatal[i];
        // The Swift runtime's crash handler: it reports, removes its handlers and returns,
        // and the fault happens again with the default action.
        if ((previous->sa_flags & SA_SIGINFO) && previous->sa_sigaction) {
            previous->sa_sigaction(signal_number, info, context);
        } else if (!(previous->sa_flags & SA_SIGINFO) && previous->sa_handler != SIG_DFL
                   && previous->sa_handler != SIG_IGN) {
            previous->sa_handler(signal_number);
        }
        break;
    }
    // Whatever the previous handler did, the process ends here, even for a signal sent by
    // kill(2), which no instruction would raise again.
    die_of(signal_number);
    errno = saved_errno;
}

static void on_stop_signal(int signal_number) {
    restore_terminal();
    if (asynctop_unlink_monitor_sockets) asynctop_unlink_monitor_sockets();
    // A handler that was there before curses has its turn.
    for (size_t i = 0; i < STOP_COUNT; i++) {
        if (stop_signals[i] != signal_number) continue;
        struct sigaction *previous = &previous_stop[i];
        if (!(previous->sa_flags & SA_SIGINFO) && previous->sa_handler != SIG_DFL && previous->sa_handler != SIG_IGN) {
            previous->sa_handler(signal_number);
        }
        break;
    }
    die_of(signal_number);
}

void asynctop_terminal_arm(const char *reset) {
    size_t length = strlen(reset);
    if (length >= sizeof reset_bytes) length = sizeof reset_bytes - 1;
    memcpy(reset_bytes, reset, length);
    reset_length = length;
    __atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
    if (installed) return;
    installed = 1;
    // As the Swift runtime installs its own: fatal signals stay deliverable while one is
    // handled (its crash reporter reads memory that may fault, and must see the fault),
    // every other signal waits. The restore happens once (`armed`).
    sigset_t mask;
    sigfillset(&mask);
    for (size_t i = 0; i < FATAL_COUNT; i++) sigdelset(&mask, fatal_signals[i]);
    for (size_t i = 0; i < FATAL_COUNT; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = on_fatal_signal;
        action.sa_mask = mask;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigaction(fatal_signals[i], &action, &previous_fatal[i]);
    }
    for (size_t i = 0; i < STOP_COUNT; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_stop_signal;
        sigemptyset(&action.sa_mask);
        sigaction(stop_signals[i], &action, &previous_stop[i]);
        if (have_before_curses) previous_stop[i] = before_curses_stop[i];
    }
}

void asynctop_terminal_disarm(void) {
    __atomic_store_n(&armed, 0, __ATOMIC_SEQ_CST);
    if (!installed) return;
    installed = 0;
    for (size_t i = 0; i < FATAL_COUNT; i++) sigaction(fatal_signals[i], &previous_fatal[i], NULL);
    for (size_t i = 0; i < STOP_COUNT; i++) sigaction(stop_signals[i], &previous_stop[i], NULL);
}

static int has_string(const char *name) {
    char *value = tigetstr(name);
    return value != NULL && value != (char *)-1 && *value != 0;
}

int asynctop_terminal_check(const char *term) {
    int error = 0;
    TERMINAL *previous = cur_term;
    if (setupterm(term, STDOUT_FILENO, &error) != OK || error != 1) {
        set_curterm(previous);
        return -1;
    }
    int can_draw = has_string("cup") && has_string("clear") && strcmp(term, "dumb") != 0;
    del_curterm(set_curterm(previous));
    return can_draw ? 0 : 1;
}

// Swift's crash reporter is interactive when standard input and output are terminals: it
// waits up to 30 s for a key on the user's terminal before the shell comes back. It reads
// SWIFT_BACKTRACE once, as the runtime loads, before any code of ours runs. So a program
// started on a terminal without a choice of its own in SWIFT_BACKTRACE starts itself again
// at once, before main, with "interactive=no" added: one exec(2), about 30 ms of start-up
// (measured with the release build on a loaded 2-core machine: 37 ms without, 67-72 ms
// with). Commands that never open the dashboard skip it (see `opens_no_dashboard`), and
// test bundles (".xctest") are left alone.
static int opens_no_dashboard(int argc, char **argv) {
    static const char *const commands[] = { "ps", "pstree", "demos", "help" };
    static const char *const flags[] = { "--headless", "--help", "-h", "--version" };
    if (argc > 1) {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            if (strcmp(argv[1], commands[i]) == 0) return 1;
        }
    }
    for (int a = 1; a < argc; a++) {
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
            if (strcmp(argv[a], flags[i]) == 0) return 1;
        }
    }
    return 0;
}

__attribute__((constructor))
static void asynctop_noninteractive_crash_reports(int argc, char **argv, char **envp) {
    (void)envp;
    if (!argv || !argv[0] || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) return;
    if (opens_no_dashboard(argc, argv)) return;
    const char *settings = getenv("SWIFT_BACKTRACE");
    if (settings && strstr(settings, "interactive=")) return;
    char self[4096];
    ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0) return;
    self[length] = 0;
    size_t n = (size_t)length;
    if (n >= 6 && strcmp(self + n - 6, ".xctest") == 0) return;
    char value[1024];
    if (settings && *settings) {
        if (strlen(settings) + 16 >= sizeof value) return;
        strcpy(value, settings);
        strcat(value, ",interactive=no");
    } else {
        strcpy(value, "interactive=no");
    }
    if (setenv("SWIFT_BACKTRACE", value, 1) != 0) return;
    execv(self, argv);
    // Could not start again: run on, with the runtime's own settings.
}

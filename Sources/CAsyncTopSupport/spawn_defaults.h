#ifndef ASYNCTOP_SPAWN_DEFAULTS_H
#define ASYNCTOP_SPAWN_DEFAULTS_H
#include <signal.h>
#include <spawn.h>

/// A child starts with every signal unblocked and at its default action, whatever the
/// spawning thread blocks (an event loop's thread blocks SIGPIPE) or the program ignores.
static inline void asynctop_spawn_default_signals(posix_spawnattr_t *attr) {
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(attr, &none);
    posix_spawnattr_setsigdefault(attr, &all);
    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

#endif

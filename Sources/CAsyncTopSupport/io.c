#define _GNU_SOURCE
#include "CAsyncTopSupport.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

// MARK: The reactor

int asynctop_reactor_create(int *epoll_fd, int *wake_fd) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return errno;
    int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0) { int e = errno; close(ep); return e; }
    struct epoll_event event = { .events = EPOLLIN, .data.fd = wake };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, wake, &event) != 0) { int e = errno; close(ep); close(wake); return e; }
    *epoll_fd = ep;
    *wake_fd = wake;
    return 0;
}

int asynctop_reactor_ctl(int epoll_fd, int op, int fd, uint32_t events) {
    struct epoll_event event = { .events = events, .data.fd = fd };
    int code = op == 0 ? EPOLL_CTL_ADD : op == 1 ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    return epoll_ctl(epoll_fd, code, fd, &event) == 0 ? 0 : errno;
}

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static int no_pwait2 = 0;

int asynctop_reactor_wait(int epoll_fd, int32_t *fds, uint32_t *events, int max, int64_t timeout_ns) {
    struct epoll_event buffer[256];
    if (max > 256) max = 256;
    int count;
    if (timeout_ns > 0 && !__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
        struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
        count = (int)syscall(SYS_epoll_pwait2, epoll_fd, buffer, max, &ts, NULL, 0);
        if (count < 0 && errno == ENOSYS) {
            __atomic_store_n(&no_pwait2, 1, __ATOMIC_RELAXED);
            return asynctop_reactor_wait(epoll_fd, fds, events, max, timeout_ns);
        }
    } else {
        // Milliseconds, rounded up so that a timer is never woken for early.
        int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
        if (timeout_ns > 0 && ms > 2000000000) ms = 2000000000;
        count = epoll_wait(epoll_fd, buffer, max, ms);
    }
    if (count < 0) return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < count; i++) {
        fds[i] = buffer[i].data.fd;
        events[i] = buffer[i].events;
    }
    return count;
}

void asynctop_reactor_wake(int wake_fd) {
    uint64_t one = 1;
    ssize_t written;
    do { written = write(wake_fd, &one, sizeof one); } while (written < 0 && errno == EINTR);
}

void asynctop_reactor_drain(int wake_fd) {
    uint64_t value;
    ssize_t got;
    do { got = read(wake_fd, &value, sizeof value); } while (got < 0 && errno == EINTR);
}

void asynctop_block_sigpipe(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

// MARK: Non-blocking I/O

int64_t asynctop_read(int fd, void *buffer, size_t size) {
    ssize_t got;
    do { got = read(fd, buffer, size); } while (got < 0 && errno == EINTR);
    return got < 0 ? -errno : got;
}

int64_t asynctop_write(int fd, const void *buffer, size_t size, int is_socket) {
    ssize_t written;
    do {
        written = is_socket ? send(fd, buffer, size, MSG_NOSIGNAL) : write(fd, buffer, size);
    } while (written < 0 && errno == EINTR);
    if (written < 0) {
        int error = errno;
        if (error == EPIPE && !is_socket) {
            // The pipe's SIGPIPE is pending on this thread, where it is blocked: take it.
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGPIPE);
            struct timespec zero = { 0, 0 };
            while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR) {}
        }
        return -error;
    }
    return written;
}

int asynctop_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return errno;
    if (flags & O_NONBLOCK) return 0;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 ? 0 : errno;
}

// MARK: Sockets

int asynctop_resolve(const char *host, int port, int passive, struct asynctop_address *out, int capacity) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = (passive ? AI_PASSIVE : 0) | AI_ADDRCONFIG | AI_NUMERICSERV;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo *list = NULL;
    int failed = getaddrinfo(host && host[0] ? host : NULL, service, &hints, &list);
    if (failed != 0) {
        // Loopback names must resolve without a configured address (AI_ADDRCONFIG hides ::1).
        hints.ai_flags &= ~AI_ADDRCONFIG;
        failed = getaddrinfo(host && host[0] ? host : NULL, service, &hints, &list);
    }
    if (failed != 0) return failed == EAI_SYSTEM ? -errno : failed;
    int count = 0;
    for (struct addrinfo *entry = list; entry && count < capacity; entry = entry->ai_next) {
        if (entry->ai_addrlen > sizeof out[count].bytes) continue;
        out[count].family = entry->ai_family;
        out[count].length = (uint32_t)entry->ai_addrlen;
        memcpy(out[count].bytes, entry->ai_addr, entry->ai_addrlen);
        count++;
    }
    freeaddrinfo(list);
    return count == 0 ? EAI_NONAME : -1000 - count;
}

const char *asynctop_resolve_error(int code) { return gai_strerror(code); }

int asynctop_unix_address(const char *path, struct asynctop_address *out) {
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    size_t length = strlen(path);
    if (length >= sizeof address.sun_path) return ENAMETOOLONG;
    memcpy(address.sun_path, path, length);
    out->family = AF_UNIX;
    out->length = (uint32_t)(offsetof(struct sockaddr_un, sun_path) + length + 1);
    memcpy(out->bytes, &address, out->length);
    return 0;
}

int asynctop_stream_socket(int family) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    if (family == AF_INET || family == AF_INET6) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

int asynctop_connect(int fd, const struct asynctop_address *address) {
    int result;
    do { result = connect(fd, (const struct sockaddr *)address->bytes, address->length); } while (result != 0 && errno == EINTR);
    return result == 0 ? 0 : errno;
}

int asynctop_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
}

int asynctop_listen(const struct asynctop_address *address, int backlog, int reuse_address) {
    int fd = socket(address->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int one = 1;
    if (reuse_address && address->family != AF_UNIX) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (address->family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)address->bytes, address->length) != 0 || listen(fd, backlog) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int asynctop_accept_nonblocking(int fd, struct asynctop_address *peer) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof storage;
    int accepted;
    do {
        accepted = accept4(fd, (struct sockaddr *)&storage, &length, SOCK_CLOEXEC | SOCK_NONBLOCK);
    } while (accepted < 0 && errno == EINTR);
    if (accepted < 0) return -errno;
    if (peer) {
        peer->family = storage.ss_family;
        peer->length = length > sizeof peer->bytes ? (uint32_t)sizeof peer->bytes : (uint32_t)length;
        memcpy(peer->bytes, &storage, peer->length);
    }
    if (storage.ss_family == AF_INET || storage.ss_family == AF_INET6) {
        int one = 1;
        setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return accepted;
}

/// getsockname or getpeername into an asynctop_address.
static int socket_name(int fd, struct asynctop_address *out,
                       int (*name)(int, struct sockaddr *, socklen_t *)) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof storage;
    if (name(fd, (struct sockaddr *)&storage, &length) != 0) return errno;
    out->family = storage.ss_family;
    out->length = length > sizeof out->bytes ? (uint32_t)sizeof out->bytes : (uint32_t)length;
    memcpy(out->bytes, &storage, out->length);
    return 0;
}

int asynctop_local_address(int fd, struct asynctop_address *out) { return socket_name(fd, out, getsockname); }

int asynctop_peer_address(int fd, struct asynctop_address *out) { return socket_name(fd, out, getpeername); }

int asynctop_format_address(const struct asynctop_address *address, char *buffer, int size) {
    const struct sockaddr *raw = (const struct sockaddr *)address->bytes;
    char host[INET6_ADDRSTRLEN];
    switch (raw->sa_family) {
    case AF_INET: {
        const struct sockaddr_in *in = (const struct sockaddr_in *)raw;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        return snprintf(buffer, (size_t)size, "%s:%d", host, ntohs(in->sin_port));
    }
    case AF_INET6: {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)raw;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        return snprintf(buffer, (size_t)size, "[%s]:%d", host, ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
        const struct sockaddr_un *un = (const struct sockaddr_un *)raw;
        size_t offset = offsetof(struct sockaddr_un, sun_path);
        if (address->length <= offset || un->sun_path[0] == 0) return snprintf(buffer, (size_t)size, "unix:(unnamed)");
        return snprintf(buffer, (size_t)size, "%.*s", (int)(address->length - offset), un->sun_path);
    }
    default:
        return snprintf(buffer, (size_t)size, "family %d", raw->sa_family);
    }
}

int asynctop_address_port(const struct asynctop_address *address) {
    const struct sockaddr *raw = (const struct sockaddr *)address->bytes;
    if (raw->sa_family == AF_INET) return ntohs(((const struct sockaddr_in *)raw)->sin_port);
    if (raw->sa_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)raw)->sin6_port);
    return 0;
}

int asynctop_shutdown_write(int fd) { return shutdown(fd, SHUT_WR) == 0 ? 0 : errno; }

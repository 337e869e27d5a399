import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#endif

/// Which way a task waits on a descriptor.
enum IODirection {
    case read, write
}

/// The loop's readiness source: an epoll instance with an eventfd for cross-thread
/// wake-ups. The loop's thread blocks in it with the next timer's deadline as the timeout.
///
/// Two kinds of interest, as asyncio has: a descriptor watched with callbacks
/// (`addReader`/`addWriter`, level-triggered, the callback runs on every iteration while
/// the descriptor is ready) and a descriptor a task waits on (``IOWatch``, registered
/// once, edge-triggered: the task tries its call first and waits for the next edge only
/// when the call would block). Loop-thread state, except `wake()`.
final class Reactor {
    let epollFD: Int32
    let wakeFD: Int32
    /// By descriptor: what is registered for it.
    private(set) var entries: [Int32: Entry] = [:]
    private var readyFDs = [Int32](repeating: 0, count: 256)
    private var readyEvents = [UInt32](repeating: 0, count: 256)

    struct Entry {
        var reader: LoopCallback?
        var writer: LoopCallback?
        /// Set for a descriptor tasks wait on.
        var watch: IOWatch?
    }

    init() throws {
        var epoll: Int32 = -1
        var wake: Int32 = -1
        let failed = asynctop_reactor_create(&epoll, &wake)
        guard failed == 0 else { throw IOError(errno: failed, doing: "create the loop's epoll instance") }
        epollFD = epoll
        wakeFD = wake
    }

    deinit {
        close(epollFD)
        close(wakeFD)
    }

    /// Descriptors registered, besides the wake-up.
    var count: Int { entries.count }

    /// Wakes a `poll` in progress (or the next one) from any thread.
    func wake() { asynctop_reactor_wake(wakeFD) }

    /// Waits up to `timeout` ns (negative: until something happens, 0: not at all) and
    /// hands each ready descriptor to the loop. Returns whether anything was ready.
    @discardableResult
    func poll(timeout: Int64, _ dispatch: (Int32, UInt32) -> Void) -> Int {
        let count = readyFDs.withUnsafeMutableBufferPointer { fds in
            readyEvents.withUnsafeMutableBufferPointer { events in
                asynctop_reactor_wait(epollFD, fds.baseAddress, events.baseAddress, Int32(fds.count), timeout)
            }
        }
        guard count > 0 else { return 0 }
        for i in 0..<Int(count) {
            let fd = readyFDs[i]
            if fd == wakeFD { asynctop_reactor_drain(wakeFD); continue }
            dispatch(fd, readyEvents[i])
        }
        return Int(count)
    }

    // MARK: Callback interest (asyncio's add_reader/add_writer)

    /// Sets or clears the callback for one direction; returns the one it replaced.
    func setCallback(_ fd: Int32, _ direction: IODirection, _ callback: LoopCallback?) throws -> LoopCallback? {
        var entry = entries[fd] ?? Entry()
        if let watch = entry.watch {
            throw IOError.inUse(fd: fd, by: watch.label)
        }
        let before = entry.events
        let replaced: LoopCallback?
        switch direction {
        case .read: replaced = entry.reader; entry.reader = callback
        case .write: replaced = entry.writer; entry.writer = callback
        }
        let after = entry.events
        if after == 0 {
            if before != 0 { _ = asynctop_reactor_ctl(epollFD, 2, fd, 0) }
            entries[fd] = nil
        } else {
            let failed = asynctop_reactor_ctl(epollFD, before == 0 ? 0 : 1, fd, after)
            guard failed == 0 else { throw IOError(errno: failed, doing: "watch fd \(fd)") }
            entries[fd] = entry
        }
        return replaced
    }

    // MARK: Task interest

    func register(_ watch: IOWatch) throws {
        if let entry = entries[watch.fd] {
            throw IOError.inUse(fd: watch.fd, by: entry.watch?.label ?? "add_reader/add_writer")
        }
        let bits = ASYNCTOP_IO_IN | ASYNCTOP_IO_OUT | ASYNCTOP_IO_RDHUP | ASYNCTOP_IO_ET | IOWatch.urgentEvent
        let failed = asynctop_reactor_ctl(epollFD, 0, watch.fd, bits)
        guard failed == 0 else { throw IOError(errno: failed, doing: "watch fd \(watch.fd)") }
        entries[watch.fd] = Entry(watch: watch)
    }

    func unregister(_ watch: IOWatch) {
        guard let entry = entries[watch.fd], entry.watch === watch else { return }
        _ = asynctop_reactor_ctl(epollFD, 2, watch.fd, 0)
        entries[watch.fd] = nil
    }

    func entry(_ fd: Int32) -> Entry? { entries[fd] }

    /// Drops every registration (the loop is closing): watches close their own descriptors.
    func closeAll() {
        let watches = entries.values.compactMap(\.watch)
        for fd in entries.keys { _ = asynctop_reactor_ctl(epollFD, 2, fd, 0) }
        entries = [:]
        for watch in watches { watch.loopClosed() }
    }

    /// The watched descriptors, by descriptor.
    var watches: [IOWatch] { entries.keys.sorted().compactMap { entries[$0]?.watch } }
}

extension Reactor.Entry {
    /// The level-triggered bits the callbacks ask for.
    var events: UInt32 {
        (reader != nil ? ASYNCTOP_IO_IN : 0) | (writer != nil ? ASYNCTOP_IO_OUT : 0)
    }
}

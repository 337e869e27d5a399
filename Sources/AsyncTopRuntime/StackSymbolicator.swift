import AsyncTopModel
import CAsyncTopSupport
import Dispatch
import Foundation
import Synchronization
// The toolchain's backtracing library (libswiftRuntime, linked by this import). Its
// initializer of a backtrace from given addresses is SPI.
@_spi(Internal) import Runtime

/// Turns resume addresses into frames on one long-lived thread of its own, caching by address.
///
/// A new address costs milliseconds, and up to a few hundred in a large binary (each of the
/// Runtime library's lookups there takes about 20 ms, and the funclet's prologue is probed
/// address by address), so this never runs on a loop's thread; the Runtime
/// library's own caches are per thread, so every lookup runs on the same thread. The
/// address cache and the image map are touched only there.
package final class StackSymbolicator: Sendable {
    package static let shared = StackSymbolicator()

    /// The most addresses kept; the cache starts again empty when it is full.
    static let cacheLimit = 100_000

    private let inbox = Inbox()
    /// The frames of every address looked up so far, readable from any thread: a stack whose
    /// addresses are all here needs no trip to the symbolicator's thread.
    private let known = KnownFrames()

    init() {
        let inbox = self.inbox, known = self.known
        let thread = Thread {
            asynctop_set_thread_name("asynctop-symbols")
            inbox.setThread()
            let symbols = Symbols(known: known)
            while let request = inbox.take() {
                request.completion(request.stacks.map { request.callSites ? symbols.callSite($0) : symbols.symbolicate($0) })
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { inbox.close() }

    /// Symbolicates each stack (resume addresses, innermost first) on the symbolicator's thread
    /// and calls `completion` there with one `[StackFrame]` per stack, innermost first (an address can give
    /// several frames: inlined callees first, marked `inlined`), plus per stack a problem string or nil.
    package func symbolicate(_ stacks: [[UInt]], completion: @escaping @Sendable ([(frames: [StackFrame], problem: String?)]) -> Void) {
        inbox.put(Request(stacks: stacks, completion: completion))
    }

    /// Symbolicates native call sites (a return address less one, then its callers'), each
    /// address as it is: no funclet is looked past, nothing is cached for async stacks.
    package func symbolicateCallSites(_ stacks: [[UInt]], completion: @escaping @Sendable ([(frames: [StackFrame], problem: String?)]) -> Void) {
        inbox.put(Request(stacks: stacks, callSites: true, completion: completion))
    }

    /// The stacks' frames at once, when every address was looked up before (any thread, a
    /// lock and a dictionary lookup per address); nil when one was not.
    package func symbolicateIfKnown(_ stacks: [[UInt]]) -> [(frames: [StackFrame], problem: String?)]? {
        known.frames(of: stacks)
    }

    /// The same, waiting for the answer (for tests and the benchmark); never call it on the symbolicator's thread.
    func symbolicate(_ stacks: [[UInt]]) -> [(frames: [StackFrame], problem: String?)] {
        precondition(!inbox.isCurrentThread, "StackSymbolicator.symbolicate waited on its own thread")
        let answer = Answer()
        symbolicate(stacks) { answer.set($0) }
        return answer.wait()
    }
}

extension StackSymbolicator {
    /// The section names of a 64-bit little-endian ELF file (none when it is not one).
    static func sectionNames(ofELF path: String) -> [String] {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { return [] }
        return ELFFile(data)?.sections.map(\.name) ?? []
    }
}

// MARK: The thread's queue

/// What an address gave: its frames (inlined callees first) and a problem, or none.
private struct SymbolEntry: Sendable {
    var frames: [StackFrame]
    var problem: String?
}

/// The symbolicator thread's results, shared under a lock.
private final class KnownFrames: Sendable {
    private let entries = Mutex<[UInt: SymbolEntry]>([:])

    func store(_ address: UInt, _ entry: SymbolEntry) {
        entries.withLock { entries in
            if entries.count >= StackSymbolicator.cacheLimit { entries.removeAll(keepingCapacity: true) }
            entries[address] = entry
        }
    }

    func frames(of stacks: [[UInt]]) -> [(frames: [StackFrame], problem: String?)]? {
        entries.withLock { entries in
            var result: [(frames: [StackFrame], problem: String?)] = []
            result.reserveCapacity(stacks.count)
            for addresses in stacks {
                var frames: [StackFrame] = []
                var problems: [String] = []
                for address in addresses {
                    guard let entry = entries[address] else { return nil }
                    frames += entry.frames
                    if let problem = entry.problem, !problems.contains(problem) { problems.append(problem) }
                }
                result.append((frames, problems.isEmpty ? nil : problems.joined(separator: "; ")))
            }
            return result
        }
    }
}

private struct Request: Sendable {
    var stacks: [[UInt]]
    var callSites = false
    var completion: @Sendable ([(frames: [StackFrame], problem: String?)]) -> Void
}

/// The requests waiting for the symbolicator's thread.
private final class Inbox: @unchecked Sendable {
    private let lock = ConditionLock()
    private var requests: [Request] = []
    private var closed = false
    private var thread: pthread_t?

    func put(_ request: Request) {
        lock.withLock {
            requests.append(request)
            lock.signal()
        }
    }

    /// The next request, or nil once closed and drained.
    func take() -> Request? {
        lock.withLock {
            while requests.isEmpty && !closed { lock.wait() }
            return requests.isEmpty ? nil : requests.removeFirst()
        }
    }

    func close() {
        lock.withLock {
            closed = true
            lock.signal()
        }
    }

    func setThread() { lock.withLock { thread = pthread_self() } }

    var isCurrentThread: Bool {
        lock.withLock { thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }
}

/// One answer, waited for.
private final class Answer: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: [(frames: [StackFrame], problem: String?)] = []

    func set(_ value: [(frames: [StackFrame], problem: String?)]) {
        self.value = value
        done.signal()
    }

    func wait() -> [(frames: [StackFrame], problem: String?)] {
        done.wait()
        return value
    }
}

// MARK: Lookups (the symbolicator's thread only)

/// The symbolicator thread's state: the image map and the frames of each address seen.
private final class Symbols {
    private typealias Entry = SymbolEntry
    private let known: KnownFrames

    init(known: KnownFrames) { self.known = known }

    /// The images as captured before any lookup. A later `ImageMap.capture()` reads the
    /// process's mappings again, where the Runtime library's own mappings of the files it
    /// reads symbols from (those of every symbolicator's thread) can stand in for the images
    /// themselves, with wrong bases: see ``isConsistent(_:)``.
    private static let firstImages = ImageMap.capture()

    private var images = firstImages
    private var imagesCapturedAt = DispatchTime.now().uptimeNanoseconds
    private var cache: [UInt: Entry] = [:]

    /// How old the image map must be before an address outside it captures it again.
    private static let recaptureInterval: UInt64 = 100_000_000

    #if arch(x86_64)
    private static let architecture = "x86_64"
    #elseif arch(arm64)
    private static let architecture = "arm64"
    #endif

    /// How far past a funclet's entry its prologue's end is looked for.
    private static let prologueLimit: UInt = 64

    func symbolicate(_ addresses: [UInt]) -> (frames: [StackFrame], problem: String?) {
        var frames: [StackFrame] = []
        var problems: [String] = []
        for address in addresses {
            let entry = self.entry(address)
            frames += entry.frames
            if let problem = entry.problem, !problems.contains(problem) { problems.append(problem) }
        }
        return (frames, problems.isEmpty ? nil : problems.joined(separator: "; "))
    }

    private func entry(_ address: UInt) -> Entry {
        if let cached = cache[address] { return cached }
        guard let image = image(containing: address) else {
            // Not cached: a library loaded later may yet hold it.
            return Entry(frames: [StackFrame(function: hex(address))],
                         problem: "\(hex(address)) is not in any loaded image")
        }
        let entry = lookUp(address, in: image)
        if cache.count >= StackSymbolicator.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[address] = entry
        known.store(address, entry)
        return entry
    }

    /// The image whose text holds `address`, capturing the image map again when none does
    /// (a library loaded since), at most once per ``recaptureInterval``.
    private func image(containing address: UInt) -> Backtrace.Image? {
        func find() -> Backtrace.Image? {
            guard let index = images.indexOfImage(at: Backtrace.Address(UInt64(address))) else { return nil }
            let image = images[index]
            guard let end = UInt(image.endOfText), address < end else { return nil }
            return image
        }
        if let image = find() { return image }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now &- imagesCapturedAt >= Self.recaptureInterval else { return nil }
        imagesCapturedAt = now
        let recaptured = ImageMap.capture()
        guard isConsistent(recaptured) else { return nil }
        images = recaptured
        return find()
    }

    /// Whether every image known so far is where it was in `recaptured`: a loaded image does
    /// not move, so a different base is a file the Runtime library mapped to read it.
    private func isConsistent(_ recaptured: ImageMap) -> Bool {
        var bases: [String: UInt64] = [:]
        for image in recaptured { if let path = image.path { bases[path] = UInt64(image.baseAddress) } }
        return images.allSatisfy { image in
            guard let path = image.path, let base = bases[path] else { return true }
            return base == UInt64(image.baseAddress)
        }
    }

    /// Frames of plain code addresses (call sites), innermost first.
    func callSite(_ addresses: [UInt]) -> (frames: [StackFrame], problem: String?) {
        var frames: [StackFrame] = []
        for address in addresses {
            guard let image = image(containing: address) else { continue }
            for frame in locations(address) {
                guard let symbol = frame.symbol, symbol.name != "<unknown>" else { continue }
                var file: String?, line: Int?
                if let location = symbol.sourceLocation, location.line != 0, location.path != "<compiler-generated>" {
                    file = location.path
                    line = location.line
                }
                frames.append(StackFrame(function: symbol.name, file: file, line: line, runtime: isRuntime(frame, in: image),
                                         inlined: frame.inlined))
            }
        }
        return (frames, nil)
    }

    private func lookUp(_ address: UInt, in image: Backtrace.Image) -> Entry {
        let imageName = image.name ?? image.path ?? "?"
        guard let outer = locations(address, located: false).last, let symbol = outer.symbol,
              symbol.rawName != "<unknown>", symbol.name != "<unknown>" else {
            let offset = address &- (UInt(image.baseAddress) ?? 0)
            return Entry(frames: [StackFrame(function: "\(imageName)+\(hex(offset))", runtime: isRuntimeImage(image))],
                         problem: isRuntimeImage(image) ? nil : "no symbols in \(imageName)")
        }
        // A stub of merged funclets jumps to another function's funclet, whose frames would
        // be another task's: name it by its own symbol, without a line.
        if isJumpStub(address) {
            return Entry(frames: [StackFrame(function: symbol.name, runtime: isRuntime(outer, in: image))], problem: nil)
        }
        // The entry of a continuation funclet is its prologue; its first instruction past it
        // has the await's own line and, in optimized code, the inlined frames.
        var frames = locations(located(address, named: symbol.rawName, in: image))
        // Optimized code: the prologue's end can still carry the function's opening line. Then
        // the first row of the funclet with a line and a column; and a funclet that only hops
        // back to the task's executor (`swift_task_switch`) has none: the code after the
        // await is in the funclet it continues in.
        if !hasOwnLine(frames) {
            if let row = firstOwnRow(from: address, named: symbol.rawName, in: image), hasOwnLine(row) {
                frames = row
            } else if let next = continuation(of: address, named: symbol.rawName) {
                let continued = locations(located(next.address, named: next.rawName, in: image))
                if hasOwnLine(continued) {
                    frames = continued
                } else if let row = firstOwnRow(from: next.address, named: next.rawName, in: image), hasOwnLine(row) {
                    frames = row
                }
            }
        }
        var result: [StackFrame] = []
        var problem: String?
        for frame in frames {
            guard let symbol = frame.symbol else { continue }
            let runtime = isRuntime(frame, in: image)
            var file: String?, line: Int?, column: Int?
            if let location = symbol.sourceLocation, location.line != 0, location.path != "<compiler-generated>" {
                file = location.path
                line = location.line
                column = location.column == 0 ? nil : location.column
            } else if symbol.sourceLocation == nil && !runtime && !hasLineTable(image) {
                problem = "no debug information in \(imageName)"
            }
            result.append(StackFrame(function: symbol.name, file: file, line: line, column: column,
                                     runtime: runtime, inlined: frame.inlined))
        }
        return Entry(frames: result, problem: problem)
    }

    /// Whether the image's file has a `.debug_line` section, by path. Without one, no frame of
    /// it has a line; with one, a frame without a line is compiler-generated code.
    private var lineTables: [String: Bool] = [:]

    private func hasLineTable(_ image: Backtrace.Image) -> Bool {
        guard let path = image.path else { return false }
        if let known = lineTables[path] { return known }
        let found = StackSymbolicator.sectionNames(ofELF: path).contains(".debug_line")
        lineTables[path] = found
        return found
    }

    /// Past the prologue of the funclet that starts at `address`, where its line table says
    /// it ends (within the same symbol); else `address`.
    private func located(_ address: UInt, named rawName: String, in image: Backtrace.Image) -> UInt {
        guard let end = prologueEnd(after: address, in: image), end != address,
              locations(end, located: false).last?.symbol?.rawName == rawName else { return address }
        return end
    }

    /// The frames at the funclet's first row with a line and a column, when that row is still
    /// in the funclet (within ``ownRowLimit`` bytes).
    private func firstOwnRow(from address: UInt, named rawName: String, in image: Backtrace.Image) -> [SymbolicatedBacktrace.Frame]? {
        guard let table = lineTable(of: image) else { return nil }
        guard let row = table.rows.locatedRow(after: address &- table.bias, within: Self.ownRowLimit).map({ $0 &+ table.bias }),
              locations(row, located: false).last?.symbol?.rawName == rawName else { return nil }
        return locations(row)
    }

    /// How far into a funclet its first located row is looked for.
    private static let ownRowLimit: UInt = 1024

    /// Whether the innermost frame has a line and a column: a located row, not the function's
    /// opening line a funclet's prologue carries.
    private func hasOwnLine(_ frames: [SymbolicatedBacktrace.Frame]) -> Bool {
        guard let location = frames.first?.symbol?.sourceLocation else { return false }
        return location.line != 0 && location.column != 0 && location.path != "<compiler-generated>"
    }

    /// The funclet a hop-back funclet (`…TQ1_`, which passes `…TY2_` to `swift_task_switch`)
    /// continues in: of the `lea target(%rip), %rdi` in its first bytes, the target that is a
    /// `TY` funclet of the same function, the lowest numbered (the error path comes after the
    /// success path). Nil when there is none: never another function's code.
    private func continuation(of address: UInt, named rawName: String) -> (address: UInt, rawName: String)? {
        #if arch(x86_64)
        guard let suffix = rawName.range(of: #"TQ[0-9]+_$"#, options: .regularExpression) else { return nil }
        let base = rawName[..<suffix.lowerBound]
        var bytes = [UInt8](repeating: 0, count: Self.hopScanLimit)
        guard asynctop_safe_read(address, &bytes, bytes.count) == 0 else { return nil }
        var best: (address: UInt, rawName: String, number: Int)?
        var i = 0
        while i + 7 <= bytes.count {
            // REX.W lea rdi, [rip + disp32]: 48 8D 3D disp32
            if bytes[i] == 0x48, bytes[i + 1] == 0x8D, bytes[i + 2] == 0x3D {
                let displacement = Int32(bitPattern: UInt32(bytes[i + 3]) | UInt32(bytes[i + 4]) << 8
                                         | UInt32(bytes[i + 5]) << 16 | UInt32(bytes[i + 6]) << 24)
                let target = UInt(bitPattern: Int(bitPattern: address) + i + 7 + Int(displacement))
                if let symbol = locations(target, located: false).last?.symbol, symbol.offset == 0,
                   symbol.rawName.hasPrefix(base),
                   let number = Int(symbol.rawName.dropFirst(base.count).dropFirst(2).dropLast()),
                   symbol.rawName.dropFirst(base.count).hasPrefix("TY"),
                   best.map({ number < $0.number }) ?? true {
                    best = (target, symbol.rawName, number)
                }
                i += 7
            } else {
                i += 1
            }
        }
        return best.map { ($0.address, $0.rawName) }
        #else
        return nil
        #endif
    }

    /// How many bytes of a hop-back funclet are searched for its continuation.
    private static let hopScanLimit = 96

    /// The line tables' prologue ends of the images, by path (nil: the image has none).
    private var prologues: [String: DwarfLineTable?] = [:]

    /// The image's line table and its load bias, read once per image.
    private func lineTable(of image: Backtrace.Image) -> (rows: DwarfLineTable, bias: UInt)? {
        guard let path = image.path, let base = UInt(image.baseAddress) else { return nil }
        let table: DwarfLineTable?
        if let known = prologues[path] {
            table = known
        } else {
            table = DwarfLineTable(path: path)
            prologues[path] = .some(table)
        }
        guard let table, base >= table.linkedBase else { return nil }
        return (table, base - table.linkedBase)
    }

    /// The first prologue end past a funclet's entry (within ``prologueLimit`` bytes), from
    /// the image's line table.
    private func prologueEnd(after address: UInt, in image: Backtrace.Image) -> UInt? {
        guard let table = lineTable(of: image) else { return nil }
        return table.rows.end(after: address &- table.bias, within: Self.prologueLimit).map { $0 &+ table.bias }
    }

    /// The frames at `address`, inlined callees first, without the backtrace's closing
    /// marker (`.truncated`). Without `located`, the symbol alone: no line table is run, which
    /// in a large binary is most of a lookup's cost.
    private func locations(_ address: UInt, located: Bool = true) -> [SymbolicatedBacktrace.Frame] {
        let backtrace = Backtrace(architecture: Self.architecture,
                                  frames: [RichFrame<UInt64>.asyncResumePoint(UInt64(address))], images: images)
        let options: Backtrace.SymbolicationOptions = located
            ? [.showInlineFrames, .showSourceLocations, .useSymbolCache] : [.useSymbolCache]
        return (backtrace.symbolicated(with: images, options: options)?.frames ?? []).filter {
            switch $0.captured {
            case .truncated, .omittedFrames: false
            default: true
            }
        }
    }

    /// Whether the instruction at `address` is a `jmp rel32`.
    private func isJumpStub(_ address: UInt) -> Bool {
        #if arch(x86_64)
        var byte: UInt8 = 0
        return asynctop_safe_read(address, &byte, 1) == 0 && byte == 0xE9
        #else
        return false
        #endif
    }

    /// The Swift runtime and the toolchain's libraries (Foundation, Dispatch, …).
    private func isRuntimeImage(_ image: Backtrace.Image) -> Bool {
        if let name = image.name, name.hasPrefix("libswift") { return true }
        if let path = image.path, path.contains("/lib/swift/") { return true }
        return false
    }

    /// A frame a person does not want by default: the runtime's, a thunk, or library code
    /// (asynctop's own toolkit too: a task waiting on a `Lock` shows the program's line that
    /// acquires it, and the wait itself says which lock).
    private func isRuntime(_ frame: SymbolicatedBacktrace.Frame, in image: Backtrace.Image) -> Bool {
        if isRuntimeImage(image) || frame.isSwiftThunk || frame.isSystem { return true }
        if let raw = frame.symbol?.rawName {
            if raw.hasPrefix(Self.ownModulePrefix) { return true }
            // A standard library function inlined into the program (`$ss31withUnsafe…`): told
            // by its name where no debug information says it is the library's.
            if raw.hasPrefix("$ss"), raw.dropFirst(3).first?.isNumber == true { return true }
        }
        guard var name = frame.symbol?.name else { return false }
        while let prefix = ["specialized ", "merged "].first(where: name.hasPrefix) { name.removeFirst(prefix.count) }
        return name.hasPrefix("partial apply for ") || name.hasPrefix("thunk for ")
            || name.hasPrefix("reabstraction thunk") || name.contains(" thunk helper")
            || name.hasPrefix("completeTask") || name.contains("::completeTask")
            || Self.adapters.contains { name == $0 || name.hasPrefix($0 + "(") || name.contains("::" + $0) }
    }

    /// How the mangled names of this module's functions begin.
    private static let ownModulePrefix = "$s15AsyncTopRuntime"

    /// The runtime's functions that start a task and resume a waiter (in the chain's outer frames).
    private static let adapters = ["future_adapter", "non_future_adapter", "task_future_wait_resume_adapter",
                                   "task_wait_throwing_resume_adapter", "task_group_wait_resume_adapter"]

    private func hex(_ value: UInt) -> String { "0x" + String(value, radix: 16) }
}

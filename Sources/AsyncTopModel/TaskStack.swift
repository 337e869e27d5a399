/// One frame of a suspended task's async stack.
public struct StackFrame: Hashable, Codable, Sendable {
    /// The function, demangled and simplified (`level3()`, `closure #1 in main()`); for a
    /// binary without symbols, `image+0x1f2c`.
    public var function: String
    /// The source file's path, when the binary has line information.
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// A frame of the Swift runtime, a thunk or inlined library code: hidden unless every
    /// frame is asked for. Absent (false) for the program's own frames.
    public var runtime: Bool?
    /// Inlined into the frame below it (the same resume point).
    public var inlined: Bool?

    public init(function: String, file: String? = nil, line: Int? = nil, column: Int? = nil,
                runtime: Bool = false, inlined: Bool = false) {
        self.function = function
        self.file = file
        self.line = line
        self.column = column
        self.runtime = runtime ? true : nil
        self.inlined = inlined ? true : nil
    }

    public var isRuntime: Bool { runtime == true }

    /// `File.swift:41`: the file's last path component and the line, when known.
    public var location: String? {
        guard let file, let line, line > 0 else { return nil }
        let base = file.split(separator: "/").last.map(String.init) ?? file
        return "\(base):\(line)"
    }

    /// `level3() (Bank.swift:41)`, or the function alone without a location.
    public var description: String {
        location.map { "\(function) (\($0))" } ?? function
    }
}

/// Where a suspended task waits: its chain of async frames, innermost first, as captured
/// on the loop's thread while the task was suspended and symbolicated off the loop.
public struct TaskStack: Hashable, Codable, Sendable {
    /// Every frame, innermost first, the runtime's included (see ``StackFrame/runtime``).
    public var frames: [StackFrame]
    /// When it was captured (loop clock). It holds for the suspension that began at the
    /// task's `stateSince`, as long as that is not later than this.
    public var capturedAt: Nanos
    /// Why frames are missing or incomplete ("no debug information in the binary"), or nil.
    public var problem: String?

    public init(frames: [StackFrame], capturedAt: Nanos, problem: String? = nil) {
        self.frames = frames
        self.capturedAt = capturedAt
        self.problem = problem
    }

    /// The frames a person wants by default: the program's own, or all of them.
    public func frames(all: Bool) -> [StackFrame] {
        all ? frames : frames.filter { !$0.isRuntime }
    }

    /// The innermost frame of the program's own that has a source location.
    public var innermost: StackFrame? {
        frames.first { !$0.isRuntime && $0.location != nil } ?? frames.first { !$0.isRuntime }
    }
}

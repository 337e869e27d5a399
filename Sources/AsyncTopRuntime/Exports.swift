// One import gives a program everything it touches: `import AsyncTopRuntime` brings the
// values the loop hands out (`TaskInfo`, `Snapshot`, `TaskState`, `CancelInfo`, …) too.
@_exported import AsyncTopModel

#if ASYNCTOP_TSAN  // under ThreadSanitizer, a mutex it can see: see CheckedMutex
import AsyncTopSync
@usableFromInline typealias Mutex<Value> = CheckedMutex<Value>
#endif

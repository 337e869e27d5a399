#if ASYNCTOP_TSAN  // under ThreadSanitizer, a mutex it can see: see AsyncTopSync.Locked
import AsyncTopSync
typealias Mutex<Value> = Locked<Value>
#endif

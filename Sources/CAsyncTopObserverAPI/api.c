// Declarations only: the definitions are in the preloaded library (CAsyncTopObserver).

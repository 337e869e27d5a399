// Everything is in observer.c; its interface is CAsyncTopObserverAPI's header.

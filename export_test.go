package integratorio

// LockedBuffer lets the external test package share the goroutine-safe log
// sink of the internal tests.
type LockedBuffer = syncBuffer

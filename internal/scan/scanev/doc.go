// Package scanev holds what a scan finds: its result (Result) and the
// typed payloads of its events (layer "scan"), with the names of the code
// points they hold. It is a leaf, apart from the probes and the own
// handshake engine of package scan, so that the renderers read a scan's
// events without importing the engine; package scan gives the same types
// under its own name.
package scanev

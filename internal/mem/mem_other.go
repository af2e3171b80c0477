//go:build !linux

package mem

func adviseHuge([]byte) {}

// discard does nothing here: the pages stay resident until the array is
// freed.
func discard([]byte) {}

// physical is unknown here.
func physical() uint64 { return 0 }

// reportsFreePages: no free page reporting is known of here.
func reportsFreePages(string) bool { return false }

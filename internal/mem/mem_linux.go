package mem

import (
	"os"
	"path/filepath"
	"syscall"
)

// madvHugePage is MADV_HUGEPAGE.
const madvHugePage = 14

// madvDontNeed is MADV_DONTNEED: private anonymous pages read as zeros
// after it.
const madvDontNeed = 4

func adviseHuge(b []byte) { advise(b, madvHugePage) }

func discard(b []byte) { advise(b, madvDontNeed) }

// advise gives the advice for the whole pages inside b: only those may be
// advised.
func advise(b []byte, advice int) {
	const page = 4096
	p := uintptr(0)
	if len(b) > 0 {
		p = uintptr(unsafePointer(b))
	}
	start := (p + page - 1) &^ (page - 1)
	end := (p + uintptr(len(b))) &^ (page - 1)
	if end > start {
		syscall.Madvise(b[start-p:end-p], advice)
	}
}

// physical returns the machine's memory in bytes, or 0 if unknown.
func physical() uint64 {
	var info syscall.Sysinfo_t
	if syscall.Sysinfo(&info) != nil {
		return 0
	}
	return uint64(info.Totalram) * uint64(info.Unit)
}

// balloonReporting is VIRTIO_BALLOON_F_REPORTING, the feature bit of a
// virtio balloon through which the kernel reports free pages to the host.
const balloonReporting = 5

// reportsFreePages reports whether a virtio balloon device under sys (the
// sysfs root) has free page reporting. A device's features file holds one
// character, 0 or 1, per feature bit, bit 0 first.
func reportsFreePages(sys string) bool {
	devices, _ := filepath.Glob(filepath.Join(sys, "bus/virtio/drivers/virtio_balloon/virtio*/features"))
	for _, f := range devices {
		b, err := os.ReadFile(f)
		if err == nil && len(b) > balloonReporting && b[balloonReporting] == '1' {
			return true
		}
	}
	return false
}

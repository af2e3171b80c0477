package mem

import "syscall"

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

package mem

import "syscall"

// madvHugePage is MADV_HUGEPAGE.
const madvHugePage = 14

func adviseHuge(b []byte) {
	// Only whole pages inside b may be advised.
	const page = 4096
	p := uintptr(0)
	if len(b) > 0 {
		p = uintptr(unsafePointer(b))
	}
	start := (p + page - 1) &^ (page - 1)
	end := (p + uintptr(len(b))) &^ (page - 1)
	if end > start {
		syscall.Madvise(b[start-p:end-p], madvHugePage)
	}
}
